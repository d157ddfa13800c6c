"""A class roster (CSV): who the students are, for handouts and for probing every variant.

The first row is a header; the id column is the first of ``student``, ``id``, ``student_id``,
``sis_id``, ``login`` (any case), and ``name`` is optional. A file with one unnamed column is a
plain list of ids.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .document import read_bytes, decode, Limits
from .errors import InputError
from .normalize import student_id

ID_COLUMNS = ("student", "id", "student_id", "sis_id", "login")
NAME_COLUMNS = ("name", "full name", "student name")
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
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputError(name, 1, 1, "the roster is empty")
    header = [h.strip().casefold() for h in rows[0]]
    id_col = next((header.index(c) for c in ID_COLUMNS if c in header), None)
    name_col = next((header.index(c) for c in NAME_COLUMNS if c in header), None)
    body = rows[1:]
    if id_col is None:
        if len(header) != 1:
            raise InputError(name, 1, 1, f"no student id column: name one of {', '.join(ID_COLUMNS)}")
        id_col, body = 0, rows  # a bare list of ids
    out: list[Enrolled] = []
    seen: set[str] = set()
    for line, row in enumerate(body, start=len(rows) - len(body) + 1):
        if not any(cell.strip() for cell in row):
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
