"""The expression tree. Every node remembers the column it started at, for messages.

Nodes are frozen dataclasses whose hash is computed once and kept: trees are put in sets and dicts by the
thousand (a reference's mutants, looked up by structure), and a dataclass's own hash walks the whole tree
each time. The kept hash never leaves the process (string hashes differ between processes).
"""
from __future__ import annotations

from dataclasses import dataclass as _dataclass
from typing import Any, Union


_KEPT = ("_hash", "_stripped")  # what a node remembers of itself: its hash, and its tree without columns (trees.strip)


def node(cls):
    """A node class: a frozen dataclass that keeps its hash once computed (never pickled), and lists its
    fields' names in ``_fields`` for the tree walks. Each class writes its own ``__init__`` (the dataclass keeps
    it): filling ``__dict__`` takes half the time of a frozen dataclass's ``object.__setattr__`` per field, and
    parsing and the mutant search make nodes by the thousand."""
    cls = _dataclass(frozen=True)(cls)
    plain = cls.__hash__

    def __hash__(self) -> int:
        values = self.__dict__
        if "_hash" in values:
            return values["_hash"]
        value = values["_hash"] = plain(self)  # a new node (a mutant search makes them by the ten thousand): no
        return value  # exception raised and caught for it, as a try would

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in _KEPT}

    cls.__hash__, cls.__getstate__ = __hash__, __getstate__
    cls._fields = tuple(cls.__dataclass_fields__)
    return cls


def replace(node: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` for nodes, without its checks (a mutant search makes tens of thousands)."""
    new = object.__new__(type(node))
    values = new.__dict__
    values.update(node.__dict__)
    values.pop("_hash", None)  # what the node remembered of itself (_KEPT) is not the copy's
    values.pop("_stripped", None)
    values.update(changes)
    return new


@node
class Num:
    value: float
    col: int = 0

    def __init__(self, value: float, col: int = 0) -> None:
        d = self.__dict__
        d["value"], d["col"] = value, col


@node
class Sym:
    """A declared symbol (``W_hh``), a constant (``pi``), a dimension (``T``) or a sum's variable (``i``)."""

    name: str
    col: int = 0

    def __init__(self, name: str, col: int = 0) -> None:
        d = self.__dict__
        d["name"], d["col"] = name, col


@node
class Index:
    """An element of a declared sequence: ``h_{i-1}``, ``g_{t,i}``."""

    name: str
    indices: tuple["Node", ...]
    col: int = 0

    def __init__(self, name: str, indices: tuple, col: int = 0) -> None:
        d = self.__dict__
        d["name"], d["indices"], d["col"] = name, indices, col


@node
class Call:
    """A function, ``order`` times differentiated: ``sigma'(z_i)`` is Call("sigma", (z_i,), 1)."""

    fn: str
    args: tuple["Node", ...]
    order: int = 0
    col: int = 0

    def __init__(self, fn: str, args: tuple, order: int = 0, col: int = 0) -> None:
        d = self.__dict__
        d["fn"], d["args"], d["order"], d["col"] = fn, args, order, col


@node
class Bin:
    """``+ -``, ``@`` (linear-algebra product: juxtaposition, ·, ×), ``*`` (element-wise), ``/``, ``^``."""

    op: str
    left: "Node"
    right: "Node"
    col: int = 0

    def __init__(self, op: str, left: Node, right: Node, col: int = 0) -> None:
        d = self.__dict__
        d["op"], d["left"], d["right"], d["col"] = op, left, right, col


@node
class Neg:
    operand: "Node"
    col: int = 0

    def __init__(self, operand: Node, col: int = 0) -> None:
        d = self.__dict__
        d["operand"], d["col"] = operand, col


@node
class Transpose:
    operand: "Node"
    col: int = 0

    def __init__(self, operand: Node, col: int = 0) -> None:
        d = self.__dict__
        d["operand"], d["col"] = operand, col


@node
class Sum:
    """``sum_{var=lo}^{hi} body``, or with ``product`` set ``prod_{var=lo}^{hi} body`` (of numbers only)."""

    var: str
    lo: "Node"
    hi: "Node"
    body: "Node"
    col: int = 0
    product: bool = False

    def __init__(self, var: str, lo: Node, hi: Node, body: Node, col: int = 0, product: bool = False) -> None:
        d = self.__dict__
        d["var"], d["lo"], d["hi"], d["body"], d["col"], d["product"] = var, lo, hi, body, col, product


Node = Union[Num, Sym, Index, Call, Bin, Neg, Transpose, Sum]
