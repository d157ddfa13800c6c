"""Grade sheets for spreadsheets and learning-management systems: Canvas, Moodle, plain CSV.

Student text reaches spreadsheets here, so every text cell goes through :func:`cell`: a
value starting with ``= + - @``, a tab or a carriage return is prefixed with ``'`` (the
OWASP recommendation against formula injection), and the csv module quotes commas, quotes
and newlines. Rows are streamed: a class of any size is one pass over the gradebook.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterable

from ..files import atomic_writer
from ..gradebook import Gradebook

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: numbers as they are, text never read as a formula."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _write_csv(directory: Path, name: str, rows: Iterable[list[Any]]) -> Path:
    with atomic_writer(directory, name, newline="") as (handle, target):
        writer = csv.writer(handle, lineterminator="\r\n")  # RFC 4180
        for row in rows:
            writer.writerow([cell(v) for v in row])
    return target


def canvas(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    """Canvas's gradebook import: its five identity columns, one column for this assignment, and
    the 'Points Possible' row. Students are matched by SIS User ID (our student id)."""
    column = f"{assignment['title']} ({assignment['id']})"

    def rows():
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
        yield ["Points Possible", "", "", "", "", assignment["max_score"]]
        for row in book.rows(assignment["id"]):
            yield [row.name or row.student, "", row.student, "", "", row.report["score"]]

    return [_write_csv(directory, "canvas.csv", rows())]


def moodle(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    """Moodle's grade import from CSV: map 'ID number' to the user's ID number, the grade column to
    the grade item, and the feedback column to its feedback."""

    def rows():
        yield ["ID number", "Full name", assignment["title"], f"{assignment['title']} feedback"]
        for row in book.rows(assignment["id"]):
            yield [row.student, row.name or "", row.report["score"], _feedback_line(row.report)]

    return [_write_csv(directory, "moodle.csv", rows())]


def plain(book: Gradebook, assignment: dict[str, Any], directory: Path) -> list[Path]:
    """One row per student, one column per part (score), and totals: for any spreadsheet."""
    part_ids = [p["id"] for p in assignment["parts"]]

    def rows():
        yield ["student", "name", "score", "max_score", "percent", *part_ids, "problem", "source"]
        for row in book.rows(assignment["id"]):
            report = row.report
            scores = {p["id"]: p["score"] for p in report["parts"]}
            percent = round(100 * report["score"] / report["max_score"], 2) if report["max_score"] else 0
            yield [row.student, row.name or "", report["score"], report["max_score"], percent,
                   *[scores.get(pid, "") for pid in part_ids], report.get("problem") or "", row.source]

    return [_write_csv(directory, "grades.csv", rows())]


def _feedback_line(report: dict[str, Any]) -> str:
    """A one-cell summary a student can read in the LMS: each part's status and score."""
    if report.get("problem"):
        return f"Could not be graded: {report['problem']}"
    return "; ".join(f"{p['id']} {p['score']:g}/{p['max_score']:g} {p['status'].replace('_', ' ')}"
                     for p in report["parts"])
