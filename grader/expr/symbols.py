"""What names mean in an answer: the part's declared symbols, its dimensions, functions, constants.

A part declares ``dims: {n: 3, T: 4}`` and ``symbols``, each one of:

- ``scalar``, or a shape ``[n]`` (a column vector) / ``[n, m]`` (a matrix), dims by name or number;
- a mapping ``{shape: ..., index: [lo, hi]}`` for a sequence (``h_0 .. h_T``), or
  ``index: [[1, T], [1, T]]`` for a doubly indexed one (``g_{t,i}``);
- optionally ``range: [lo, hi]`` for values drawn when sampling, and ``integer: true``.

Dimensions are integer constants in answers too (``T`` in ``sum_{t=1}^{T}``).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from .functions import ALIASES, FUNCTIONS
from ..errors import PathProblem, quote

CONSTANTS = {"pi", "e"}
DEFAULT_RANGE = (-2.0, 2.0)
MAX_RANGE = 1e6
MAX_VALUES = 1_000_000  # numbers in one symbol (a sequence of matrices counts them all)


class SymbolSpecError(PathProblem):
    """A part's ``symbols`` or ``dims`` cannot be read; ``path`` is relative to the part."""


@dataclass(frozen=True)
class Symbol:
    name: str
    shape: tuple[int, ...] = ()  # () scalar, (n, 1) column vector, (r, c) matrix
    index: tuple[tuple[int, int], ...] = ()  # inclusive index ranges of a sequence; () if not one
    integer: bool = False
    range: tuple[float, float] = DEFAULT_RANGE

    @property
    def is_sequence(self) -> bool:
        return bool(self.index)


@dataclass(frozen=True)
class Namespace:
    symbols: dict[str, Symbol] = field(default_factory=dict)
    dims: dict[str, int] = field(default_factory=dict)

    def plain_names(self) -> set[str]:
        """Names a run of letters can be split into: symbols without '_', dims, functions, constants."""
        return {n for n in self.symbols if "_" not in n} | set(self.dims) | set(FUNCTIONS) | set(ALIASES) | CONSTANTS


def scalars(names: list[str], value_range: tuple[float, float] = DEFAULT_RANGE) -> Namespace:
    """A namespace of plain real scalars (the usual single-variable homework answer)."""
    return Namespace({n: Symbol(n, range=value_range) for n in names})


def build_namespace(dims_raw: dict[str, Any] | None, symbols_raw: dict[str, Any] | None) -> Namespace:
    """From a spec's ``dims`` and ``symbols``; raises :class:`SymbolSpecError` with a path into the part."""
    dims: dict[str, int] = {}
    for name, value in (dims_raw or {}).items():
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
            raise SymbolSpecError(("dims", name), f"dimension {name} must be a whole number from 1 to 1000")
        dims[name] = int(value)
    symbols: dict[str, Symbol] = {}
    for name, raw in (symbols_raw or {}).items():
        where = ("symbols", name)
        if name in FUNCTIONS or name in dims:
            raise SymbolSpecError(where, f"{quote(name)} is already a {'function' if name in FUNCTIONS else 'dimension'}")
        spec = raw if isinstance(raw, dict) else {"shape": raw}
        shape = _shape(spec.get("shape", "scalar"), dims, where + ("shape",) if isinstance(raw, dict) else where)
        index = _index(spec.get("index"), dims, where + ("index",))
        lo_hi = spec.get("range", DEFAULT_RANGE)
        value_range = (_size(lo_hi[0], dims, where + ("range",), number=True),
                       _size(lo_hi[1], dims, where + ("range",), number=True))
        if not value_range[0] <= value_range[1] or max(map(abs, value_range)) > MAX_RANGE:
            raise SymbolSpecError(where + ("range",), f"range is [lo, hi] with lo <= hi, within ±{MAX_RANGE:g}")
        integer = bool(spec.get("integer", False))
        if integer and math.floor(value_range[1]) < math.ceil(value_range[0]):
            raise SymbolSpecError(where + ("range",), f"no whole number lies in the range {list(value_range)}")
        size = math.prod(hi - lo + 1 for lo, hi in index) * math.prod(shape)
        if size > MAX_VALUES:
            raise SymbolSpecError(where, f"{name} holds {size:,} numbers; at most {MAX_VALUES:,}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)?", name):
            raise SymbolSpecError(where, f"{quote(name)} is not a symbol name: letters, then optionally _ and a "
                                         "subscript (W_hh)")
        symbols[name] = Symbol(name, shape, index, integer, value_range)
    return Namespace(symbols, dims)


def _shape(raw: Any, dims: dict[str, int], where: tuple) -> tuple[int, ...]:
    if raw == "scalar" or raw == [] or raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) not in (1, 2):
        raise SymbolSpecError(where, "a shape is scalar, [n] (a column vector) or [rows, columns]")
    sizes = [_size(d, dims, where) for d in raw]
    return (sizes[0], 1) if len(sizes) == 1 else (sizes[0], sizes[1])


def _index(raw: Any, dims: dict[str, int], where: tuple) -> tuple[tuple[int, int], ...]:
    if raw is None:
        return ()
    pairs = raw if raw and isinstance(raw[0], list) else [raw]
    out = []
    for pair in pairs:
        if not isinstance(pair, list) or len(pair) != 2:
            raise SymbolSpecError(where, "index is [lo, hi], or a list of [lo, hi] for several indices")
        lo, hi = (_size(x, dims, where, number=True) for x in pair)
        if lo > hi or hi - lo > 10_000:
            raise SymbolSpecError(where, f"index range [{lo}, {hi}] is empty or too long")
        out.append((int(lo), int(hi)))
    return tuple(out)


def _size(raw: Any, dims: dict[str, int], where: tuple, number: bool = False) -> int:
    if isinstance(raw, str):
        if raw not in dims:
            raise SymbolSpecError(where, f"unknown dimension {quote(raw)} (declare it under dims)")
        return dims[raw]
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise SymbolSpecError(where, f"{quote(raw)} is not a size")
    if not number and (raw != int(raw) or raw < 1):
        raise SymbolSpecError(where, f"a size must be a positive whole number, not {quote(raw)}")
    return raw if number else int(raw)
