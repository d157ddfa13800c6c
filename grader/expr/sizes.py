"""Sizes a student cannot see, and the answers written for one of them.

A part whose ``dims`` fix T = 4 without saying so in its prompt lets ``G_1 + G_2 + G_3 + G_4``
pass for ``sum_{t=1}^{T} G_t``: every test point has T = 4. ``validate`` names such sizes
(:func:`hard_codable`, :func:`stated`), and ``--selftest`` grades the reference written for one
size (:func:`written_for`), which must not pass.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Any

from .nodes import Bin, Node, Num, Sum, Sym
from .render import render
from .symbols import Namespace
from .trees import children, rebuild, substitute

MAX_TERMS = 12  # an unrolled sum longer than this is not a form a student writes out


def hard_codable(ns: Namespace, symbols_raw: dict[str, Any] | None, trees: list[Node]) -> list[str]:
    """The sizes an answer could write as a number: those in a shape, a sequence's index range, a whole-number
    symbol's range (t in [2, T]), or a bound of a sum in the spec's expressions."""
    used: set[str] = set()
    for raw in (symbols_raw or {}).values():
        spec = raw if isinstance(raw, dict) else {"shape": raw}
        for key in ("shape", "index", "range"):
            used |= _strings(spec.get(key))
    for tree in trees:
        used |= _bound_names(tree)
    return [name for name in ns.dims if name in used]


def stated(prompt: str, name: str, value: int) -> bool:
    """Does the prompt give the size: ``T = 4``, ``T=4``, ``T is 4``, or a variant's ``T = {T}``?"""
    return re.search(rf"(?<![A-Za-z_]){re.escape(name)}\s*(=|is)\s*({value}(?!\d)|\{{)", prompt) is not None


def written_for(tree: Node, ns: Namespace, name: str, value: int) -> list[tuple[str, str]]:
    """(label, text) of the reference written for ``name`` = ``value`` only: the size as a number
    (``sum_{t=1}^{4} G_t``), and every sum it bounds written out term by term (``G_1 + G_2 + G_3 + G_4``;
    a sum up to t, whose range ends at T, to its last term at T)."""
    here = ns.at({**{n: ns.dims[n] for n in ns.drawn}, name: value})
    numbered = _fold(substitute(tree, name, Num(float(value))))
    out = []
    if numbered != tree:
        out.append((f"the reference written for {name} = {value}", render(numbered)))
    tops = {n: int(s.range[1]) for n, s in here.symbols.items()
            if s.integer and s.shape == () and not s.is_sequence and _depends(ns, n, name)}
    unrolled = _unroll(numbered, tops)
    if unrolled is not None and unrolled != numbered:
        out.append((f"the reference written out for {name} = {value}", render(unrolled)))
    return out


def has_sum(node: Node) -> bool:
    return isinstance(node, Sum) or any(has_sum(child) for _, child in children(node))


def _depends(ns: Namespace, symbol: str, size: str) -> bool:
    """Does a whole-number symbol's range follow the size (t in [2, T])?"""
    raw = (ns.written[1] if ns.written else {}).get(symbol)
    return isinstance(raw, dict) and size in _strings(raw.get("range"))


def _unroll(node: Node, tops: dict[str, int]) -> Node | None:
    """Sums with a bound now a number (or a symbol capped at ``tops``) as their terms; None if one is too long."""
    if isinstance(node, Sum):
        lo, hi = _number(node.lo, {}), _number(node.hi, tops)
        body = _unroll(node.body, tops)
        if body is None:
            return None
        if lo is None or hi is None:
            return dataclasses.replace(node, body=body)
        if not 1 <= hi - lo + 1 <= MAX_TERMS:
            return None
        terms = [_fold(substitute(body, node.var, Num(float(k)))) for k in range(lo, hi + 1)]
        total = terms[0]
        for term in terms[1:]:
            total = Bin("+", total, term)
        return total
    failed = False

    def visit(child: Node) -> Node:
        nonlocal failed
        done = _unroll(child, tops)
        failed = failed or done is None
        return child if done is None else done

    rebuilt = rebuild(node, visit)
    return None if failed else rebuilt


def _number(node: Node, tops: dict[str, int]) -> int | None:
    node = _fold(node)
    if isinstance(node, Num) and node.value == int(node.value):
        return int(node.value)
    if isinstance(node, Sym) and node.name in tops:
        return tops[node.name]
    return None


def _fold(node: Node) -> Node:
    """Sums and differences of numbers worked out, so an index reads h_3, not h_{4-1}."""
    node = rebuild(node, _fold)
    if isinstance(node, Bin) and node.op in "+-" and isinstance(node.left, Num) and isinstance(node.right, Num):
        return Num(node.left.value + node.right.value if node.op == "+" else node.left.value - node.right.value)
    return node


def _bound_names(node: Node) -> set[str]:
    out: set[str] = set()
    if isinstance(node, Sum):
        for limit in (node.lo, node.hi):
            out |= _names(limit)
    for _, child in children(node):
        out |= _bound_names(child)
    return out


def _names(node: Node) -> set[str]:
    found = {node.name} if isinstance(node, Sym) else set()
    for _, child in children(node):
        found |= _names(child)
    return found


def _strings(raw: Any) -> set[str]:
    if isinstance(raw, str):
        return {raw}
    if isinstance(raw, list):
        return set().union(*(_strings(item) for item in raw)) if raw else set()
    return set()
