"""Walking and rebuilding expression trees, for the code that makes new trees from old ones (mutants of a
reference, the sum an ellipsis names). Nodes are frozen dataclasses; these helpers treat them alike."""
from __future__ import annotations

import dataclasses
from typing import Callable

from .nodes import Bin, Call, Index, Neg, Node, Num, Sum, Sym, Transpose, replace

NODES = (Num, Sym, Index, Call, Bin, Neg, Transpose, Sum)


def is_node(value: object) -> bool:
    return isinstance(value, NODES)


def children(node: Node) -> list[tuple]:
    """(field, child) of every child node; a field holding a tuple gives (name, i) for its i-th item."""
    fields = _NODE_FIELDS.get(type(node))
    if fields is None:  # not one of ours: every field looked at
        fields = node._fields
    out = []
    for name in fields:
        value = getattr(node, name)
        if isinstance(value, tuple):
            out += [((name, i), v) for i, v in enumerate(value) if isinstance(v, NODES)]
        elif isinstance(value, NODES):
            out.append((name, value))
    return out


# the fields that can hold nodes, by node class, in field order (a mutant search asks for children by the
# hundred thousand, and most fields are names, operators and columns)
_NODE_FIELDS = {Num: (), Sym: (), Index: ("indices",), Call: ("args",), Bin: ("left", "right"), Neg: ("operand",),
                Transpose: ("operand",), Sum: ("lo", "hi", "body")}


def rebuild(node: Node, fn: Callable[[Node], Node]) -> Node:
    """``node`` with ``fn`` applied to each of its children; ``node`` itself where no child changed (its hash kept,
    and no tree is copied to strip columns it does not have)."""
    changes = _changed_children(node, fn)
    return replace(node, **changes) if changes else node


def _changed_children(node: Node, fn: Callable[[Node], Node]) -> dict:
    changes = {}
    for name in _NODE_FIELDS.get(type(node), node._fields):
        value = getattr(node, name)
        if isinstance(value, tuple):
            new = tuple(fn(c) if is_node(c) else c for c in value)
            if any(a is not b for a, b in zip(new, value)):
                changes[name] = new
        elif is_node(value):
            new = fn(value)
            if new is not value:
                changes[name] = new
    return changes


def strip(node: Node) -> Node:
    """The tree without the columns it was written at: equal trees are the same expression, written alike. Each
    node is copied once, children and column changed together. A node remembers the answer (a wrong answer's tree
    is stripped three or four times, by its key and by each search by structure), and a stripped node that it is
    one already, so a tree is walked once: nodes are frozen, so neither can change."""
    values = node.__dict__
    known = values.get("_stripped")
    if known is not None:
        return node if known is _ALREADY else known
    changes = _changed_children(node, strip)
    if getattr(node, "col", 0):
        changes["col"] = 0
    if not changes:
        values["_stripped"] = _ALREADY
        return node
    stripped = replace(node, **changes)
    stripped.__dict__["_stripped"] = _ALREADY  # a marker, not the node itself: no cycle for the collector to find
    values["_stripped"] = stripped
    return stripped


_ALREADY = object()  # "_stripped" of a node with no columns anywhere below it


def replace_at(node: Node, path: tuple, new: Node) -> Node:
    """``node`` with the subtree at ``path`` (as :func:`children` names the steps) replaced by ``new``."""
    if not path:
        return new
    step, rest = path[0], path[1:]
    if isinstance(step, tuple):
        name, i = step
        items = list(getattr(node, name))
        items[i] = replace_at(items[i], rest, new)
        return replace(node, **{name: tuple(items)})
    return replace(node, **{step: replace_at(getattr(node, step), rest, new)})


def substitute(node: Node, var: str, value: Node) -> Node:
    """``node`` with the sum variable ``var`` replaced by ``value`` (an inner sum over ``var`` shadows it)."""
    if isinstance(node, Sym) and node.name == var:
        return value
    if isinstance(node, Sum) and node.var == var:
        return replace(node, lo=substitute(node.lo, var, value), hi=substitute(node.hi, var, value))
    return rebuild(node, lambda child: substitute(child, var, value))


def alike(a: Node, b: Node, visit: Callable[[Node, Node], bool]) -> bool:
    """``a`` and ``b`` the same kind of node with the same fields (columns aside), their children compared by
    ``visit``."""
    if type(a) is not type(b):
        return False
    for f in dataclasses.fields(a):
        if f.name == "col":
            continue
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple):
            if not isinstance(y, tuple) or len(x) != len(y) or not all(
                    visit(p, q) if is_node(p) else p == q for p, q in zip(x, y)):
                return False
        elif is_node(x):
            if not visit(x, y):
                return False
        elif x != y:
            return False
    return True
