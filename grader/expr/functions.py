"""Functions an answer may call, with their derivatives, and how each treats shapes.

Element-wise functions apply to every entry; ``softmax`` normalises a vector; ``diag``
turns a vector into a diagonal matrix (and a matrix into its diagonal); ``outer(a, b)``
is a bᵀ; ``sum(v)`` adds the entries (``sum(i, lo, hi, expr)`` is a sum over ``i``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np


def _sigma(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # the logistic function, without overflow in exp


def _factorial(x):
    """n! for whole n, and Γ(x + 1) between them, so (n+1)·n! = (n+1)! holds wherever it is sampled."""
    def one(v: float) -> float:
        if v != v or v > 170:
            return math.nan
        if v == int(v):
            return float(math.factorial(int(v))) if v >= 0 else math.nan
        return math.gamma(v + 1.0)

    return np.vectorize(one, otypes=[float])(x) if np.ndim(x) else one(float(x))


@dataclass(frozen=True)
class Function:
    name: str
    kind: str  # "elementwise", "softmax", "diag", "outer", "sum"
    apply: Callable
    derivative: Callable | None = None
    arity: int = 1


_ELEMENTWISE: dict[str, tuple[Callable, Callable | None]] = {
    "sigma": (_sigma, lambda x: _sigma(x) * (1.0 - _sigma(x))),
    "tanh": (np.tanh, lambda x: 1.0 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (np.asarray(x) > 0).astype(float)),
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda x: 1.0 / x),
    "log10": (np.log10, lambda x: 1.0 / (x * math.log(10.0))),
    "log2": (np.log2, lambda x: 1.0 / (x * math.log(2.0))),
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x)),
    "abs": (np.abs, np.sign),
    "sin": (np.sin, np.cos),
    "cos": (np.cos, lambda x: -np.sin(x)),
    "tan": (np.tan, lambda x: 1.0 / np.cos(x) ** 2),
    "asin": (np.arcsin, lambda x: 1.0 / np.sqrt(1.0 - x * x)),
    "acos": (np.arccos, lambda x: -1.0 / np.sqrt(1.0 - x * x)),
    "atan": (np.arctan, lambda x: 1.0 / (1.0 + x * x)),
    "sinh": (np.sinh, np.cosh),
    "cosh": (np.cosh, np.sinh),
    "sec": (lambda x: 1.0 / np.cos(x), lambda x: np.sin(x) / np.cos(x) ** 2),
    "csc": (lambda x: 1.0 / np.sin(x), lambda x: -np.cos(x) / np.sin(x) ** 2),
    "cot": (lambda x: np.cos(x) / np.sin(x), lambda x: -1.0 / np.sin(x) ** 2),
    "sech": (lambda x: 1.0 / np.cosh(x), lambda x: -np.tanh(x) / np.cosh(x)),  # sech² z = tanh′ z
    "csch": (lambda x: 1.0 / np.sinh(x), lambda x: -1.0 / (np.sinh(x) * np.tanh(x))),
    "coth": (lambda x: 1.0 / np.tanh(x), lambda x: -1.0 / np.sinh(x) ** 2),
    "asinh": (np.arcsinh, lambda x: 1.0 / np.sqrt(x * x + 1.0)),
    "acosh": (np.arccosh, lambda x: 1.0 / np.sqrt(x * x - 1.0)),
    "atanh": (np.arctanh, lambda x: 1.0 / (1.0 - x * x)),
    "sign": (np.sign, lambda x: 0.0 * np.asarray(x, dtype=float)),  # 0 wherever sign is differentiable
    "factorial": (_factorial, None),
}


def _softmax(v):
    shifted = np.exp(v - np.max(v))
    return shifted / np.sum(shifted)


def _diag(v):
    return np.diag(np.ravel(v)) if np.shape(v)[1] == 1 else np.diag(v).reshape(-1, 1)


FUNCTIONS: dict[str, Function] = {
    **{name: Function(name, "elementwise", fn, d) for name, (fn, d) in _ELEMENTWISE.items()},
    "softmax": Function("softmax", "softmax", _softmax),
    "diag": Function("diag", "diag", _diag),
    "outer": Function("outer", "outer", lambda a, b: np.asarray(a).reshape(-1, 1) @ np.asarray(b).reshape(1, -1),
                      arity=2),
    "sum": Function("sum", "sum", lambda v: float(np.sum(v))),
}

ALIASES = {"sigmoid": "sigma", "ln": "log", "arcsin": "asin", "arccos": "acos", "arctan": "atan", "cosec": "csc",
           "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "arsinh": "asinh", "arcosh": "acosh",
           "artanh": "atanh", "sgn": "sign"}
