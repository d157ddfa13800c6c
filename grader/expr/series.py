"""The sum an ellipsis names: ``G_1 + G_2 + ... + G_T`` is Σ_{k=1}^{T} G_k, and
``g_{t,1} h_0 + ... + g_{t,t} h_{t-1}`` is Σ_{k=1}^{t} g_{t,k} h_{k-1}."""
from __future__ import annotations

from .nodes import Bin, Node, Num, Sum, Sym
from .trees import alike, rebuild, strip


def series(first: Node, last: Node, var: str, second: Node | None = None) -> Sum | None:
    """The sum whose first term is ``first`` and last is ``last``: where they differ, ``first`` has whole
    numbers n + c and ``last`` an expression e + c with the same e (c = -1, 0, 1); ``second``, if given,
    must be the term for n + 1. None if the terms name no such sum."""
    pairs: list[tuple[Node, Node]] = []
    if not _align(first, last, pairs) or not pairs:
        return None
    lo = pairs[0][0].value if isinstance(pairs[0][0], Num) else None
    if lo is None or lo != int(lo):
        return None
    hi = None
    for a, b in pairs:
        if not isinstance(a, Num) or a.value != int(a.value) or abs(a.value - lo) > 1:
            return None
        offset = a.value - lo
        base = b if offset == 0 else _unshift(b, offset)
        if base is None or (hi is not None and strip(base) != strip(hi)):
            return None
        hi = hi or base
    template = _fill(first, {id(a): a.value - lo for a, _ in pairs}, var)
    if second is not None and not _matches(template, second, var, lo + 1):
        return None
    return Sum(var, Num(float(lo)), hi, template)


def _align(a: Node, b: Node, out: list[tuple[Node, Node]]) -> bool:
    """Walk two terms together, collecting where they differ (a number in ``a``); False if they differ in
    anything else."""
    if strip(a) == strip(b):
        return True
    if isinstance(a, Num):
        out.append((a, b))
        return True
    return alike(a, b, lambda x, y: _align(x, y, out))


def _unshift(node: Node, offset: float) -> Node | None:
    """``e`` from ``e + offset`` as written (``t-1`` with offset -1 is ``t``)."""
    if isinstance(node, Bin) and node.op in "+-" and isinstance(node.right, Num) \
            and (node.right.value if node.op == "+" else -node.right.value) == offset:
        return node.left
    if isinstance(node, Num):
        return Num(node.value - offset)
    return None


def _fill(node: Node, at: dict[int, float], var: str) -> Node:
    """``node`` with the numbers whose ids are in ``at`` replaced by ``var`` plus their offset."""
    if id(node) in at:
        offset = at[id(node)]
        return Sym(var) if offset == 0 else Bin("+" if offset > 0 else "-", Sym(var), Num(abs(offset)))
    return rebuild(node, lambda child: _fill(child, at, var))


def _matches(template: Node, node: Node, var: str, value: float) -> bool:
    """Is ``node`` the template's term for ``var = value``?"""
    if isinstance(template, Sym) and template.name == var:
        return isinstance(node, Num) and node.value == value
    if isinstance(template, Bin) and isinstance(template.left, Sym) and template.left.name == var \
            and isinstance(template.right, Num) and template.op in "+-":
        want = value + template.right.value if template.op == "+" else value - template.right.value
        return isinstance(node, Num) and node.value == want
    return alike(template, node, lambda x, y: _matches(x, y, var, value))
