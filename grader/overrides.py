"""Manual grading: an instructor's score (and comment) for one student's part.

Overrides live in the gradebook, apart from the automatic results, so regrading never
loses them; every report and export applies them. Here: reading them from a CSV,
checking them against the assignment, recording them all in one transaction, and
rewriting the students' report files in one pass over the class.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .document import Limits, decode, read_bytes
from .errors import InputError, quote, shown_path
from .files import write_atomic
from .gradebook import Gradebook
from .normalize import student_id
from .report import RENDERERS
from .roster import delimiter_of

MAX_ROWS = 100_000
MAX_COMMENT = 10_000  # characters: a comment is a paragraph, not a file pasted into a cell
LIMITS = Limits(max_bytes=50_000_000)
COLUMNS = ("student", "part", "score", "comment", "assignment")


@dataclass(frozen=True)
class OverrideEntry:
    student: str
    part: str
    score: float
    comment: str
    where: str  # file:line, for messages


def read_override_csv(path: Path, assignment: dict[str, Any]) -> list[OverrideEntry]:
    """Rows ``student, part, score, comment`` (a header row names them; comment may be left out; other
    columns are ignored). UTF-8 or UTF-16 with a byte-order mark; commas, semicolons or tabs."""
    name = shown_path(path)
    text = decode(read_bytes(path, LIMITS), name)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    entries = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        place = _columns(header, name)
        for row in reader:
            line = reader.line_num
            if line > MAX_ROWS:
                raise InputError(name, line, None, f"more than {MAX_ROWS} rows")
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                raise InputError(name, line, None, f"this row has {len(row)} cells but the header names "
                                                   f"{len(header)} columns (put a comment holding commas in double "
                                                   "quotes)")
            cells = {column: row[i].strip() if i < len(row) else "" for column, i in place.items()}
            if cells.get("assignment") and cells["assignment"] != assignment["id"]:
                continue  # a sheet for several assignments: this row is another's
            entries.append(_entry(cells, name, line))
    except csv.Error as exc:  # an unclosed quote that swallows the file, a cell over csv's field limit
        raise InputError(name, reader.line_num, None, f"not readable as CSV: {exc} (is a quote left open?)") from None
    return entries


def _columns(header: list[str], name: str) -> dict[str, int]:
    """Where each known column is; the three needed ones must be there, each once."""
    place: dict[str, int] = {}
    for i, column in enumerate(header):
        if column in COLUMNS:
            if column in place:
                raise InputError(name, 1, None, f"the header names the column {quote(column)} twice")
            place[column] = i
    if not {"student", "part", "score"} <= place.keys():
        raise InputError(name, 1, None, "the header must name the columns student, part, score (and comment)")
    return place


def _entry(cells: dict[str, str], name: str, line: int) -> OverrideEntry:
    try:
        score = _number(cells["score"])
    except ValueError:
        shown = cells["score"] if len(cells["score"]) <= 40 else cells["score"][:39] + "…"
        raise InputError(name, line, None, f"score {quote(shown)} is not a number") from None
    comment = cells.get("comment", "")
    if len(comment) > MAX_COMMENT:
        raise InputError(name, line, None, f"the comment is {len(comment):,} characters long; keep it under "
                                           f"{MAX_COMMENT:,}")
    return OverrideEntry(student_id(cells["student"]), cells["part"], score, comment, f"{name}:{line}")


def _number(text: str) -> float:
    """A score as spreadsheets write it: 2.5, or 2,5 where the comma is the decimal mark."""
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    return float(text)


def check_overrides(book: Gradebook, assignment: dict[str, Any], entries: Iterable[OverrideEntry]) -> None:
    """Every part exists, every score fits its points, every student has a submission; else one clear line."""
    parts = {p["id"]: p for p in assignment["parts"]}
    students = book.students(assignment["id"])
    for entry in entries:
        where = entry.where if entry.where != "command line" else "override"
        if entry.part not in parts:
            raise InputError(where, None, None, f"{assignment['id']} has no part {quote(entry.part)} "
                                                f"(parts: {', '.join(parts)})")
        top = parts[entry.part]["points"]
        if not (math.isfinite(entry.score) and 0 <= entry.score <= top):
            raise InputError(where, None, None, f"score {entry.score:g} for {entry.part} must be from 0 to {top:g}")
        if entry.student not in students:
            raise InputError(where, None, None, f"no submission from student {quote(entry.student)} in this gradebook")


def rewrite_reports(book: Gradebook, out: Path, assignment: str, students: set[str]) -> int:
    """Render the existing report files of ``students`` again, with every override applied (one pass)."""
    written = 0
    for row in book.rows(assignment, latest_only=False, students=students):
        for renderer in RENDERERS.values():  # rows() has applied the overrides
            if (out / (row.stem + renderer.suffix)).exists():
                write_atomic(out, row.stem + renderer.suffix, renderer.from_json(row.report))
                written += 1
    return written
