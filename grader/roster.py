"""A class roster (CSV): who the students are, for handouts and for probing every variant.

The first row is a header. The id column is the first found of ``student_id``, ``student id``,
``sis user id`` (a Canvas gradebook export), ``sis_id``, ``id number`` (Moodle), ``login``,
``sis login id``, ``student``, ``id`` (any case); ``name`` is optional. A file of one column
whose first cell is not such a name is a plain list of ids. Commas, semicolons (what many
spreadsheets write) and tabs are all read; rows an LMS adds that are not students (Canvas's
"Points Possible") are skipped.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .document import Limits, decode, read_bytes
from .errors import InputError
from .normalize import student_id

ID_COLUMNS = ("student_id", "student id", "sis user id", "sis_id", "id number", "login", "sis login id", "student",
              "id")
NAME_COLUMNS = ("name", "full name", "student name")
NOT_STUDENTS = ("points possible",)
LIMITS = Limits(max_bytes=20_000_000)
MAX_STUDENTS = 100_000


@dataclass(frozen=True)
class Enrolled:
    student: str
    name: str = ""


def read_roster(path: str | Path) -> list[Enrolled]:
    """The roster's students in file order, duplicates dropped; :class:`InputError` at ``file:line``."""
    name = str(path)
    try:
        text = decode(read_bytes(Path(path), LIMITS), name)
    except OSError as exc:
        raise InputError(name, None, None, f"cannot read the roster: {exc.strerror or exc}") from None
    rows = read_csv(text, name)
    if not rows:
        raise InputError(name, 1, 1, "the roster is empty")
    header = [h.strip().casefold() for h in rows[0][1]]
    id_col = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    name_col = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    if name_col is None and id_col is not None and header[id_col] != "student" and "student" in header:
        name_col = header.index("student")  # Canvas: "Student" holds the name beside "SIS User ID"
    body = rows[1:]
    if id_col is None:
        if len(header) != 1:
            raise InputError(name, 1, 1, f"no student id column: name one of {', '.join(ID_COLUMNS)}")
        id_col, body = 0, rows  # a bare list of ids
    out: list[Enrolled] = []
    seen: set[str] = set()
    for line, row in body:
        if not any(cell.strip() for cell in row) or any(cell.strip().casefold() in NOT_STUDENTS for cell in row):
            continue
        if id_col >= len(row) or not row[id_col].strip():
            raise InputError(name, line, 1, "this row has no student id")
        sid = student_id(row[id_col])
        if sid in seen:
            continue
        seen.add(sid)
        out.append(Enrolled(sid, row[name_col].strip() if name_col is not None and name_col < len(row) else ""))
        if len(out) > MAX_STUDENTS:
            raise InputError(name, line, 1, f"more than {MAX_STUDENTS} students")
    if not out:
        raise InputError(name, 2, 1, "the roster lists no students")
    return out


def read_csv(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Every row of a CSV file's text with the line it starts on, whatever the line endings (\\n, \\r\\n, a
    Mac's \\r) and the separator (comma, semicolon, tab); a quote left open, a cell over the csv module's limit
    or a NUL byte is an :class:`InputError` at the line where that row starts."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    rows, start = [], 1
    try:
        for row in reader:
            rows.append((start, row))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(name, start, None, f"not readable as CSV: {exc} (is a quote left open?)") from None
    return rows


def delimiter_of(text: str) -> str:
    """Comma, semicolon or tab: whichever splits the header row (the first that does, in that order)."""
    first = re.match(r"[^\r\n]*", text).group()
    for candidate in (",", ";", "\t"):
        if candidate in first:
            return candidate
    return ","
