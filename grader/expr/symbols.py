"""What names mean in an answer: the part's declared symbols, its dimensions, functions, constants.

A part declares ``dims: {n: 3, T: 4}`` and ``symbols``, each one of:

- ``scalar``, or a shape ``[n]`` (a column vector) / ``[n, m]`` (a matrix), dims by name or number;
- a mapping ``{shape: ..., index: [lo, hi]}`` for a sequence (``h_0 .. h_T``), or
  ``index: [[1, T], [1, T]]`` for a doubly indexed one (``g_{t,i}``);
- optionally ``range: [lo, hi]`` for values drawn when sampling, and ``integer: true``.

Dimensions are integer constants in answers too (``T`` in ``sum_{t=1}^{T}``).

A size may be a range, ``T: [3, 6]``: each test point then draws its own T (see
:func:`size_schedule`), so an answer written for one length (``G_1 + G_2 + G_3 + G_4``) shows
itself. The namespace holds one *representative* value of each drawn size, chosen apart from
the other sizes so that shapes inferred there fit at every size; :meth:`Namespace.at` gives the
namespace at a test point's sizes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .functions import ALIASES, FUNCTIONS
from ..errors import PathProblem, quote

CONSTANTS = {"pi", "e"}
DEFAULT_RANGE = (-2.0, 2.0)
MAX_RANGE = 1e6
MAX_VALUES = 1_000_000  # numbers in one symbol (a sequence of matrices counts them all)
MAX_DRAWN = 8  # values a drawn size may take: each must turn up at several of a part's test points


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
    dims: dict[str, int] = field(default_factory=dict)  # a drawn size: its representative value
    drawn: dict[str, tuple[int, int]] = field(default_factory=dict)  # sizes drawn per test point: [lo, hi]
    written: tuple = field(default=(), compare=False, repr=False)  # (dims, symbols) as written, to rebuild at sizes
    _at: dict = field(default_factory=dict, compare=False, repr=False)  # sizes -> Namespace, built once

    @cached_property
    def plain_names(self) -> frozenset[str]:
        """Names a run of letters can be split into: symbols without '_', dims, functions, constants (made once:
        every answer's parse asks)."""
        return frozenset({n for n in self.symbols if "_" not in n} | set(self.dims) | set(FUNCTIONS) | set(ALIASES)
                         | CONSTANTS)

    @cached_property
    def size_names(self) -> dict[int, str]:
        """The representative of each drawn size, by value, where no other size or written shape shares it: how
        feedback names a size that varies between test points (an n-vector, not a 5-vector)."""
        if not self.drawn:
            return {}
        values = list(self.dims.values()) + sorted(_written_sizes(self.written[1] if self.written else {}))
        return {self.dims[n]: n for n in self.drawn if values.count(self.dims[n]) == 1}

    def at(self, sizes: dict[str, int]) -> "Namespace":
        """The namespace at one test point's sizes (shapes, index and value ranges follow them), every size
        fixed; itself where nothing is drawn."""
        if not self.drawn:
            return self
        key = tuple(sorted((n, int(sizes[n])) for n in self.drawn))
        found = self._at.get(key)
        if found is None:
            dims_raw, symbols_raw = self.written
            found = _build({**dims_raw, **dict(key)}, symbols_raw)
            if len(self._at) > 256:
                self._at.clear()
            self._at[key] = found
        return found


def size_schedule(ns: Namespace, seed: int, count: int) -> list[dict[str, int]]:
    """The sizes of ``count`` test points: each drawn size runs through its values in blocks, every block a
    fresh seeded permutation, so any first few points hold every value about equally often, and two sizes
    are shuffled independently (a length is not tied to a width)."""
    if not ns.drawn:
        return [{} for _ in range(count)]
    rng = np.random.default_rng(seed)
    columns = {}
    for name, (lo, hi) in ns.drawn.items():
        values: list[int] = []
        while len(values) < count:
            values += [int(v) for v in rng.permutation(np.arange(lo, hi + 1))]
        columns[name] = values[:count]
    return [{name: column[k] for name, column in columns.items()} for k in range(count)]


def shape_cases(ns: Namespace, sizes: list[dict[str, int]]) -> list[dict[str, int]]:
    """Of these drawn sizes, one of each case where a shape may fit or not otherwise than at the representative
    sizes. Whether shapes fit depends only on which sizes in shapes equal each other, 1, or a number written in a
    shape (n = m makes W_hx square), so one set of sizes per such pattern stands for all."""
    written = ns.written[1] if ns.written else {}
    used = sorted(_shape_names(written))
    constants = sorted(_written_sizes(written) | {1})

    def pattern(at: dict[str, int]) -> tuple[int, ...]:
        values = [at.get(n, ns.dims.get(n)) for n in used] + constants
        return tuple(values.index(v) for v in values)

    seen = {pattern(ns.dims)}
    out = []
    for at in sizes:
        key = pattern(at)
        if key not in seen:
            seen.add(key)
            out.append(at)
    return out


def _shape_names(symbols_raw: Any) -> set[str]:
    out: set[str] = set()
    for raw in (symbols_raw or {}).values():
        shape = raw.get("shape") if isinstance(raw, dict) else raw
        if isinstance(shape, list):
            out |= {v for v in shape if isinstance(v, str)}
    return out


def draw_sizes(ns: Namespace, rng: np.random.Generator) -> dict[str, int]:
    """Sizes for one random point (uniform over each range)."""
    return {name: int(rng.integers(lo, hi + 1)) for name, (lo, hi) in ns.drawn.items()}


def scalars(names: list[str], value_range: tuple[float, float] = DEFAULT_RANGE) -> Namespace:
    """A namespace of plain real scalars (the usual single-variable homework answer)."""
    return Namespace({n: Symbol(n, range=value_range) for n in names})


def build_namespace(dims_raw: dict[str, Any] | None, symbols_raw: dict[str, Any] | None) -> Namespace:
    """From a spec's ``dims`` and ``symbols``; raises :class:`SymbolSpecError` with a path into the part.

    A size written ``[lo, hi]`` is drawn per test point; the symbols are checked at the smallest and the
    largest sizes, and the namespace returned holds a representative of each (see :func:`_representatives`)."""
    fixed: dict[str, int] = {}
    drawn: dict[str, tuple[int, int]] = {}
    for name, value in (dims_raw or {}).items():
        if isinstance(value, list) and len(value) == 2 and all(_whole(v) for v in value):
            lo, hi = int(value[0]), int(value[1])
            if not 1 <= lo < hi <= 1000:
                raise SymbolSpecError(("dims", name), f"a drawn size is [lo, hi] with 1 <= lo < hi <= 1000, not "
                                                      f"{value} (write one number for a size that does not vary)")
            if hi - lo + 1 > MAX_DRAWN:
                raise SymbolSpecError(("dims", name), f"{name} may take at most {MAX_DRAWN} values, so that each "
                                                      f"turns up at several test points; [{lo}, {hi}] has {hi - lo + 1}")
            drawn[name] = (lo, hi)
        elif not _whole(value) or not 1 <= value <= 1000:
            raise SymbolSpecError(("dims", name), f"dimension {name} must be a whole number from 1 to 1000, or a "
                                                  "range [lo, hi] to draw it per test point")
        else:
            fixed[name] = int(value)
    if not drawn:
        return _build(fixed, symbols_raw)
    dims_order = list((dims_raw or {}))
    for pick in (0, 1):  # the symbols must make sense at every size: the extremes show a range too long or empty
        _build({n: (drawn[n][pick] if n in drawn else fixed[n]) for n in dims_order}, symbols_raw)
    chosen = _representatives(fixed, drawn, symbols_raw)
    ns = _build({n: chosen.get(n, fixed.get(n)) for n in dims_order}, symbols_raw)
    return Namespace(ns.symbols, ns.dims, drawn, ({n: chosen.get(n, fixed.get(n)) for n in dims_order},
                                                  symbols_raw or {}))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _representatives(fixed: dict[str, int], drawn: dict[str, tuple[int, int]], symbols_raw: Any) -> dict[str, int]:
    """A value of each drawn size that no other size, no number written in a shape, and not 1 takes, where the
    ranges allow: shapes inferred with these sizes fit at every size (an n×m matrix times an n-vector is an
    error even at a point where n = m)."""
    taken = {1} | set(fixed.values()) | _written_sizes(symbols_raw)
    chosen: dict[str, int] = {}
    for name, (lo, hi) in drawn.items():
        free = [v for v in range(hi, lo - 1, -1) if v not in taken]
        chosen[name] = free[0] if free else hi
        taken.add(chosen[name])
    return chosen


def _written_sizes(symbols_raw: Any) -> set[int]:
    out: set[int] = set()
    for raw in (symbols_raw or {}).values():
        shape = raw.get("shape") if isinstance(raw, dict) else raw
        if isinstance(shape, list):
            out |= {v for v in shape if _whole(v)}
    return out


def _build(dims: dict[str, int], symbols_raw: dict[str, Any] | None) -> Namespace:
    """The namespace at these sizes, every one fixed."""
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
    return Namespace(symbols, dims, written=(dict(dims), symbols_raw or {}))


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
