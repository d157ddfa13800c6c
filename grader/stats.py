"""How each question went, from the gradebook: score distribution, facility, discrimination,
option picks, the most frequent diagnoses ("37% returned the key instead of the value") and the
most frequent wrong answers.

- facility: the mean score of a part as a share of its points (1 = everyone got it);
- discrimination: the correlation between a part's score and the rest of the test (the total
  without that part) across students - the point-biserial for a right/wrong part; near 0 or
  negative means the part does not separate stronger from weaker students.

A submission that could not be read (its report's ``problem`` is set) says nothing about the
questions: it is left out of every figure and counted apart (``ClassStats.unreadable``).
"""
from __future__ import annotations

import hashlib
import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .gradebook import Gradebook

WRONG = frozenset({"incorrect", "partial", "invalid"})  # answers short of full marks (not missing, not awaiting review)
TOP_ANSWERS = 5
ANSWER_CHARS = 80  # a wrong answer is shown up to this many characters


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
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)  # (answer as shown, given by), most first


@dataclass
class ClassStats:
    assignment: str
    title: str
    max_score: float
    students: int  # whose submission was read: every figure is about them
    mean: float
    median: float
    stdev: float
    scores: list[float]
    parts: list[PartStats]
    unreadable: int = 0  # students whose latest submission could not be read, left out of every figure


@dataclass
class _Answers:
    """Wrong answers of one part, counted by their text with runs of white space made one; kept as a digest
    and a clipped copy, so a class of long answers costs little memory."""

    counts: Counter = field(default_factory=Counter)
    shown: dict[bytes, str] = field(default_factory=dict)

    def add(self, answer: str) -> None:
        text = " ".join(answer.split())
        key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
        self.counts[key] += 1
        self.shown.setdefault(key, clip(text, ANSWER_CHARS))

    def top(self, k: int) -> list[tuple[str, int]]:
        return [(self.shown[key], count) for key, count in self.counts.most_common(k)]


def class_stats(book: Gradebook, assignment: dict[str, Any]) -> ClassStats:
    """The figures of one pass over the class: a report is read, counted and let go, so a class of 100,000
    holds its scores, not its reports (each parsed report is some 20 KB)."""
    pids = [p["id"] for p in assignment["parts"]]
    totals: list[float] = []
    unreadable = 0
    by_part: dict[str, array] = {pid: array("d") for pid in pids}  # 8 bytes a score, not a float object's 32
    statuses: dict[str, Counter] = {pid: Counter() for pid in pids}
    diagnoses: dict[str, Counter] = {pid: Counter() for pid in pids}
    wrong: dict[str, _Answers] = {pid: _Answers() for pid in pids}
    picked: dict[str, Counter] = {p["id"]: Counter() for p in assignment["parts"] if p["kind"] == "choice"}
    with book.snapshot():  # each report and its readings as they were together
        for row in book.rows(assignment["id"]):  # one per student, overrides applied
            if row.report.get("problem"):
                unreadable += 1
                continue
            totals.append(row.report["score"])
            readings = _choice_readings(book, assignment["id"], row.source, row.report)
            for part in row.report["parts"]:
                if part["id"] in by_part:
                    by_part[part["id"]].append(part["score"])
                    statuses[part["id"]][part["status"]] += 1
                    if part.get("diagnosis"):
                        diagnoses[part["id"]][part["diagnosis"]] += 1
                    answer = _answer_text(part, readings.get(part["id"]))
                    if part["status"] in WRONG and answer is not None:
                        wrong[part["id"]].add(answer)
            for pid, counter in picked.items():
                counter.update(readings.get(pid) or ())
    parts = []
    n = len(totals)
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
        if spec_part["kind"] == "choice" and n:
            stats.options = _picks(spec_part, picked[pid], n)
        stats.wrong_answers = wrong[pid].top(TOP_ANSWERS)
        parts.append(stats)
    ordered = sorted(totals)
    mean = sum(totals) / n if n else 0.0
    median = (ordered[(n - 1) // 2] + ordered[n // 2]) / 2 if n else 0.0
    stdev = math.sqrt(sum((t - mean) ** 2 for t in totals) / (n - 1)) if n > 1 else 0.0
    return ClassStats(assignment["id"], assignment["title"], assignment["max_score"], n, mean, median, stdev,
                      totals, parts, unreadable)


def _choice_readings(book: Gradebook, assignment: str, source: str, report: dict[str, Any]) -> dict[str, list[str]]:
    """part -> the labels the student picked in each choice part of ``report``, by the spec's labels (as recorded
    at grading, so a shuffled part's picks count for the options the students saw)."""
    choices = {p["id"] for p in report["parts"] if p.get("kind") == "choice"}
    if not choices:
        return {}
    return {part: json.loads(answer_key) for part, answer_key in book.readings(assignment, source).items()
            if part in choices and answer_key}


def _picks(part: dict[str, Any], counter: Counter, n: int) -> list[tuple[str, int, float]]:
    """How many students picked each option (``counter``: picks by label): every option the gradebook knows, in
    the spec's order (an older gradebook knows only the picked ones, in label order)."""
    labels = [label for label, _ in part.get("options", [])] or sorted(counter)
    labels += sorted(set(counter) - set(labels))
    return [(label, counter[label], counter[label] / n) for label in labels]


def _answer_text(part: dict[str, Any], picks: list[str] | None) -> str | None:
    """A wrong answer as the class report lists it: a choice by the labels picked (so "b, c", "[b, c]" and
    "ب و ج" count as one), anything else as the student wrote it."""
    if picks:
        return ", ".join(sorted(picks))
    answer = part.get("answer")
    return None if answer is None else answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)


def clip(value: str, limit: int) -> str:
    """At most ``limit`` characters of plain text, with an ellipsis where it was cut (before escaping, so
    the cut never splits an entity or an escape)."""
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


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
    """``mistake:key-instead-of-value`` -> ``key instead of value``; ``shape`` -> ``wrong shape``; ``option:a+d``
    -> ``picked (a, d)``; ``rule:index-swap+sum-bounds`` -> ``index swap + sum bounds``."""
    if code.startswith("mistake:"):
        return code[len("mistake:"):].replace("-", " ")
    if code.startswith("option:"):
        return f"picked ({code[len('option:'):].replace('+', ', ')})"
    if code.startswith("rule:"):
        return " + ".join(rule.replace("-", " ") for rule in code[len("rule:"):].split("+"))
    return {"shape": "wrong shape", "transpose": "transposed", "sign": "sign flipped", "scale": "off by a factor",
            "precision": "written with the wrong precision", "missing-option": "a right option left out"
            }.get(code, code.replace("-", " "))


def text_report(stats: ClassStats) -> str:
    """What ``grader stats`` prints."""
    lines = [f"{stats.title} ({stats.assignment}): {stats.students} students, mean {stats.mean:.2f}, median "
             f"{stats.median:.2f}, sd {stats.stdev:.2f} of {stats.max_score:g}", ""]
    if stats.unreadable:
        lines[1:1] = [left_out(stats.unreadable)]
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


def left_out(unreadable: int) -> str:
    """The line every class summary gives to the submissions its figures leave out."""
    return (f"{unreadable} submission could not be read and is left out" if unreadable == 1 else
            f"{unreadable} submissions could not be read and are left out")
