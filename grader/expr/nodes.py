"""The expression tree. Every node remembers the column it started at, for messages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Num:
    value: float
    col: int = 0


@dataclass(frozen=True)
class Sym:
    """A declared symbol (``W_hh``), a constant (``pi``), a dimension (``T``) or a sum's variable (``i``)."""

    name: str
    col: int = 0


@dataclass(frozen=True)
class Index:
    """An element of a declared sequence: ``h_{i-1}``, ``g_{t,i}``."""

    name: str
    indices: tuple["Node", ...]
    col: int = 0


@dataclass(frozen=True)
class Call:
    """A function, ``order`` times differentiated: ``sigma'(z_i)`` is Call("sigma", (z_i,), 1)."""

    fn: str
    args: tuple["Node", ...]
    order: int = 0
    col: int = 0


@dataclass(frozen=True)
class Bin:
    """``+ -``, ``@`` (linear-algebra product: juxtaposition, ·, ×), ``*`` (element-wise), ``/``, ``^``."""

    op: str
    left: "Node"
    right: "Node"
    col: int = 0


@dataclass(frozen=True)
class Neg:
    operand: "Node"
    col: int = 0


@dataclass(frozen=True)
class Transpose:
    operand: "Node"
    col: int = 0


@dataclass(frozen=True)
class Sum:
    """``sum_{var=lo}^{hi} body``, or with ``product`` set ``prod_{var=lo}^{hi} body`` (of numbers only)."""

    var: str
    lo: "Node"
    hi: "Node"
    body: "Node"
    col: int = 0
    product: bool = False


Node = Union[Num, Sym, Index, Call, Bin, Neg, Transpose, Sum]
