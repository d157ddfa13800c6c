"""How a student's text becomes the tree to grade, or a clear reason why not.

Three outcomes, in this order:

- a tree (the last side of a chain ``lhs = ... = rhs``, with the part's own derivative names and the
  seed's habit ``g_{h_{t,i}}`` for ``g_{t,i}`` read);
- an answer that is readable but plainly not the expression asked: derivatives left unworked
  (``∂h_t/∂z_t``), a sum's index used outside any sum over it, a learning rate (an update step, not a
  gradient). These are *wrong*, not unreadable: a teacher marks them, and says why;
- otherwise unreadable, unless an earlier side of the chain reads: then that side is graded, with a
  note, since a teacher reads a chain up to its last intelligible statement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import notation
from .lexer import _COMPARISON, ExprError, side_starts
from .nodes import Index, Node, Sum, Sym
from .parser import parse
from .symbols import Namespace
from .trees import children


@dataclass(frozen=True)
class Reading:
    tree: Node | None  # None when the answer is wrong as written (``wrong``)
    note: str | None = None  # said beside the verdict: which side of a chain was graded
    wrong: str | None = None  # why the answer, readable, is not the expression asked
    code: str | None = None  # the diagnosis code that goes with ``wrong``


_DERIVATIVE = re.compile(r"\\partial|∂|(?<![A-Za-z\\])d\s*[A-Za-z](?:_\{?[A-Za-z0-9,]+\}?)?\s*/\s*d\s*[A-Za-z]")
_UNKNOWN = re.compile(r"unknown symbol '([^']+)'")
_RATE = re.compile(r"(?<![A-Za-z\\])(?:\\?eta|η|\\?alpha|α|lr)(?![A-Za-z])")
_NESTED = re.compile(r"([A-Za-z]+)_\{\s*\\?[A-Za-z]+_\{([^{}]+)\}\s*\}")


def read_expression(text: str, ns: Namespace, derivatives: tuple = (), reference: Node | None = None) -> Reading:
    """The student's expression read as :class:`Reading`; raises :class:`ExprError` when no side reads."""
    text = _nested_indices(notation.rewrite(text, derivatives) if derivatives else text, ns)
    try:
        return Reading(_parsed(text, ns))
    except ExprError as exc:
        last = text[_last_equals(text):]
        wrong = _wrong_as_written(last, exc, ns, reference)
        if wrong is not None:
            return Reading(None, None, *wrong)
        if _COMPARISON.search(text):  # 5 == 5, x <= 1: a comparison, not a chain of equal sides
            raise
        for side in reversed(_sides(text)[-4:-1]):  # the chain's earlier sides, nearest first (three at most)
            try:
                tree = _parsed(side, ns)
            except ExprError:
                continue
            return Reading(tree, f"Your last side could not be read ({exc}), so the side before it, "
                                 f"{' '.join(side.split())}, was graded.")
        raise


def _parsed(text: str, ns: Namespace) -> Node:
    tree = parse(text, ns)
    _indices_are_steps(tree, ns)
    return tree


def _wrong_as_written(text: str, exc: ExprError, ns: Namespace, reference: Node | None) -> tuple[str, str] | None:
    """(why, code) when the last side is readable as a statement but is not the expression asked."""
    if not _balanced(text):  # a brace left open is a typo to fix, whatever else it seems to say
        return None
    if _DERIVATIVE.search(text):
        symbols = ", ".join(sorted(n for n, s in ns.symbols.items() if not s.integer))
        return (f"Your answer still has derivatives in it: work each one out, and write the result in the "
                f"part's symbols ({symbols}).", "unworked-derivative")
    unknown = _UNKNOWN.search(str(exc))
    rate = _RATE.search(text)
    if rate is not None and unknown is not None:
        return (f"{rate.group().lstrip(chr(92))} is not one of this part's symbols. If it is a learning rate, "
                "this is an update step (W − η·gradient); the question asks for the gradient itself.",
                "update-step")
    if unknown is not None and reference is not None and unknown.group(1) in _sum_variables(reference):
        var = unknown.group(1)
        return (f"{var} is used outside any sum over {var}, so it has no value: is the sum sign missing, or does "
                f"your sum run over another index?", "free-index")
    return None


def _balanced(text: str) -> bool:
    depth = []
    for ch in text:
        if ch in "({[":
            depth.append(")}]"["({[".index(ch)])
        elif ch in ")}]":
            if not depth or depth.pop() != ch:
                return False
    return not depth


def _sum_variables(tree: Node) -> set[str]:
    found = {tree.var} if isinstance(tree, Sum) else set()
    for _, child in children(tree):
        found |= _sum_variables(child)
    return found


def _nested_indices(text: str, ns: Namespace) -> str:
    """``g_{h_{t,i}}`` (g labelled by the h it reaches, as the seed sheet writes it) is ``g_{t,i}``: only where
    the outer name is declared with as many indices as the inner one has."""
    def flat(m: re.Match) -> str:
        symbol = ns.symbols.get(m.group(1))
        count = len(m.group(2).split(","))
        return f"{m.group(1)}_{{{m.group(2)}}}" if symbol is not None and len(symbol.index) == count > 1 else m.group()
    return _NESTED.sub(flat, text)


def _indices_are_steps(tree: Node, ns: Namespace, bound: frozenset[str] = frozenset()) -> None:
    """An index is a step: numbers, whole-number symbols (t, T) and sum variables; g_{W_hh,t} is not."""
    if isinstance(tree, Index):
        for index in tree.indices:
            for name in _names(index):
                symbol = ns.symbols.get(name)
                if name not in bound and name not in ns.dims and symbol is not None and not symbol.integer:
                    raise ExprError(f"{name} cannot be an index of {tree.name}: an index is a step, like t or i-1",
                                    tree.col)
    inner = bound | {tree.var} if isinstance(tree, Sum) else bound
    for field, child in children(tree):
        _indices_are_steps(child, ns, inner if field == "body" else bound)


def _names(tree: Node) -> set[str]:
    found = {tree.name} if isinstance(tree, (Sym, Index)) else set()
    for _, child in children(tree):
        found |= _names(child)
    return found


def _last_equals(text: str) -> int:
    sides = _sides(text)
    return len(text) - len(sides[-1])


def _sides(text: str) -> list[str]:
    """The sides of a chain ``a = b = c`` (an unbraced sum's ``sum_t=1^T`` is not a side)."""
    starts = side_starts(text)
    return [text[a:b - 1] for a, b in zip(starts, starts[1:])] + [text[starts[-1]:]]


def notation_example(ns: Namespace) -> str:
    """How to write this part's symbols, functions and sums, in its own names, for a student whose answer could
    not be read: a list of notations at fixed steps (h_1, g_{1,2}), never an expression that could be (or point
    at) the answer."""
    shown: list[str] = []
    first = vector = None
    for name, symbol in sorted(ns.symbols.items(), key=lambda kv: (len(kv[1].index), kv[0])):
        if symbol.integer:
            continue
        lows = [lo for lo, _ in symbol.index]
        if not symbol.index:
            shown.append(name)
        elif len(lows) == 1:
            shown.append(f"{name}_{lows[0] + 1}" if first else f"{name}_{{k+1}}")
            first = first or f"{name}_{lows[0] + 1}"
            if symbol.shape and vector is None:
                vector = f"{name}_{lows[0] + 1}"
        else:
            shown.append(f"{name}_{{{','.join(str(lo + k) for k, lo in enumerate(lows))}}}")
    shown = shown[:6]
    if first:
        top = next(iter(sorted(ns.dims)), "n")
        shown += [f"sigma({first}), tanh'({first})", f"sum_{{k=1}}^{{{top}}} {first.split('_')[0]}_k"]
    if vector:
        shown += [f"{vector}^T (transpose)", f"{vector} * {vector} (element-wise ⊙)",
                  f"{vector} {vector}^T (outer product)"]
    return "Write, for example: " + ", ".join(shown) if shown else ""


def _nodes(tree: Node):
    yield tree
    for _, child in children(tree):
        yield from _nodes(child)
