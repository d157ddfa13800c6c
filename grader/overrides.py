"""Manual grading: an instructor's score (and comment) for one student's part.

Overrides live in the gradebook, apart from the automatic results, so regrading never
loses them; every report and export applies them. Here: reading them from a CSV,
checking them against the assignment, recording them all in one transaction, and
rewriting the students' report files in one pass over the class.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from .document import Limits, decode, read_bytes
from .errors import InputError, quote, shown_path
from .files import writable_target, write_atomic
from .gradebook import Gradebook
from .normalize import number_text, student_id
from .report import RENDERERS
from .roster import read_csv

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


@dataclass
class Sheet:
    """An override sheet as read: the entries for this assignment, and how many rows were another's."""

    entries: list[OverrideEntry]
    other_assignments: int = 0


def read_override_csv(path: Path, assignment: dict[str, Any], assignments: Iterable[str] = ()) -> Sheet:
    """Rows ``student, part, score, comment`` (a header row names them; comment may be left out; other
    columns are ignored). UTF-8 or UTF-16 with a byte-order mark; commas, semicolons or tabs.

    An ``assignment`` column keeps the rows of this assignment (any case) and counts the others, which must
    be assignments of the gradebook (``assignments``): a typo there would drop rows unseen. The same
    student's part given two different scores (two TAs' sheets pasted together) is an error."""
    name = shown_path(path)
    rows = read_csv(decode(read_bytes(path, LIMITS), name), name)
    if len(rows) > MAX_ROWS:
        raise InputError(name, rows[MAX_ROWS][0], None, f"more than {MAX_ROWS} rows")
    header = [h.strip().lower() for h in rows[0][1]] if rows else []
    place = _columns(header, name)
    known = {a.casefold(): a for a in [*assignments, assignment["id"]]}
    sheet = Sheet([])
    given: dict[tuple[str, str], OverrideEntry] = {}
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header):
            raise InputError(name, line, None, f"this row has {len(row)} cells but the header names {len(header)} "
                                               "columns (put a comment holding commas in double quotes)")
        cells = {column: row[i].strip() if i < len(row) else "" for column, i in place.items()}
        if cells.get("assignment"):
            meant = known.get(cells["assignment"].casefold())
            if meant is None:
                raise InputError(name, line, None, f"no assignment {quote(cells['assignment'])} in this gradebook "
                                                   f"(it holds {', '.join(sorted(known.values()))})")
            if meant != assignment["id"]:
                sheet.other_assignments += 1  # a sheet for several assignments: this row is another's
                continue
        entry = _entry(cells, name, line)
        earlier = given.get((entry.student, entry.part))
        if earlier is not None and (earlier.score, earlier.comment) != (entry.score, entry.comment):
            raise InputError(name, line, None, f"student {quote(entry.student)}'s {entry.part} already has "
                                               f"{shown_score(earlier.score)} from {earlier.where}; keep one of the "
                                               "two rows")
        if earlier is None:
            given[(entry.student, entry.part)] = entry
            sheet.entries.append(entry)
    return sheet


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
    return OverrideEntry(student_id(cells["student"]), cells["part"], score, comment_text(cells.get("comment", "")),
                         f"{name}:{line}")


def comment_text(text: str) -> str:
    """A comment as students will read it: control characters (a NUL, a terminal escape) left out."""
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


_DECIMAL = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")


def _number(text: str) -> float:
    """A score as spreadsheets and people write it: 2.5, 2,5 (a decimal comma), ۲٫۵ (Persian digits)."""
    text = number_text(text)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _DECIMAL.fullmatch(text):
        raise ValueError(text)
    return float(text)


def shown_score(score: float) -> str:
    """A score as written, to the last digit that matters (3.0000000001 is not 3)."""
    return format(score, ".15g")


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
            raise InputError(where, None, None, f"score {shown_score(entry.score)} for {entry.part} must be from 0 "
                                                f"to {top:g}")
        if len(entry.comment) > MAX_COMMENT:
            raise InputError(where, None, None, f"the comment is {len(entry.comment):,} characters long; keep it "
                                                f"under {MAX_COMMENT:,}")
        if entry.student not in students:
            raise InputError(where, None, None, f"no submission from student {quote(entry.student)} in this gradebook")


def check_report_files(book: Gradebook, out: Path, assignment: str, students: set[str]) -> None:
    """Call before recording overrides: a folder where one of the students' report files belongs stops the
    import before anything lands, rather than after the gradebook has changed."""
    for stem in book.stems(assignment, students):
        for renderer in RENDERERS.values():
            writable_target(out, stem + renderer.suffix)


def rewrite_reports(book: Gradebook, out: Path, assignment: str, students: set[str]) -> int:
    """Render the existing report files of ``students`` again, with every override applied (one pass)."""
    written = 0
    for row in book.rows(assignment, latest_only=False, students=students):
        for renderer in RENDERERS.values():  # rows() has applied the overrides
            if (out / (row.stem + renderer.suffix)).exists():
                write_atomic(out, row.stem + renderer.suffix, renderer.from_json(row.report))
                written += 1
    return written
