"""Evaluate an expression tree with numpy on concrete values of its symbols.

Bounded: a budget of node evaluations and a deadline in the thread's CPU time (:mod:`grader.clock`), so a sum nested in a
sum cannot keep the grader busy. Undefined arithmetic (``log(-1)``, ``0/0``) gives NaN,
which the checker treats as "not defined here" and resamples; structural problems (an
index outside its sequence, a budget spent) raise :class:`EvalError`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import clock
from .functions import FUNCTIONS
from .lexer import ExprError
from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose
from .render import render
from .symbols import Namespace

Value = Any  # a float, or a 2-D numpy array
MAX_STEPS = 400_000
MAX_SECONDS = 1.0
MAX_TERMS = 10_000


class EvalError(ExprError):
    """The expression cannot be evaluated here: an index out of range, a bound that is not whole."""


class NeedsPointwise(Exception):
    """A batched evaluation met something that varies per point where it must not (a sum's bounds)."""


class BudgetError(EvalError):
    """Evaluating would take too much work or time: the answer is refused, not graded wrong."""


@dataclass
class Bindings:
    """Concrete values: plain symbols by name; a sequence as (lowest index per axis, stacked array); and the
    sizes drawn for this point (``T`` where a part draws the sequence length), ahead of the namespace's."""

    values: dict[str, Value] = field(default_factory=dict)
    sequences: dict[str, tuple[tuple[int, ...], np.ndarray]] = field(default_factory=dict)
    dims: dict[str, int] = field(default_factory=dict)


class Evaluator:
    def __init__(self, ns: Namespace, bindings: Bindings, deadline: float | None = None, batched: int = 0,
                 stacked: bool = False):
        """``batched``: that many points evaluated at once. Plain scalar symbols are then bound to vectors of that
        many numbers (a 1-D array is a batch of numbers; no vector or matrix values exist in such a namespace);
        ``stacked``: every symbol is bound to an array whose first axis is the point, a number as (points, 1, 1),
        a vector as (points, n, 1), a matrix as (points, r, c), so an entry of shape (1, 1) is a number, as a 1x1
        product is one point by point (no symbol of a stacked namespace has that shape: see ``compare``)."""
        self.ns = ns
        self.bindings = bindings
        self.steps = 0
        self.deadline = deadline if deadline is not None else clock.now() + MAX_SECONDS
        self.batched = batched
        self.stacked = stacked
        self.every = 15 if stacked else 255  # steps between looks at the clock: a stacked step is every point's

    def run(self, node: Node) -> Value:
        """Evaluate; call inside :func:`quiet` (one per batch of evaluations: it is not free)."""
        return self.eval(node, {})

    def tick(self, node: Node) -> None:
        """Called when the step count passes the budget or a multiple of 256 (16 when stacked): raise if time is up."""
        if self.steps > MAX_STEPS:
            raise BudgetError("too much computation to check this answer", node.col)
        if clock.passed(self.deadline):
            raise BudgetError("checking this answer took too long", node.col)

    def eval(self, node: Node, scope: dict[str, float]) -> Value:
        self.steps += 1
        if self.steps > MAX_STEPS or (self.steps & self.every == 0 and clock.passed(self.deadline)):
            self.tick(node)
        return _DISPATCH[type(node)](self, node, scope)

    def number(self, node: Num, scope: dict[str, float]) -> Value:
        return node.value

    def negative(self, node: Neg, scope: dict[str, float]) -> Value:
        return -self.eval(node.operand, scope)

    def transpose(self, node: Transpose, scope: dict[str, float]) -> Value:
        value = self.eval(node.operand, scope)
        return np.swapaxes(value, -1, -2) if self.stacked and np.ndim(value) == 3 else _t(value)

    def symbol(self, node: Sym, scope: dict[str, float]) -> Value:
        name = node.name
        if name in scope:
            return scope[name]
        if name in self.bindings.dims:
            return float(self.bindings.dims[name])
        if name in self.ns.dims:
            return float(self.ns.dims[name])
        if name in self.bindings.values:
            return self.bindings.values[name]
        if name == "pi":
            return math.pi
        if name == "e":
            return math.e
        raise EvalError(f"no value for {name}", node.col)

    def element(self, node: Index, scope: dict[str, float]) -> Value:
        if self.batched and not self.stacked:  # a namespace of plain numbers has no sequences
            raise NeedsPointwise
        lows, stacked = self.bindings.sequences[node.name]
        axes = stacked.shape[1:] if self.stacked else stacked.shape  # the sequence's own, after the points' axis
        at = []
        for index_node in node.indices:
            value = self.eval(index_node, scope)
            if self.batched and np.ndim(value):
                raise NeedsPointwise  # an index that differs from point to point (h_t, t drawn per point)
            value = float(value)
            if not math.isfinite(value) or abs(value - round(value)) > 1e-9:
                raise EvalError(f"the index {render(index_node)} of {node.name} is not a whole number here",
                                node.col)
            at.append(int(round(value)))
        for axis, k in enumerate(at):
            if not lows[axis] <= k < lows[axis] + axes[axis]:
                lo, hi = lows[axis], lows[axis] + axes[axis] - 1
                shown = ",".join(str(k) if abs(k) < 10**6 else f"{k:.3g}" for k in at)
                raise EvalError(f"{render(node)} reaches {node.name}_{{{shown}}}, but the indices of {node.name} "
                                f"run from {lo} to {hi}", node.col)
        where = tuple(k - lo for k, lo in zip(at, lows))
        if self.stacked:  # every point's element at once
            return stacked[(slice(None),) + where]
        element = stacked[where]
        return float(element) if element.ndim == 0 else element

    def binary(self, node: Bin, scope: dict[str, float]) -> Value:
        a = self.eval(node.left, scope)
        b = self.eval(node.right, scope)
        op = node.op
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return divide(a, b) if isinstance(a, float) and isinstance(b, float) else np.divide(a, b)
        if op == "^":
            return _pow(a, b)
        # "@": a linear-algebra product; a 1x1 result is a number
        if self.stacked:  # each point's product at once; a (1, 1) entry is a number, and a 1x1 product stays one
            return a * b if _a_number(a) or _a_number(b) else np.matmul(a, b)
        if self.batched or not np.ndim(a) or not np.ndim(b):
            return a * b
        product = a @ b
        return float(product[0, 0]) if product.shape == (1, 1) else product

    def call(self, node: Call, scope: dict[str, float]) -> Value:
        function = FUNCTIONS[node.fn]
        args = [self.eval(a, scope) for a in node.args]
        if function.kind == "elementwise":
            fn = function.derivative if node.order else function.apply
            if isinstance(args[0], float):  # the common case: a number in, a Python float out
                return float(fn(args[0]))
            out = fn(np.asarray(args[0], dtype=float))
            return float(out) if np.ndim(out) == 0 else out
        if self.batched and (not self.stacked or all(map(_a_number, args))):
            # numbers only: softmax of a number is 1, diag is itself, outer a product
            return {"softmax": lambda v: np.ones_like(v), "diag": lambda v: v, "outer": lambda u, v: u * v,
                    "sum": lambda v: v}[function.kind](*args)
        if self.stacked:  # a vector's or a matrix's: point by point, as below, then stacked again
            points = [len(a) for a in args if np.ndim(a) == 3]
            if not points:
                raise NeedsPointwise
            return np.stack([_as_entry(self._one_call(function, [a[k] if np.ndim(a) == 3 else a for a in args]))
                             for k in range(points[0])])
        return self._one_call(function, args)

    @staticmethod
    def _one_call(function: Any, args: list) -> Value:
        if function.kind == "softmax":
            return 1.0 if not np.ndim(args[0]) else function.apply(args[0])
        if function.kind == "diag":
            return args[0] if not np.ndim(args[0]) else function.apply(args[0])
        if function.kind == "outer":
            out = function.apply(*args)
            return float(out[0, 0]) if out.shape == (1, 1) else out
        return function.apply(args[0])  # sum of entries

    def sum(self, node: Sum, scope: dict[str, float]) -> Value:
        lo, hi = (self.eval(limit, scope) for limit in (node.lo, node.hi))
        if np.ndim(lo) or np.ndim(hi):
            raise NeedsPointwise  # bounds that differ from point to point
        for limit, value in ((node.lo, lo), (node.hi, hi)):
            if not math.isfinite(value) or abs(value - round(value)) > 1e-9:
                raise EvalError(f"the bound {render(limit)} of the sum is not a whole number here", node.col)
        lo, hi = int(round(lo)), int(round(hi))
        if hi - lo >= MAX_TERMS:
            raise BudgetError(f"the sum runs over more than {MAX_TERMS} terms", node.col)
        total: Value = 1.0 if node.product else 0.0
        inner = dict(scope)
        for i in range(lo, hi + 1):
            inner[node.var] = float(i)
            term = self.eval(node.body, inner)
            total = total * term if node.product else total + term
        return total


_DISPATCH = {Num: Evaluator.number, Sym: Evaluator.symbol, Index: Evaluator.element, Neg: Evaluator.negative,
             Transpose: Evaluator.transpose, Bin: Evaluator.binary, Call: Evaluator.call, Sum: Evaluator.sum}


def _t(value: Value) -> Value:
    return value.T if np.ndim(value) else value


def _a_number(value: Value) -> bool:
    """A number at every point: a float, or a stacked entry of shape (1, 1)."""
    return np.ndim(value) == 0 or np.shape(value)[-2:] == (1, 1)


def _as_entry(value: Value) -> np.ndarray:
    """One point's value as a stacked entry: a number as (1, 1), a vector or matrix as it is."""
    array = np.asarray(value, dtype=float)
    return array.reshape(1, 1) if array.ndim == 0 else array


def divide(a: float, b: float) -> float:
    return a / b if b != 0 else (math.nan if a == 0 else math.copysign(math.inf, a) * math.copysign(1, b))


def _pow(a: Value, b: Value) -> Value:
    if isinstance(a, float) and isinstance(b, float):
        return scalar_pow(a, b)
    base, exponent = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = np.power(base, exponent)
    if isinstance(b, float) and b == int(b):  # a whole exponent: negative bases are fine as they are
        return out
    odd = (base < 0) & _odd_root(exponent)
    return np.where(odd, -np.power(-base, exponent), out) if np.any(odd) else out


def _odd_root(b):
    """Is the exponent 1/n (or m/n) with n odd, a real root of a negative number (x^(1/3))?"""
    with np.errstate(all="ignore"):
        n = 1.0 / np.asarray(b, dtype=float)
    return np.isfinite(n) & (np.abs(n - np.round(n)) < 1e-9) & (np.round(n) % 2 == 1)


def scalar_pow(a: float, b: float) -> float:
    if a < 0 and b != int(b) and b != 0 and abs(1 / b - round(1 / b)) < 1e-9 and round(1 / b) % 2 == 1:
        return -math.pow(-a, b)  # the real cube (fifth...) root of a negative number
    try:
        return math.pow(a, b)
    except (OverflowError, ValueError):  # too large, or a negative base with a fractional exponent
        return math.inf if a > 0 or b == int(b) else math.nan


def quiet():
    """numpy's floating-point warnings off: NaN and infinities are verdicts here, not news."""
    return np.errstate(all="ignore")
