"""Manual grading: an instructor's score (and comment) for one student's part.

Overrides live in the gradebook, apart from the automatic results, so regrading never
loses them; every report and export applies them. Here: reading them from a CSV,
checking them against the assignment, and rewriting the student's report files.
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, shown_path
from .files import write_atomic
from .gradebook import Gradebook
from .report import RENDERERS

MAX_ROWS = 100_000


@dataclass(frozen=True)
class OverrideEntry:
    student: str
    part: str
    score: float
    comment: str
    where: str  # file:line, for messages


def read_override_csv(path: Path, assignment: dict[str, Any]) -> list[OverrideEntry]:
    """Rows ``student, part, score, comment`` (a header row names them; comment may be left out)."""
    name = shown_path(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(name, None, None, f"cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.DictReader(handle)
        needed = {"student", "part", "score"}
        if reader.fieldnames is None or not needed <= {f.strip().lower() for f in reader.fieldnames}:
            raise InputError(name, 1, None, "the header must name the columns student, part, score (and comment)")
        entries = []
        for row in reader:
            if reader.line_num > MAX_ROWS:
                raise InputError(name, reader.line_num, None, f"more than {MAX_ROWS} rows")
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            where = f"{name}:{reader.line_num}"
            if row.get("assignment") and row["assignment"] != assignment["id"]:
                continue  # a sheet for several assignments: this row is another's
            try:
                score = float(row["score"])
            except ValueError:
                raise InputError(name, reader.line_num, None, f"score {row['score']!r} is not a number") from None
            entries.append(OverrideEntry(row["student"], row["part"], score, row.get("comment", ""), where))
    return entries


def check_override(book: Gradebook, assignment: dict[str, Any], entry: OverrideEntry) -> None:
    """The part exists, the score fits its points, the student has a submission; else one clear line."""
    parts = {p["id"]: p for p in assignment["parts"]}
    where = entry.where + ": " if entry.where != "command line" else ""
    if entry.part not in parts:
        raise InputError(where.rstrip(": ") or "override", None, None,
                         f"{assignment['id']} has no part {entry.part!r} (parts: {', '.join(parts)})")
    top = parts[entry.part]["points"]
    if not (math.isfinite(entry.score) and 0 <= entry.score <= top):
        raise InputError(where.rstrip(": ") or "override", None, None,
                         f"score {entry.score:g} for {entry.part} must be from 0 to {top:g}")
    if not book.sources_of(assignment["id"], entry.student):
        raise InputError(where.rstrip(": ") or "override", None, None,
                         f"no submission from student {entry.student!r} in this gradebook")


def rewrite_reports(book: Gradebook, out: Path, assignment: str, student: str) -> int:
    """Render the student's existing report files again, with every override applied."""
    written = 0
    for row in book.rows(assignment, latest_only=False):
        if row.student != student:
            continue
        for renderer in RENDERERS.values():  # rows() has applied the overrides
            if (out / (row.stem + renderer.suffix)).exists():
                write_atomic(out, row.stem + renderer.suffix, renderer.from_json(row.report))
                written += 1
    return written
