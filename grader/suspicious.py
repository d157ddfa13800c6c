"""Copy detection for randomized specs: a wrong answer that is right for someone else's numbers.

With per-student variants, a student who hands in another student's correct answer is wrong
for their own numbers and, to the tolerance, right for the other's. For every numeric part
that varies, each wrong answer (one not explained by a known mistake of the student's own
variant) is compared with every other student's reference.

How unlikely a match is by chance is estimated from the variants themselves: a sample of
:data:`NULL_VARIANTS` made-up students gives the distribution of the parts' references, and
``p`` is the chance that one random variant's references match all of a pair's matched answers
at once (counted when common, a nearest-neighbour density estimate when rare; see
:meth:`_Null.p`). The expected number of such coincidences in the class is ``p`` times the
number of comparisons made (every wrong answer against every other student); a pair is flagged
when that is below the threshold (default 0.01), so a class of honest students has about a 1%
chance of a single false flag.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from .kinds import numeric
from .numbers import Unreadable, read_numbers
from .spec import LoadedSpec
from .tolerance import Tolerance

NULL_VARIANTS = 1000
THRESHOLD = 0.01
NEIGHBOURS = 10  # k of the k-nearest-neighbour estimate of how rare an answer is among the variants


@dataclass
class Match:
    part: str
    answer: Any  # as the student wrote it
    p: float  # chance that a random variant's reference matches this answer
    value: np.ndarray = field(repr=False, default=None)


@dataclass
class Finding:
    """Student ``student`` answered parts with ``other``'s references, which are wrong for their own numbers."""

    student: str
    other: str
    matches: list[Match]
    p: float  # chance of all these matches together, for one pair
    expected: float  # expected number of pairs this unlikely in the class, by chance alone
    flagged: bool = False
    also: list[str] = field(default_factory=list)  # other students whose references these answers match too

    def to_json(self) -> dict[str, Any]:
        return {"student": self.student, "matches_variant_of": self.other, "parts": [m.part for m in self.matches],
                "p": self.p, "expected_by_chance": self.expected, "flagged": self.flagged, "also_matches": self.also}


def varied_numeric_parts(spec: LoadedSpec) -> list[str]:
    varied = {t.id for t in spec.templates}
    return [p.id for p in spec.assignment.parts if p.kind == "numeric" and p.id in varied]


def find(spec: LoadedSpec, reports: Iterable[dict[str, Any]], threshold: float = THRESHOLD,
         null_size: int = NULL_VARIANTS) -> list[Finding]:
    """Every pair (student, other) where the student's wrong answers are the other's right ones,
    most unlikely first; ``flagged`` where chance explains it less than ``threshold``."""
    parts = varied_numeric_parts(spec)
    reports = [r for r in reports if not r.get("problem")]
    if not parts or len(reports) < 2:
        return []
    students = [r["student"] for r in reports]
    tols = {pid: _tolerance(spec, pid) for pid in parts}
    refs = {pid: _Stack([spec.variant(s).references[pid].value for s in students], tols[pid]) for pid in parts}
    null = _Null(spec, parts, tols, null_size)
    wrong = _wrong_answers(reports, parts)
    comparisons = sum(len(v) for v in wrong.values()) * (len(students) - 1)
    hits_of: dict[int, dict[str, list[int]]] = {}
    pairs: dict[tuple[int, int], list[Match]] = {}
    for (i, pid), (raw, value) in wrong.items():
        hits = [j for j in refs[pid].matching(value) if j != i]
        if not hits:
            continue
        hits_of.setdefault(i, {})[pid] = hits
        single = null.p([(pid, value)])
        for j in hits:
            pairs.setdefault((i, j), []).append(Match(pid, raw, single, value))
    findings = []
    for (i, j), matches in pairs.items():
        p = matches[0].p if len(matches) == 1 else null.p([(m.part, m.value) for m in matches])
        expected = p * max(comparisons, 1)
        also = sorted({students[k] for m in matches for k in hits_of[i][m.part] if k != j})
        findings.append(Finding(students[i], students[j], sorted(matches, key=lambda m: parts.index(m.part)), p,
                                expected, expected < threshold, also[:10]))
    findings.sort(key=lambda f: (f.p, f.student, f.other))
    return findings


def _tolerance(spec: LoadedSpec, pid: str) -> Tolerance:
    part = next(p for p in spec.assignment.parts if p.id == pid)
    return part.config.tolerance


def _wrong_answers(reports: list[dict[str, Any]], parts: list[str]) -> dict[tuple[int, str], tuple[Any, np.ndarray]]:
    """(student index, part) -> (answer as written, values), for answers wrong for the student's own numbers
    and not a known mistake of their own variant (a mistake explains itself)."""
    out = {}
    for i, report in enumerate(reports):
        for part in report.get("parts", []):
            if part["id"] not in parts or part["status"] not in ("incorrect", "partial"):
                continue
            if (part.get("diagnosis") or "").startswith("mistake:"):
                continue
            try:
                value = read_numbers(part.get("answer")).values
            except (Unreadable, TypeError, ValueError):
                continue
            if value.size and np.all(np.isfinite(value)):
                out[(i, part["id"])] = (part.get("answer"), value)
    return out


class _Stack:
    """One part's references across students, stacked by shape, with each entry's tolerance bound."""

    def __init__(self, values: list[np.ndarray], tol: Tolerance):
        self.shapes: dict[tuple[int, ...], tuple[list[int], np.ndarray, np.ndarray]] = {}
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, v in enumerate(values):
            groups.setdefault(np.shape(v), []).append(i)
        bound = np.vectorize(lambda b: tol.bound(float(b)), otypes=[float])
        for shape, members in groups.items():
            stacked = np.stack([np.asarray(values[i], dtype=float).ravel() for i in members])
            self.shapes[shape] = (members, stacked, bound(stacked) * (1 + 1e-9) + 1e-12)

    def matching(self, answer: np.ndarray) -> list[int]:
        """Indices of the references ``answer`` is within tolerance of (in any layout of the same entries)."""
        found: list[int] = []
        for shape, (members, stacked, bounds) in self.shapes.items():
            conformed, _ = numeric._conform(answer, None, shape)
            if conformed.shape != shape:
                continue
            close = np.all(np.abs(stacked - conformed.ravel()) <= bounds, axis=1)
            found += [members[k] for k in np.flatnonzero(close)]
        return sorted(found)


class _Null:
    """References of made-up students: what the parts' answers look like across variants."""

    def __init__(self, spec: LoadedSpec, parts: list[str], tols: dict[str, Tolerance], size: int):
        self.size = size
        refs: dict[str, list[np.ndarray]] = {pid: [] for pid in parts}
        for k in range(size):
            variant = spec.variant(f"~null-{k}")
            for pid in parts:
                refs[pid].append(np.asarray(variant.references[pid].value, dtype=float))
        self.stacks = {pid: _Stack(refs[pid], tols[pid]) for pid in parts}
        self.ranks: dict[tuple, int] = {}
        self.kinds: dict[tuple, bool] = {}

    def p(self, answers: list[tuple[str, np.ndarray]]) -> float:
        """Chance that one random variant's references match all these (part, answer) pairs at once.

        A part whose references take few distinct values (an argmax output is one row of V) is
        counted: (hits + 1) / (size + 1). The other parts are taken together, with distances in
        units of each entry's tolerance (a match is a distance of at most 1): when fewer than
        :data:`NEIGHBOURS` null variants match, the k-nearest-neighbour estimate applies - the
        k-th nearest is r tolerances away, so the chance is (k / size) r^-d, d the dimension
        the references really spread in (softmax weights, summing to 1, span one less). Counted
        and estimated parts multiply.
        """
        chance = 1.0
        continuous = []
        for pid, answer in answers:
            found = self._group(pid, answer)
            if found is None:
                return chance / (self.size + 1)  # no variant's reference has this shape
            indices, stacked, bound, flat = found
            share = len(indices) / self.size  # variants whose answer even has this shape
            if self._discrete(pid, stacked):
                hits = int(np.sum(np.all(np.abs(stacked - flat) <= bound, axis=1)))
                chance *= share * (hits + 1) / (len(indices) + 1)
            else:
                continuous.append((pid, indices, stacked, bound, flat, share))
        if not continuous:
            return chance
        members = set.intersection(*(set(c[1]) for c in continuous))
        chosen = sorted(members)
        if len(chosen) < NEIGHBOURS:
            return chance
        rows = [_rows_of(indices, chosen) for _, indices, _, _, _, _ in continuous]
        X = np.hstack([c[2][r] for c, r in zip(continuous, rows)])
        B = np.hstack([c[3][r] for c, r in zip(continuous, rows)])
        distance = np.max(np.abs(X - np.concatenate([c[4] for c in continuous])) / B, axis=1)
        share = len(chosen) / self.size
        hits = int(np.sum(distance <= 1.0))
        if hits >= NEIGHBOURS:
            return chance * share * hits / len(chosen)
        r = float(np.partition(distance, NEIGHBOURS - 1)[NEIGHBOURS - 1])
        d = self._rank(tuple(c[0] for c in continuous), X)
        return chance * share * (NEIGHBOURS / len(chosen)) * (r ** (-d) if d else 1.0)

    def _group(self, pid: str, answer: np.ndarray):
        for shape, (indices, stacked, bound) in self.stacks[pid].shapes.items():
            conformed, _ = numeric._conform(answer, None, shape)
            if conformed.shape == shape:
                return indices, stacked, bound, conformed.ravel()
        return None

    def _discrete(self, pid: str, stacked: np.ndarray) -> bool:
        """Do this part's references repeat (few distinct values), so that counting them is the estimate?"""
        key = (pid, stacked.shape)
        if key not in self.kinds:
            self.kinds[key] = len(np.unique(stacked, axis=0)) < len(stacked) / 2
        return self.kinds[key]

    def _rank(self, key: tuple, X: np.ndarray) -> int:
        if key not in self.ranks:
            centred = X - X.mean(axis=0)
            scale = np.abs(centred).max() or 1.0
            self.ranks[key] = int(np.linalg.matrix_rank(centred / scale, tol=1e-6 * len(X)))
        return self.ranks[key]


def _rows_of(indices: list[int], chosen: list[int]) -> list[int] | slice:
    """Where the chosen variants sit in a stack that holds ``indices``."""
    if indices == chosen:
        return slice(None)
    where = {i: r for r, i in enumerate(indices)}
    return [where[i] for i in chosen]
