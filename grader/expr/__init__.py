"""The expression language: read what students write (ASCII, LaTeX, Unicode), infer shapes,
evaluate with numpy. Student text is parsed by our own parser and never executed.

- :func:`parse` text -> tree (names resolved against a :class:`Namespace`);
- :func:`infer` tree -> shape, or a :class:`ShapeError` that reads as feedback;
- :class:`Evaluator` tree + values -> value, bounded in steps and time;
- :func:`compare_scalar` the plain "are these two formulas equal?" check.
"""
from .compare import compare_scalar, same, sample, seed_of
from .evaluate import Bindings, EvalError, Evaluator
from .lexer import ExprError
from .parser import parse
from .render import render
from .shapes import ShapeError, describe, infer
from .symbols import Namespace, Symbol, SymbolSpecError, build_namespace, scalars

__all__ = [
    "Bindings", "EvalError", "Evaluator", "ExprError", "Namespace", "ShapeError", "Symbol", "SymbolSpecError",
    "build_namespace", "compare_scalar", "describe", "infer", "parse", "render", "same", "sample", "scalars",
    "seed_of",
]
