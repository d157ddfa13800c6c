"""Deciding equivalence numerically: evaluate both sides at the same points and compare.

Points are random bindings of the symbols (seeded, so a verdict is reproducible), or
instances built by a solver. A point where either side is undefined (NaN, infinity) is
skipped and another drawn, a bounded number of times, as the established checkers do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import clock
from ..tolerance import Tolerance, within
from .evaluate import Bindings, Evaluator, NeedsPointwise, Value, quiet
from .lexer import ExprError
from .nodes import Node
from .parser import parse
from .shapes import infer
from .symbols import Namespace, draw_sizes, scalars

DEFAULT_TOLERANCE = Tolerance(rtol=1e-6)  # plus an absolute floor scaled to the reference: see closeness
POINTS = 8
MAX_TRIES = 64


def random_bindings(ns: Namespace, rng: np.random.Generator, sizes: dict[str, int] | None = None) -> Bindings:
    """Values for every declared symbol, drawn from its range (whole numbers where it says so); where the part
    draws sizes, at ``sizes`` (drawn here if not given), which the point then carries."""
    out = Bindings()
    if ns.drawn:
        sizes = dict(sizes) if sizes else draw_sizes(ns, rng)
        out.dims = sizes
        ns = ns.at(sizes)
    for name, symbol in ns.symbols.items():
        lo, hi = symbol.range
        lead = tuple(b - a + 1 for a, b in symbol.index)
        size = lead + symbol.shape
        if symbol.integer:
            drawn = rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, size=size).astype(float)
        else:
            drawn = rng.uniform(lo, hi, size=size)
        if symbol.is_sequence:
            out.sequences[name] = (tuple(a for a, _ in symbol.index), drawn)
        else:
            out.values[name] = float(drawn) if symbol.shape == () else drawn
    return out


def value_at(tree: Node, ns: Namespace, point: Bindings, deadline: float) -> Value | None:
    """The value at one point, or None where it is undefined (NaN or infinite anywhere).

    Call inside :func:`grader.expr.evaluate.quiet`."""
    value = Evaluator(ns, point, deadline).run(tree)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    array = np.asarray(value, dtype=float)
    return value if np.all(np.isfinite(array)) else None


def same(a: Value, b: Value, tol: Tolerance) -> bool:
    """Entry by entry within tolerance, ``b`` the reference."""
    if isinstance(a, float) and isinstance(b, float):
        return within(a, b, tol)
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        return False
    return all(within(float(x), float(y), tol) for x, y in zip(a_arr.ravel(), b_arr.ravel()))


@dataclass
class Sampled:
    """Values of several expressions at the same points (None where an expression is undefined).

    Tree 0 is the student's, trees ``1 .. required-1`` the references, the rest known mistakes.
    ``reference_defined`` counts the draws where every reference was defined, ``both_defined``
    those where the student's answer was too: an answer defined on only part of the reference's
    domain (ln x for ln|x|) is not equal to it.
    """

    points: list[Bindings]
    values: list[list[Value | None]]  # values[k][j]: expression k at point j
    reference_defined: int = 0
    both_defined: int = 0

    def problem(self) -> str | None:
        """Why the points cannot show the student's answer right, or None if they can."""
        if self.reference_defined and self.both_defined < DOMAIN_SHARE * self.reference_defined:
            return ("Your expression is undefined at many points where the right answer is defined "
                    "(a logarithm or square root of a negative number, or a division by zero?).")
        if len(self.points) < MIN_POINTS:
            return ("Your expression is not defined at enough of the test points to be compared "
                    "(a logarithm or square root of a negative number, or a division by zero?).")
        return None


class ReferenceFailed(Exception):
    """A reference expression could not be evaluated: the spec's fault, never the student's."""


DOMAIN_SHARE = 0.25  # the student's answer must be defined on a quarter of the points where the reference is
MIN_POINTS = 3


@dataclass(frozen=True)
class Candidates:
    """The candidate points of batched sampling, and the values there of every tree but the student's (the
    references and listed mistakes): the same for every answer to a part, so drawn and evaluated once per part
    (see :func:`candidates`), not once per answer."""

    columns: dict[str, np.ndarray]
    values: tuple[np.ndarray, ...]  # trees 1.. of :func:`sample`, at every candidate point
    lows: dict = field(default_factory=dict)  # each sequence's lowest index per axis (see ``_lows``)
    usual: dict = field(default_factory=dict, compare=False, repr=False)  # (need, required) -> _Usual, made once

    def usual_points(self, need: int, required: int) -> "_Usual":
        """The points an answer defined wherever the references are gets, and what is kept there: the same
        for most answers to a part, so made once."""
        found = self.usual.get((need, required))
        if found is None:
            reference_ok = np.all([_defined(v) for v in self.values[:required - 1]], axis=0)
            chosen = np.flatnonzero(reference_ok)[:need]
            found = self.usual[(need, required)] = _Usual(reference_ok, int(np.count_nonzero(reference_ok)), chosen,
                                                          _points(self.columns, chosen, self.lows),
                                                          _kept(self.values, chosen))
        return found


@dataclass(frozen=True)
class _Usual:
    reference_ok: np.ndarray  # at every candidate point: are the references defined there?
    defined: int  # how many are
    chosen: np.ndarray  # the first ``need`` of them
    points: list  # Bindings there, shared (read only) by the answers that get them
    kept: list  # the fixed trees' values there, shared as well


def candidates(fixed: list[Node], ns: Namespace, seed: int, tries: int = MAX_TRIES, required: int = 2,
               seconds: float = 2.0) -> Candidates | None:
    """What :func:`sample` draws and evaluates for ``fixed`` (its trees after the student's) at every answer, made
    once; None where it samples point by point, or a reference fails (each answer's sampling then says so)."""
    if not _batches(ns):
        return None
    columns = _columns(ns, np.random.default_rng(seed), tries)
    try:
        with quiet():
            values = [np.array(v) for v in _evaluated(fixed, ns, columns, clock.now() + seconds, tries, required, 1)]
    except (NeedsPointwise, ReferenceFailed):
        return None
    for array in values + list(columns.values()):
        array.setflags(write=False)  # shared by every answer of the part
    return Candidates(columns, tuple(values), _lows(ns))


def sample(trees: list[Node], ns: Namespace, seed: int, need: int = POINTS, tries: int = MAX_TRIES,
           required: int = 2, seconds: float = 1.0, prepared: Candidates | None = None) -> Sampled:
    """Draw points until ``need`` of them have the student's and the reference's values defined;
    known mistakes (the trees after ``required``) are evaluated at the same points. ``prepared``: the
    :func:`candidates` of ``trees[1:]``, made once, so only the student's tree is evaluated here."""
    deadline = clock.now() + seconds
    with quiet():
        if not _batches(ns):
            return _sample_pointwise(trees, ns, np.random.default_rng(seed), deadline, need, tries, required)
        usable = prepared is not None and len(prepared.values) == len(trees) - 1
        rng = None if usable else np.random.default_rng(seed)
        try:
            return _sample_batched(trees, ns, rng, deadline, need, tries, required, prepared if usable else None)
        except NeedsPointwise:  # e.g. a sum whose bounds depend on a symbol: one point at a time
            if rng is None:  # the candidates were drawn once: draw them again, to go on from the same state
                rng = np.random.default_rng(seed)
                _columns(ns, rng, tries)
            return _sample_pointwise(trees, ns, rng, deadline, need, tries, required)


def _batches(ns: Namespace) -> bool:
    """Are all candidate points evaluated at once? Where no size is drawn (a drawn size is a constant only per
    point) and no symbol is a single entry (a (1, 1) array, which a stacked evaluation could not tell from a
    number). Plain numbers are batched as vectors; where a symbol is a vector, a matrix or a sequence, every value
    is stacked, the point first (see ``Evaluator``); an index or a sum's bound that differs from point to point
    sends the evaluation back to one point at a time."""
    symbols = ns.symbols.values()
    return not ns.drawn and all(s.shape != (1, 1) and max(s.shape, default=1) <= MAX_BATCHED_SIDE for s in symbols) \
        and sum(math.prod(s.shape) * math.prod(b - a + 1 for a, b in s.index) for s in symbols) <= MAX_BATCHED_ENTRIES


# Every candidate point at once costs more than the points one by one where arrays are large (one answer of a 64x64
# matrix part: 1.45 ms, against 0.70 ms; 32x32: 0.39 against 0.52; 16x16: 0.16 against 0.45), and a part keeps its
# candidates' values (each variant's, for a part drawn per student): a side of 16 bounds any product to 256 entries a
# point, and 256 entries of symbols a point bound the candidates' columns to 128 KB a part.
MAX_BATCHED_SIDE = 16
MAX_BATCHED_ENTRIES = 256  # every symbol's entries at one point together, a sequence's elements all counted


def _all_plain_scalars(ns: Namespace) -> bool:
    return all(s.shape == () and not s.is_sequence for s in ns.symbols.values())


def _columns(ns: Namespace, rng: np.random.Generator, tries: int) -> dict[str, np.ndarray]:
    """Each symbol's values at ``tries`` candidate points: a vector of numbers where every symbol is a number, else
    stacked arrays (a number as (tries, 1, 1), a vector as (tries, n, 1), a matrix as (tries, r, c), a sequence's
    elements after the point and before their shape: (tries, T, n, 1) for vectors h_0 .. h_{T-1})."""
    stacked = not _all_plain_scalars(ns)
    columns = {}
    for name, symbol in ns.symbols.items():
        lo, hi = symbol.range
        lead = tuple(b - a + 1 for a, b in symbol.index)
        size = (tries,) + lead + (symbol.shape or ((1, 1) if stacked else ()))
        columns[name] = (rng.integers(int(np.ceil(lo)), int(np.floor(hi)) + 1, size=size).astype(float)
                         if symbol.integer else rng.uniform(lo, hi, size=size))
    return columns


def _lows(ns: Namespace) -> dict[str, tuple[int, ...]]:
    """Each sequence's lowest index per axis, as a point's bindings carry it."""
    return {name: tuple(a for a, _ in s.index) for name, s in ns.symbols.items() if s.is_sequence}


def _bindings(columns: dict[str, np.ndarray], lows: dict[str, tuple[int, ...]]) -> Bindings:
    return Bindings(values={n: c for n, c in columns.items() if n not in lows},
                    sequences={n: (lows[n], c) for n, c in columns.items() if n in lows})


def _defined(values: np.ndarray) -> np.ndarray:
    """At each candidate point: is the value defined there (every entry finite)?"""
    finite = np.isfinite(values)
    return finite if finite.ndim == 1 else finite.reshape(len(finite), -1).all(axis=1)


def _sample_batched(trees, ns, rng, deadline, need, tries, required, prepared: Candidates | None = None) -> Sampled:
    """All candidate points at once: each symbol bound to its values at ``tries`` points (see :func:`_columns`),
    each tree evaluated once with numpy (the student's only, if ``prepared``); then the first ``need`` points where
    the required trees are defined."""
    if prepared is not None:
        columns, fixed, trees = prepared.columns, list(prepared.values), trees[:1]
    else:
        columns, fixed = _columns(ns, rng, tries), []
    values = _evaluated(trees, ns, columns, deadline, tries, required) + fixed
    student_ok = _defined(values[0])
    if prepared is not None:  # the usual points, if the answer is defined at all of them
        usual = prepared.usual_points(need, required)
        if student_ok[usual.chosen].all():
            return Sampled(usual.points, _kept(values[:1], usual.chosen) + usual.kept, usual.defined,
                           int(np.count_nonzero(usual.reference_ok & student_ok)))
    reference_ok = np.all([_defined(v) for v in values[1:required]], axis=0)
    both = reference_ok & student_ok
    chosen = np.flatnonzero(both)[:need]
    return Sampled(_points(columns, chosen, _lows(ns)), _kept(values, chosen), int(np.count_nonzero(reference_ok)),
                   int(np.count_nonzero(both)))


def _points(columns: dict[str, np.ndarray], chosen: np.ndarray, lows: dict[str, tuple[int, ...]]) -> list[Bindings]:
    """Each chosen candidate point's bindings, as a point drawn alone has them (see ``random_bindings``)."""
    if any(c.ndim > 1 for c in columns.values()):  # stacked: each point's numbers as floats, arrays as they are
        picked = {n: c[chosen] for n, c in columns.items()}
        plain = {n: v for n, v in picked.items() if n not in lows}
        indexed = {n: v[..., 0, 0] if v.shape[-2:] == (1, 1) else v for n, v in picked.items() if n in lows}
        return [Bindings(values={n: float(v[i, 0, 0]) if v.shape[1:] == (1, 1) else v[i] for n, v in plain.items()},
                         sequences={n: (lows[n], v[i]) for n, v in indexed.items()})
                for i in range(len(chosen))]
    at = {n: c[chosen].tolist() for n, c in columns.items()}
    return [Bindings(values={n: at[n][i] for n in at}) for i in range(len(chosen))]


def _kept(values: list[np.ndarray], chosen: np.ndarray) -> list[list]:
    """Each tree's values at the chosen points, None where undefined."""
    kept = []
    for v in values:
        picked = v[chosen]
        if picked.ndim > 1:  # stacked: a point's value as a point-by-point evaluation gives it
            kept.append([None if not ok else float(x[0, 0]) if x.shape == (1, 1) else x
                         for x, ok in zip(picked, _defined(picked).tolist())])
            continue
        kept.append([x if ok else None for x, ok in zip(picked.tolist(), np.isfinite(picked).tolist())])
    return kept


def _evaluated(trees: list[Node], ns: Namespace, columns: dict[str, np.ndarray], deadline: float, tries: int,
               required: int, first: int = 0) -> list[np.ndarray]:
    """Each tree's values at every candidate point, in one numpy pass each; tree ``first + k`` of :func:`sample`'s
    list is the k-th here. The student's failure is raised as it is, a reference's as :class:`ReferenceFailed`;
    a known mistake that cannot be evaluated matches nothing. :class:`NeedsPointwise` goes to the caller."""
    batch, values = _bindings(columns, _lows(ns)), []
    stacked = any(c.ndim > 1 for c in columns.values())
    for k, tree in enumerate(trees, start=first):
        try:
            out = Evaluator(ns, batch, deadline, batched=tries, stacked=stacked).run(tree)
        except ExprError as exc:
            if k == 0:
                raise  # the student's own problem: an index out of range, too much work
            if k < required:
                raise ReferenceFailed(str(exc)) from None
            out = np.full((tries, 1, 1) if stacked else tries, np.nan)
        values.append(_stacked(out, tries) if stacked else np.broadcast_to(np.asarray(out, dtype=float), (tries,)))
    return values


def _stacked(value: Value, tries: int) -> np.ndarray:
    """A stacked evaluation's value with its point axis: (tries, rows, cols), a constant repeated."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return np.broadcast_to(array, (tries, 1, 1))
    if array.ndim == 3 and array.shape[0] in (1, tries):
        return np.broadcast_to(array, (tries,) + array.shape[1:])
    raise NeedsPointwise  # no value of a stacked namespace has another form; if one did, point by point is right


def _sample_pointwise(trees, ns, rng, deadline, need, tries, required) -> Sampled:
    out = Sampled([], [[] for _ in trees])
    for _ in range(tries):
        point = random_bindings(ns, rng)
        references = []
        for tree in trees[1:required]:
            try:
                references.append(value_at(tree, ns, point, deadline))
            except ExprError as exc:
                raise ReferenceFailed(str(exc)) from None
        if any(v is None for v in references):
            continue
        out.reference_defined += 1
        student = value_at(trees[0], ns, point, deadline)
        if student is None:
            continue
        out.both_defined += 1
        row = [student] + references + [quiet_value(tree, ns, point, deadline) for tree in trees[required:]]
        out.points.append(point)
        for k, v in enumerate(row):
            out.values[k].append(v)
        if len(out.points) >= need:
            break
    return out


def quiet_value(tree: Node, ns: Namespace, point: Bindings, deadline: float) -> Value | None:
    """:func:`value_at`, with None where it cannot be evaluated at all (for known mistakes)."""
    try:
        return value_at(tree, ns, point, deadline)
    except ExprError:
        return None


def seed_of(text: str) -> int:
    """A seed that depends only on ``text`` (a part id): the same points on every run and machine."""
    return int.from_bytes(text.encode("utf-8")[:16].ljust(16, b"\0"), "little") % (2**63)


def closeness(tol: Tolerance, references: list[Value]) -> Callable[[Value, Value], bool]:
    """``same`` under ``tol``, with an absolute floor scaled to the references: a billionth of their
    largest entry (or 1e-12 where they are all zero), so 1e-12·x and 2e-12·x are told apart while
    rounding noise around an exact 0 is not counted against a right answer."""
    scale = max((abs(r) if isinstance(r, float) else float(np.max(np.abs(r))) for r in references if r is not None),
                default=0.0)
    floor = 1e-9 * scale if scale > 0 else 1e-12
    effective = Tolerance(rtol=tol.rtol, atol=max(tol.atol, floor), sigfigs=tol.sigfigs, decimals=tol.decimals)
    return lambda a, b: same(a, b, effective)


def compare_scalar(student: str, reference: str, variables: list[str],
                   tol: Tolerance = DEFAULT_TOLERANCE) -> bool:
    """Are two scalar expressions of real variables equal?

    Raises :class:`ExprError` if either cannot be read. Both are evaluated at eight random points
    with each variable in [-2, 2]; a point where the reference is undefined is redrawn. The
    student's expression must be defined at a quarter of the points where the reference is.
    """
    ns = scalars(variables)
    trees = [parse(student, ns), parse(reference, ns)]
    for tree in trees:
        if infer(tree, ns) != ():
            raise ExprError("not a single number")
    sampled = sample(trees, ns, seed_of(student + "\0" + reference))
    if sampled.problem():
        return False
    close = closeness(tol, sampled.values[1])
    return all(close(s, r) for s, r in zip(*sampled.values))
