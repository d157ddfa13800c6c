"""Constants that floating point cannot reach on the way: ``175!·56!/(55!·176!)`` is 56/176, though 176!
(about 2e320) is beyond a double. A constant part of an answer that holds a factorial is worked out
with exact fractions once, when the answer is read, and stands in the tree as the number it is.

Bounded like everything else a student can write: factorials up to 2000!, powers with whole
exponents up to 2000, and numbers of at most 20,000 bits; beyond that the part stays as written
and is evaluated in floating point as before.
"""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from functools import lru_cache

from .nodes import Bin, Call, Neg, Node, Num

MAX_FACTORIAL = 2000
MAX_EXPONENT = 2000
MAX_BITS = 20_000
MAX_WORK = 2_000_000  # bits handled while folding one answer: a sum of 180 such ratios costs a few ms


def fold_factorials(tree: Node, work: list[int] | None = None) -> Node:
    """``tree`` with each largest constant part that holds a factorial replaced by its exact value."""
    if not _has_factorial(tree):
        return tree
    work = [MAX_WORK] if work is None else work
    value = _exact(tree, work)
    if value is not None:
        try:
            number = float(value)
        except OverflowError:
            return tree  # too large even as a result: evaluation says so as before
        return Num(number, tree.col)
    changes = {}
    for field in dataclasses.fields(tree):
        child = getattr(tree, field.name)
        if isinstance(child, tuple) and child and not isinstance(child[0], (int, float, str)):
            changes[field.name] = tuple(fold_factorials(c, work) for c in child)
        elif dataclasses.is_dataclass(child):
            changes[field.name] = fold_factorials(child, work)
    return dataclasses.replace(tree, **changes) if changes else tree


def _has_factorial(node: Node) -> bool:
    if isinstance(node, Call) and node.fn == "factorial":
        return True
    return any(_has_factorial(child) for child in _children(node))


def _children(node: Node) -> list[Node]:
    out = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, tuple):
            out += [v for v in value if dataclasses.is_dataclass(v)]
        elif dataclasses.is_dataclass(value):
            out.append(value)
    return out


def _exact(node: Node, work: list[int]) -> Fraction | None:
    """The exact value of a constant made of numbers, + - * / ^ and factorials; None for anything else, or
    once ``work`` (bits left to handle in this answer) is spent."""
    if work[0] <= 0:
        return None
    if isinstance(node, Num):
        return Fraction(node.value) if math.isfinite(node.value) else None
    if isinstance(node, Neg):
        inner = _exact(node.operand, work)
        return None if inner is None else -inner
    if isinstance(node, Call) and node.fn == "factorial" and not node.order:
        n = _exact(node.args[0], work)
        if n is None or n.denominator != 1 or not 0 <= n <= MAX_FACTORIAL:
            return None
        return _bounded(Fraction(_factorial(int(n))), work)
    if isinstance(node, Bin):
        a = _exact(node.left, work)
        b = _exact(node.right, work) if a is not None else None
        if a is None or b is None:
            return None
        if node.op == "+":
            return _bounded(a + b, work)
        if node.op == "-":
            return _bounded(a - b, work)
        if node.op in "*@":
            return _bounded(a * b, work)
        if node.op == "/":
            return None if b == 0 else _bounded(a / b, work)
        if node.op == "^" and b.denominator == 1 and abs(b) <= MAX_EXPONENT and not (a == 0 and b < 0):
            bits = max(a.numerator.bit_length(), a.denominator.bit_length()) * abs(int(b))
            return _bounded(a ** int(b), work) if bits <= MAX_BITS else None
    return None


@lru_cache(maxsize=64)
def _factorial(n: int) -> int:
    return math.factorial(n)


def _bounded(value: Fraction, work: list[int]) -> Fraction | None:
    bits = max(value.numerator.bit_length(), value.denominator.bit_length())
    work[0] -= bits
    return value if bits <= MAX_BITS and work[0] > 0 else None
