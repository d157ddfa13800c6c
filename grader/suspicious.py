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
from .variants import VariantError

NULL_VARIANTS = 2000
THRESHOLD = 0.01
NEIGHBOURS = 10  # k of the k-nearest-neighbour estimate of how rare an answer is among the variants
ATOMS = 0.01  # a part is counted, not estimated, when more of its made-up references than this share a value
COLLISION_SAMPLE = 300
MAX_DENOMINATOR = 12  # answers that are fractions p/q with q up to this are "simple" (see _simple_fractions)
MAX_SHARED, MAX_SHARED_SHARE = 20, 0.02  # an answer right for more students than this is not compared  # made-up references checked for a neighbour within tolerance


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
    reports = [r for r in reports if _buildable(spec, r["student"])]  # the rest got an error report already
    students = [r["student"] for r in reports]
    tols = {pid: _tolerance(spec, pid) for pid in parts}
    refs = {pid: _Stack([spec.variant(s).references[pid].value for s in students], tols[pid]) for pid in parts}
    null = _Null(spec, parts, tols, null_size)
    wrong = _wrong_answers(reports, parts)
    comparisons = len(wrong) * (len(students) - 1)  # every considered wrong answer against every other student
    hits_of: dict[int, dict[str, list[int]]] = {}
    pairs: dict[tuple[int, int], list[Match]] = {}
    for (i, pid), (raw, value) in wrong.items():
        hits = [j for j in refs[pid].matching(value) if j != i]
        if not hits or len(hits) > max(MAX_SHARED, MAX_SHARED_SHARE * len(students)):
            continue  # right for that many students: a common value, which points at nobody
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


def _buildable(spec: LoadedSpec, student: str) -> bool:
    try:
        spec.variant(student)
    except VariantError:
        return False
    return True


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
            try:
                variant = spec.variant(f"~null-{k}")
            except VariantError:  # a draw no student could be graded on either: not part of chance
                continue
            for pid in parts:
                refs[pid].append(np.asarray(variant.references[pid].value, dtype=float))
        self.stacks = {pid: _Stack(refs[pid], tols[pid]) for pid in parts}
        self.tols = tols
        self.ranks: dict[tuple, int] = {}
        self.kinds: dict[tuple, bool] = {}

    def p(self, answers: list[tuple[str, np.ndarray]]) -> float:
        """Chance that one random variant's references match all these (part, answer) pairs at once.

        Answers that sit on values many variants share are counted (:func:`_count_bound`), all
        such parts jointly. Those are: a part whose made-up references often fall within tolerance
        of each other (an argmax output is one row of V; the softmax weights of integer scores
        repeat), an answer whose entries are all simple fractions (a saturated softmax gives a
        row of V, equal weights the mean of its rows), and an answer some made-up variant matches. The others are estimated together, with
        distances in units of each entry's tolerance (a match is a distance of at most 1): the
        k-th nearest made-up reference is r tolerances away, and the chance is (k / size) r^-d,
        where d is the local dimension, log2 of how the neighbour count grows from r to 2r
        (references bunched on a curve or a point grow slowly, so they are not extrapolated as
        if spread in every direction). The joint chance is at most each of the two, so the
        smaller is taken: never a product of parts assumed independent.
        """
        counted, estimated = [], []
        for pid, answer in answers:
            found = self._group(pid, answer)
            if found is None:
                return 1.0 / (self.size + 1)  # no made-up variant's reference has this shape
            indices, stacked, bound, flat = found
            simple = _simple_fractions(flat, self.bound(pid, flat))
            (counted if simple or self._discrete(pid, stacked, bound) else estimated).append((pid, indices, stacked, bound,
                                                                                       flat))
        return min(self._counted(counted), self._estimated(estimated))

    def bound(self, pid: str, values: np.ndarray) -> np.ndarray:
        return np.array([self.tols[pid].bound(float(v)) for v in values]) * (1 + 1e-9) + 1e-12

    def _joint(self, found: list) -> tuple[list[int], np.ndarray]:
        """(variants having every shape, distance of each to the answers in tolerances)."""
        chosen = sorted(set.intersection(*(set(f[1]) for f in found)))
        if not chosen:
            return chosen, np.zeros(0)
        rows = [_rows_of(indices, chosen) for _, indices, _, _, _ in found]
        X = np.hstack([f[2][r] for f, r in zip(found, rows)])
        B = np.hstack([f[3][r] for f, r in zip(found, rows)])
        return chosen, np.max(np.abs(X - np.concatenate([f[4] for f in found])) / B, axis=1)

    def _counted(self, found: list) -> float:
        if not found:
            return 1.0
        chosen, distance = self._joint(found)
        hits = int(np.sum(distance <= 1.0))
        return (len(chosen) / self.size) * _count_bound(hits, len(chosen))

    def _estimated(self, found: list) -> float:
        if not found:
            return 1.0
        chosen, distance = self._joint(found)
        if len(chosen) < 4 * NEIGHBOURS:
            return 1.0
        share = len(chosen) / self.size
        hits = int(np.sum(distance <= 1.0))
        if hits:  # seen among the made-up variants: a value some variants share, so count it
            return share * _count_bound(hits, len(chosen))
        r = float(np.partition(distance, NEIGHBOURS - 1)[NEIGHBOURS - 1])
        wider = int(np.sum(distance <= 2 * r))
        d = min(math.log2(wider / NEIGHBOURS), self._rank(tuple(f[0] for f in found), found, chosen))
        return share * (NEIGHBOURS / len(chosen)) * r ** (-d)

    def _group(self, pid: str, answer: np.ndarray):
        for shape, (indices, stacked, bound) in self.stacks[pid].shapes.items():
            conformed, _ = numeric._conform(answer, None, shape)
            if conformed.shape == shape:
                return indices, stacked, bound, conformed.ravel()
        return None

    def _discrete(self, pid: str, stacked: np.ndarray, bound: np.ndarray) -> bool:
        """Do this part's references pile up on shared values (atoms), so that only counting is safe?

        Integer inputs make every reference a finite set of values; what matters is whether two
        made-up variants often land within tolerance of each other (argmax outputs always do,
        softmax weights of integer scores half the time). Then a match says little, and a
        density estimate below the sample's resolution would be wrong.
        """
        key = (pid, stacked.shape)
        if key not in self.kinds:
            sample = stacked[:COLLISION_SAMPLE]
            near = 0
            for i in range(len(sample)):
                close = np.all(np.abs(stacked - sample[i]) <= bound[i], axis=1)
                near += int(np.sum(close)) > 1  # itself, and another
            self.kinds[key] = near > ATOMS * len(sample)
        return self.kinds[key]

    def _rank(self, key: tuple, found: list, chosen: list[int]) -> int:
        """The dimension the references span (softmax weights, summing to 1, span one less than their count)."""
        if key not in self.ranks:
            rows = [_rows_of(indices, chosen) for _, indices, _, _, _ in found]
            X = np.hstack([f[2][r] for f, r in zip(found, rows)])
            centred = X - X.mean(axis=0)
            scale = np.abs(centred).max() or 1.0
            self.ranks[key] = int(np.linalg.matrix_rank(centred / scale, tol=1e-6 * len(X)))
        return self.ranks[key]


def _count_bound(hits: int, size: int) -> float:
    """A chance from a count, erring high: (hits + 1) / (size + 1), and 3 / (size + 1) when nothing was
    seen (the "rule of three": 95% sure the chance is below it)."""
    return max(hits + 1, 3) / (size + 1)


def _simple_fractions(values: np.ndarray, bounds: np.ndarray) -> bool:
    """Is every entry, within tolerance, a fraction with a small denominator (3, -1/2, 5/4)?

    Integer inputs put degenerate answers there: a saturated softmax gives a row of V, equal
    weights give the mean of V's rows, a zero query gives equal weights. Many variants share
    such values, so a match on one is counted, never extrapolated."""
    for q in range(1, MAX_DENOMINATOR + 1):
        if np.all(np.abs(values * q - np.round(values * q)) <= bounds * q):
            return True
    return False


def _rows_of(indices: list[int], chosen: list[int]) -> list[int] | slice:
    """Where the chosen variants sit in a stack that holds ``indices``."""
    if indices == chosen:
        return slice(None)
    where = {i: r for r, i in enumerate(indices)}
    return [where[i] for i in chosen]
