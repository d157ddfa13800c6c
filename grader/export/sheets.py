"""Grade sheets for spreadsheets and learning-management systems: Canvas, Moodle, plain CSV.

Student text reaches spreadsheets here, so every text cell goes through :func:`cell`: a
value starting with ``= + - @``, a tab, a carriage return or a line feed is prefixed with
``'`` (the OWASP recommendation against formula injection), and the csv module quotes commas,
quotes and newlines. Numbers are written plainly (``1234567``, ``0.000001``), never in
exponent form, which Canvas's score pattern does not read. Rows are streamed: a class of
any size is one pass over the gradebook. docs/formats.md gives each importer's rules.
"""
from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from ..files import atomic_writer
from ..gradebook import Gradebook
from .options import Options, awaiting

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Canvas drops a column whose header holds one of these as a total it computes itself
CANVAS_TOTALS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points", "Final Grade",
                 "Override Score", "Override Grade", "Override Status")


def cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet: numbers as plain decimals, text never read as a formula."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def number(value: float) -> str:
    """A score as a plain decimal: the shortest that reads back the same, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    text = format(Decimal(repr(float(value)) if isinstance(value, float) else value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _write_csv(directory: Path, name: str, rows: Iterable[list[Any]]) -> Path:
    with atomic_writer(directory, name, newline="") as (handle, target):
        writer = csv.writer(handle, lineterminator="\r\n")  # RFC 4180
        for row in rows:
            writer.writerow([cell(v) for v in row])
    return target


def canvas_column(assignment: dict[str, Any], options: Options) -> str:
    """``Title (N)`` with Canvas's assignment id, which Canvas reads back only when N is a number; else the
    title alone, which Canvas matches to an assignment of exactly that title (or creates one)."""
    if options.canvas_assignment_id is not None:
        return f"{assignment['title']} ({options.canvas_assignment_id})"
    return assignment["title"]


def canvas(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    """Canvas's gradebook import: its five identity columns, one column for this assignment, and
    the 'Points Possible' row. Students are matched by SIS User ID (our student id)."""
    column = canvas_column(assignment, options)

    def rows():
        yield ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column]
        yield ["Points Possible", "", "", "", "", assignment["max_score"]]
        for row in book.rows(assignment["id"], students=options.only):
            yield [row.name or row.student, "", row.student, "", "", total(row.report, options)]

    return [_write_csv(directory, "canvas.csv", rows())]


def moodle(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    """Moodle's grade import from CSV, with the headers Moodle's own export writes: 'ID number' for the
    user, '<item> (Real)' for the grade and '<item> (Feedback)' for its feedback, so each maps to the
    grade item of that name (a manual item named like the assignment)."""
    item = assignment["title"]

    def rows():
        yield ["ID number", f"{item} (Real)", f"{item} (Feedback)", "Full name"]
        for row in book.rows(assignment["id"], students=options.only):
            yield [row.student, total(row.report, options), feedback_line(row.report), row.name or ""]

    return [_write_csv(directory, "moodle.csv", rows())]


def plain(book: Gradebook, assignment: dict[str, Any], directory: Path, options: Options) -> list[Path]:
    """One row per student, one column per part (score), and totals: for any spreadsheet."""
    part_ids = [p["id"] for p in assignment["parts"]]

    def rows():
        yield ["student", "name", "score", "max_score", "percent", *part_ids, "awaiting_review", "problem", "source"]
        for row in book.rows(assignment["id"], students=options.only):
            report = row.report
            waiting = awaiting(report)
            scores = {p["id"]: "" if p["id"] in waiting and options.unreviewed == "hold" else p["score"]
                      for p in report["parts"]}
            score = total(report, options)
            percent = "" if score == "" else round(100 * score / report["max_score"], 2) if report["max_score"] else 0
            yield [row.student, row.name or "", score, report["max_score"], percent,
                   *[scores.get(pid, "") for pid in part_ids], " ".join(waiting), report.get("problem") or "",
                   row.source]

    return [_write_csv(directory, "grades.csv", rows())]


def total(report: dict[str, Any], options: Options) -> Any:
    """A report's total as an LMS receives it: empty (held back) while a free-text part awaits review, unless
    the instructor asked for it to be sent and flagged."""
    return "" if awaiting(report) and options.unreviewed == "hold" else report["score"]


def feedback_line(report: dict[str, Any]) -> str:
    """A one-cell summary a student can read in the LMS: each part's status and score, and what the
    instructor said about it."""
    if report.get("problem"):
        return f"Could not be graded: {report['problem']}"
    parts = []
    for p in report["parts"]:
        said = (f"{p['id']} awaiting review (out of {number(p['max_score'])})" if p["id"] in awaiting(report) else
                f"{p['id']} {number(p['score'])}/{number(p['max_score'])} {p['status'].replace('_', ' ')}")
        comment = (p.get("override") or {}).get("comment")
        parts.append(f"{said} (instructor: {comment})" if comment else said)
    return "; ".join(parts)
