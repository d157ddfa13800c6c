"""How each question went, from the gradebook: score distribution, facility, discrimination,
option picks, and the most frequent diagnoses ("37% returned the key instead of the value").

- facility: the mean score of a part as a share of its points (1 = everyone got it);
- discrimination: the correlation between a part's score and the rest of the test (the total
  without that part) across students - the point-biserial for a right/wrong part; near 0 or
  negative means the part does not separate stronger from weaker students.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .gradebook import Gradebook


@dataclass
class PartStats:
    id: str
    kind: str
    points: float
    answered: int = 0
    mean: float = 0.0
    facility: float = 0.0
    discrimination: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    diagnoses: list[tuple[str, int, float]] = field(default_factory=list)  # (diagnosis, count, share)
    options: list[tuple[str, int, float]] = field(default_factory=list)  # (option, picked by, share)


@dataclass
class ClassStats:
    assignment: str
    title: str
    max_score: float
    students: int
    mean: float
    median: float
    stdev: float
    scores: list[float]
    parts: list[PartStats]


def class_stats(book: Gradebook, assignment: dict[str, Any]) -> ClassStats:
    rows = list(book.rows(assignment["id"]))  # one per student, overrides applied
    totals = [row.report["score"] for row in rows]
    by_part: dict[str, list[float]] = {p["id"]: [] for p in assignment["parts"]}
    statuses: dict[str, Counter] = {p["id"]: Counter() for p in assignment["parts"]}
    diagnoses: dict[str, Counter] = {p["id"]: Counter() for p in assignment["parts"]}
    for row in rows:
        for part in row.report["parts"]:
            if part["id"] in by_part:
                by_part[part["id"]].append(part["score"])
                statuses[part["id"]][part["status"]] += 1
                if part.get("diagnosis"):
                    diagnoses[part["id"]][part["diagnosis"]] += 1
    picks = _option_picks(book, assignment["id"], {row.source for row in rows})
    parts = []
    n = len(rows)
    for spec_part in assignment["parts"]:
        pid = spec_part["id"]
        scores = by_part[pid]
        stats = PartStats(pid, spec_part["kind"], spec_part["points"])
        stats.answered = n - statuses[pid].get("missing", 0)
        stats.statuses = dict(statuses[pid])
        if scores:
            stats.mean = sum(scores) / len(scores)
            stats.facility = stats.mean / spec_part["points"] if spec_part["points"] else 0.0
            rest = [t - s for t, s in zip(totals, scores)]
            stats.discrimination = _correlation(scores, rest)
        stats.diagnoses = [(d, c, c / n) for d, c in diagnoses[pid].most_common(5)] if n else []
        if pid in picks:
            stats.options = [(o, c, c / n) for o, c in sorted(picks[pid].items())] if n else []
        parts.append(stats)
    ordered = sorted(totals)
    mean = sum(totals) / n if n else 0.0
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2 if n else 0.0
    stdev = math.sqrt(sum((t - mean) ** 2 for t in totals) / (n - 1)) if n > 1 else 0.0
    return ClassStats(assignment["id"], assignment["title"], assignment["max_score"], n, mean, median, stdev,
                      totals, parts)


def _option_picks(book: Gradebook, assignment: str, sources: set[str]) -> dict[str, Counter]:
    """For choice parts: how many students picked each option (from the picks recorded at grading)."""
    picks: dict[str, Counter] = {}
    for source, part, kind, _, _, _, _, answer_key in book.part_results(assignment):
        if kind != "choice" or source not in sources:
            continue
        counter = picks.setdefault(part, Counter())
        for option in json.loads(answer_key) if answer_key else []:
            counter[option] += 1
    return picks


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's r; None when either side does not vary (nothing to correlate)."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)


def histogram(scores: list[float], max_score: float, bins: int = 10) -> list[int]:
    """Counts of scores in ``bins`` equal ranges of [0, max]; a full score falls in the last."""
    counts = [0] * bins
    for s in scores:
        k = int(bins * s / max_score) if max_score else 0
        counts[min(max(k, 0), bins - 1)] += 1
    return counts


def describe_diagnosis(code: str) -> str:
    """``mistake:key-instead-of-value`` -> ``key instead of value``; ``shape`` -> ``wrong shape``."""
    if code.startswith("mistake:"):
        return code[len("mistake:"):].replace("-", " ")
    return {"shape": "wrong shape", "transpose": "transposed", "sign": "sign flipped", "scale": "off by a factor",
            "precision": "written with the wrong precision"}.get(code, code)


def text_report(stats: ClassStats) -> str:
    """What ``grader stats`` prints."""
    lines = [f"{stats.title} ({stats.assignment}): {stats.students} students, mean {stats.mean:.2f}, median "
             f"{stats.median:.2f}, sd {stats.stdev:.2f} of {stats.max_score:g}", ""]
    width = max([len(p.id) + 2 for p in stats.parts] + [8])  # ids as long as att-weights keep their column
    lines.append(f"{'part':<{width}}{'kind':<11}{'points':>7}{'mean':>7}{'facility':>10}{'discrim.':>10}  most frequent")
    for p in stats.parts:
        disc = "-" if p.discrimination is None else f"{p.discrimination:+.2f}"
        top = "; ".join(f"{share:.0%} {describe_diagnosis(d)}" for d, _, share in p.diagnoses[:2])
        lines.append(f"{p.id:<{width}}{p.kind:<11}{p.points:>7g}{p.mean:>7.2f}{p.facility:>10.0%}{disc:>10}  {top}")
    for p in stats.parts:
        if p.options:
            lines.append(f"{p.id} picks: " + ", ".join(f"({o}) {share:.0%}" for o, _, share in p.options))
    return "\n".join(lines) + "\n"
