"""The class gradebook: one SQLite file in the output directory, the source of truth for exports.

Tables: ``assignments``; ``students``; ``submissions`` (one row per submission file: its
content hash, the spec's hash, when it was graded, the report as JSON, the name of its
report files); ``part_results`` (one row per part, a view read from the reports, with ``part_readings``: the
parts read as something other than their text, choice picks); ``overrides`` (an instructor's score
and comment for a student's part); ``report_names`` (which report file stem belongs to
which submission, so names stay stable from run to run).

Every batch of rows is written in one transaction, after the report files are on disk:
a run killed at any moment leaves either a submission's whole row or none, and a rerun
regrades exactly what is missing.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import urllib.parse
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from .errors import GraderError, quote, shown_path
from .files import safe_name, unique_stem
from .model import Report, compact_json, plain_json

_READINGS = """CREATE TABLE IF NOT EXISTS part_readings (
    assignment TEXT NOT NULL, source TEXT NOT NULL, part TEXT NOT NULL,
    answer_key TEXT NOT NULL,                        -- the answer as the kind read it (choice picks), JSON
    PRIMARY KEY (assignment, source, part)
) WITHOUT ROWID;"""
# one row per part of every report, read from the report itself: a class's parts are not written twice
_PARTS = """CREATE VIEW IF NOT EXISTS part_results (assignment, source, part, kind, score, max_score, status, diagnosis,
                                        feedback, answer_key) AS
SELECT s.assignment, s.source, json_extract(p.value, '$.id'), json_extract(p.value, '$.kind'),
       CAST(json_extract(p.value, '$.score') AS REAL), CAST(json_extract(p.value, '$.max_score') AS REAL),
       json_extract(p.value, '$.status'), json_extract(p.value, '$.diagnosis'), json_extract(p.value, '$.feedback'),
       r.answer_key
FROM submissions AS s JOIN json_each(s.report, '$.parts') AS p
LEFT JOIN part_readings AS r ON r.assignment = s.assignment AND r.source = s.source
                              AND r.part = json_extract(p.value, '$.id');"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS assignments (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, max_score REAL NOT NULL, spec_path TEXT, spec_hash TEXT,
    parts TEXT NOT NULL          -- JSON: [{id, kind, points, group, title, prompt, ...}], see grader/outline.py
);
CREATE TABLE IF NOT EXISTS students (id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE IF NOT EXISTS submissions (
    assignment TEXT NOT NULL, source TEXT NOT NULL, student TEXT NOT NULL,
    content_hash TEXT NOT NULL, spec_hash TEXT NOT NULL, grader_version TEXT NOT NULL,
    modified REAL, graded_at TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL,
    problem TEXT, report_stem TEXT NOT NULL, report TEXT NOT NULL,   -- the automatic report, as JSON
    PRIMARY KEY (assignment, source)
);
CREATE INDEX IF NOT EXISTS submissions_student ON submissions (assignment, student);
%(readings)s
%(parts)s
CREATE TABLE IF NOT EXISTS overrides (
    assignment TEXT NOT NULL, student TEXT NOT NULL, part TEXT NOT NULL, score REAL NOT NULL,
    comment TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
    PRIMARY KEY (assignment, student, part)
);
CREATE TABLE IF NOT EXISTS report_names (
    stem TEXT NOT NULL COLLATE NOCASE PRIMARY KEY, assignment TEXT NOT NULL, source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS report_names_source ON report_names (assignment, source);
""" % {"readings": _READINGS, "parts": _PARTS}


def _casefold(text: Any) -> Any:
    return text.casefold() if isinstance(text, str) else text


def _check_columns(db: sqlite3.Connection) -> None:
    """Every table has the columns this version writes (not another program's tables of the same name)."""
    probe = sqlite3.connect(":memory:")
    probe.executescript(SCHEMA)
    for (table,) in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        wanted = [r[1] for r in probe.execute(f"PRAGMA table_info({table})")]
        found = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
        if found != wanted:
            raise sqlite3.DatabaseError(f"table {table} has columns {', '.join(found)}, not {', '.join(wanted)}")
    probe.close()


_SECOND: list = [None, ""]  # the last second asked for, and its text: a batch records thousands in one


def _now_text() -> str:
    """The time now, to the second, as ISO 8601 text in UTC (as ``datetime.now(...).isoformat(timespec=...)``)."""
    second = int(time.time())
    if second != _SECOND[0]:
        _SECOND[:] = [second, datetime.fromtimestamp(second, timezone.utc).isoformat()]
    return _SECOND[1]


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    """Lists of at most ``size`` items: SQLite takes a bounded number of parameters in one statement."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _marks(chunk: list) -> str:
    return ", ".join("?" * len(chunk))


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One explicit transaction: committed whole, or rolled back (unless SQLite has already done so, as on
    a full disk, when a second ROLLBACK would hide its error behind its own)."""
    db.execute("BEGIN IMMEDIATE")  # the write lock now: a service's workers queue here, never deadlock
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _parts_from_reports(db: sqlite3.Connection) -> None:
    """A gradebook of an earlier version kept a row per part beside each report: its readings are kept, and its
    parts are read from the reports from now on (the same columns, as a view), in one transaction."""
    def a_table() -> bool:
        return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'part_results'").fetchone() \
            is not None

    if not a_table():
        return
    with _transaction(db):
        if a_table():  # another process may have done it first: asked again under the lock
            db.execute(_READINGS)
            db.execute("INSERT OR REPLACE INTO part_readings SELECT assignment, source, part, answer_key "
                       "FROM part_results WHERE answer_key IS NOT NULL")
            db.execute("DROP TABLE part_results")
            db.execute(_PARTS)


@dataclass(frozen=True)
class Override:
    score: float
    comment: str


@dataclass(frozen=True)
class Row:
    """A submission as exports see it: the report with the instructor's overrides applied."""

    source: str
    student: str
    name: str | None
    stem: str
    report: dict[str, Any]


class GradebookError(GraderError):
    """A gradebook file grader cannot use (damaged, another program's, a link): one line, exit status 2."""


def unusable(path: Path, why: object) -> GradebookError:
    return GradebookError(f"{shown_path(path)}: cannot be used as a gradebook ({why}); move it away and grade "
                          "the class again (overrides live in it: keep the old file if it has any)")


def sqlite_problem(path: Path, exc: sqlite3.Error) -> GradebookError:
    """What a SQLite error means for the user: a full disk or a folder it may not write in are not a damaged
    gradebook, and sending the instructor to move a good one away (with its overrides) would be wrong."""
    said = str(exc)
    if "disk is full" in said or "disk I/O error" in said:
        return GradebookError(f"{shown_path(path.parent)}: no room left to write the gradebook (SQLite: {said}); "
                              "free some space and run the same command again: nothing committed is lost")
    if "readonly" in said or "unable to open" in said:
        return GradebookError(f"{shown_path(path)}: cannot be written (SQLite: {said}); make it and its folder "
                              "writable, or work on a copy")
    return unusable(path, f"SQLite: {said}")


GRADER_TABLES = frozenset({"assignments", "students", "submissions", "part_results", "overrides", "report_names"})


# A report is about 3 KB of JSON: on SQLite's default 4 KB pages most take a page of their own, and every row
# is written twice (the log, then the file). On 16 KB pages five share one: 10,000 seed reports take 34 MB, not 43,
# and are written in 25-31 us a file, not 28-41 (bench/README.md, tenth session).
PAGE_BYTES = 16_384

MAX_NAMESAKES = 10_000  # ids given by more than one file, beyond which SQLite orders their rows (it can spill)

BUSY_MS = 30_000  # how long a writer waits for another (a service's other worker, an export) before giving up

SIDE_FILES = ("", "-wal", "-shm", "-journal")  # SQLite opens these beside the gradebook, following links


_STUDENT_ROW = ("INSERT INTO students VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET "
                "name = coalesce(excluded.name, students.name)")
_SUBMISSION_ROW = "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_READING_ROW = "INSERT OR REPLACE INTO part_readings VALUES (?, ?, ?, ?)"
_NO_READINGS = "DELETE FROM part_readings WHERE assignment = ? AND source = ?"  # a regraded file's old ones


@dataclass(frozen=True)
class SubmissionRows:
    """A graded submission's gradebook rows but for its report file stem and time: ``submission`` lacks
    graded_at (after its 7th column) and report_stem (after its 10th). ``readings``: the parts read as something
    other than their text (choice picks); every part's row is read from the report (the ``part_results`` view)."""

    student: tuple
    submission: tuple
    readings: list[tuple]


def rows_of(assignment: str, source: str, content_hash: str, spec_hash: str, version: str, modified: float | None,
            report: "Report | dict[str, Any]", answer_keys: dict[str, Any], report_text: str | None = None) \
        -> SubmissionRows:
    """The rows of a graded report: the model's (a batch's) or its JSON form (the service's)."""
    if isinstance(report, Report):
        student, name, score, max_score, problem = (report.student, report.name, report.score, report.max_score,
                                                    report.problem)
        text = report_text or report.json_text()
    else:
        student, name, score, max_score, problem = (report["student"], report.get("name"), report["score"],
                                                    report["max_score"], report.get("problem"))
        text = report_text or compact_json(report)
    return SubmissionRows(
        (student, name),
        (assignment, source, student, content_hash, spec_hash, version, modified, score, max_score, problem, text),
        [(assignment, source, part, plain_json(key)) for part, key in answer_keys.items() if key is not None])


class Graded:
    """What a gradebook says was graded before, asked one file at a time from a read-only connection of a
    worker's own: a class regraded holds no table of every file in memory."""

    def __init__(self, path: Path, assignment: str):
        self.assignment = assignment
        self.db = sqlite3.connect(f"file:{urllib.parse.quote(str(path.resolve()))}?mode=ro", uri=True,
                                  check_same_thread=False)
        self.db.execute(f"PRAGMA busy_timeout={BUSY_MS}")

    def get(self, source: str) -> tuple[str, str, str, str] | None:
        """(content hash, spec hash, grader version, report file stem) of ``source`` as last graded, if it was."""
        return self.db.execute("SELECT content_hash, spec_hash, grader_version, report_stem FROM submissions "
                               "WHERE assignment = ? AND source = ?", (self.assignment, source)).fetchone()

    def close(self) -> None:
        self.db.close()


class Gradebook:
    def __init__(self, path: Path):
        self.path = path
        for suffix in SIDE_FILES:
            side = Path(f"{path}{suffix}")
            if side.is_symlink():
                raise GradebookError(f"{shown_path(side)}: is a symbolic link; grader does not write through links "
                                     "in an output folder: remove it")
            if side.exists() and not side.is_file():
                raise unusable(side, "not a regular file")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise GradebookError(f"{shown_path(path.parent)}: cannot write in this folder, where the gradebook keeps "
                                 "its journal; make it writable, or work on a copy")
        try:
            self.db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit
        except sqlite3.Error as exc:
            raise sqlite_problem(path, exc) from None
        try:
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if tables and not GRADER_TABLES <= tables:  # never write grader's tables into another program's file
                raise unusable(path, "it is another program's database, with tables " + ", ".join(sorted(tables)[:5]))
            self.db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
            if not tables:  # a new file: its page size is chosen before WAL fixes it (an old one keeps its own)
                self.db.execute(f"PRAGMA page_size={PAGE_BYTES}")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA cache_size=-2048")  # 2 MiB of pages, whatever the class size
            if tables:
                _parts_from_reports(self.db)
            # one transaction: a run killed while it makes a new gradebook leaves no tables, not some of them (a
            # file holding only some of grader's tables is refused as another program's)
            self.db.executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nCOMMIT;")
            _check_columns(self.db)
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, sqlite3.Error):
                raise sqlite_problem(path, exc) from None
            raise
        self._pending: list[tuple[str, tuple | list[tuple]]] = []
        self._pending_stems: set[str] = set()  # stems claimed by rows not yet committed (lower case)

    def _transaction(self) -> AbstractContextManager[None]:
        return _transaction(self.db)

    def close(self) -> None:
        self.flush()
        self.db.close()

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- assignments --------------------------------------------------------------------------
    def register(self, assignment_id: str, title: str, max_score: float, parts: list[dict], spec_path: str,
                 spec_hash: str) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT INTO assignments VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET title=excluded.title, "
                "max_score=excluded.max_score, spec_path=excluded.spec_path, spec_hash=excluded.spec_hash, "
                "parts=excluded.parts",
                (assignment_id, title, max_score, spec_path, spec_hash, json.dumps(parts)))

    def assignments(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT id, title, max_score, spec_path, parts, spec_hash FROM assignments ORDER BY id")
        out = []
        for r in rows:
            parts = self._json(r[4], f"the parts of assignment {quote(r[0])}")
            if not (isinstance(parts, list) and all(isinstance(p, dict) and {"id", "kind", "points"} <= p.keys()
                                                    for p in parts)):
                raise unusable(self.path, f"the parts of assignment {quote(r[0])} are damaged")
            out.append({"id": r[0], "title": r[1], "max_score": r[2], "spec_path": r[3], "parts": parts,
                        "spec_hash": r[5]})
        return out

    def _json(self, text: Any, what: str) -> Any:
        """A JSON column as data; a damaged one (edited by hand, half a disk block) is the gradebook's problem."""
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            raise unusable(self.path, f"{what} is not JSON") from None

    def assignment(self, assignment_id: str | None) -> dict[str, Any]:
        everything = self.assignments()
        if not everything:
            raise LookupError(f"{shown_path(self.path)} holds no graded class yet: grade one with --out "
                              f"{shown_path(self.path.parent)} first")
        found = everything if assignment_id is None else [a for a in everything if a["id"] == assignment_id]
        if len(found) != 1:
            known = ", ".join(a["id"] for a in everything)
            raise LookupError(f"name one assignment with --assignment (in this gradebook: {known})"
                              if found else f"no assignment {quote(assignment_id)} in the gradebook (known: {known})")
        return found[0]

    # --- grading ----------------------------------------------------------------------------
    def fingerprints(self, assignment: str) -> dict[str, tuple[str, str, str, str]]:
        """source -> (content hash, spec hash, grader version, report file stem) of what is already graded."""
        rows = self.db.execute("SELECT source, content_hash, spec_hash, grader_version, report_stem FROM submissions "
                               "WHERE assignment = ?", (assignment,))
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def last_row(self) -> int:
        """Where this run's rows begin: a submission written again is a new row (INSERT OR REPLACE), numbered
        after every row before it."""
        return self.db.execute("SELECT coalesce(max(rowid), 0) FROM submissions").fetchone()[0]

    def namesakes(self, assignment: str, after_row: int) -> Iterator[tuple[str, str, str, str]]:
        """(source, student, earlier source, its student) for each submission whose student id, or the same id
        written in another case, an earlier file (by source) also gave, where either was written after row
        ``after_row`` (in this run). A class of any size costs a number per file here: the ids are hashed first,
        and only the rows of ids that occur twice are read and ordered (a sort of every row in SQLite held 3-4 MB
        at 100,000 submissions, the largest thing a batch held)."""
        fold = _casefold
        hashes = self._hashes(assignment, fold)
        twice = set(hashes[1:][hashes[1:] == hashes[:-1]].tolist())  # np.unique would import numpy.ma: 8 ms
        del hashes
        if not twice:
            return
        if len(twice) > MAX_NAMESAKES:  # most of a class handed in twice: SQLite orders them, spilling to disk
            self.db.create_function("casefold", 1, fold, deterministic=True)
            rows: Iterable[tuple] = self.db.execute(
                "SELECT casefold(student), source, student, rowid > ? FROM submissions WHERE assignment = ? "
                "ORDER BY 1, source", (after_row, assignment))
        else:
            rows = sorted((fold(student), source, student, rowid > after_row) for source, student, rowid in
                          self.db.execute("SELECT source, student, rowid FROM submissions WHERE assignment = ?",
                                          (assignment,)) if hash(fold(student)) in twice)
        group, firsts, first_source, first_student, fresh = None, {}, "", "", False
        for folded, source, student, graded_now in rows:
            if folded != group:
                group, firsts, first_source, first_student, fresh = folded, {}, source, student, bool(graded_now)
                firsts[student] = (source, bool(graded_now))
                continue
            earlier, earlier_now = firsts.setdefault(student, (source, bool(graded_now)))
            if earlier != source and (graded_now or earlier_now):
                yield source, student, earlier, student
            if student != first_student and (graded_now or fresh):
                yield source, student, first_source, first_student

    def _hashes(self, assignment: str, fold: Any) -> np.ndarray:
        """The hash of each submission's folded student id, sorted: counted and read in one snapshot (a service
        may write meanwhile), so the array is made at its size once, 8 bytes a submission."""
        with self.snapshot():
            [count] = self.db.execute("SELECT count(*) FROM submissions WHERE assignment = ?", (assignment,)).fetchone()
            students = self.db.execute("SELECT student FROM submissions WHERE assignment = ?", (assignment,))
            hashes = np.fromiter((hash(fold(student)) for (student,) in students), dtype=np.int64, count=count)
        hashes.sort()
        return hashes

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one state of the gradebook, though a run or the service writes meanwhile (inside a
        transaction already, that one's)."""
        own = not self.db.in_transaction
        if own:
            self.db.execute("BEGIN")
        try:
            yield
        finally:
            if own:
                self.db.execute("COMMIT")

    def has_submissions(self, assignment: str) -> bool:
        return self.db.execute("SELECT 1 FROM submissions WHERE assignment = ? LIMIT 1", (assignment,)).fetchone() \
            is not None

    def has_names(self, assignment: str) -> bool:
        """Has any file of ``assignment`` a report file stem (named by an earlier run)?"""
        return self.db.execute("SELECT 1 FROM report_names WHERE assignment = ? LIMIT 1", (assignment,)).fetchone() \
            is not None

    def stem_for(self, assignment: str, source: str, student: str, named_before: bool = True) -> str:
        """The report file stem of a submission: kept from earlier runs, else the student's id made
        safe, else (taken by another submission) that plus a hash of id and source. ``named_before``: false
        when the caller knows no earlier run named any file of this assignment (a first run asks less)."""
        return self.stems_for(assignment, [(source, student)], named_before)[0]

    def stems_for(self, assignment: str, wanted: list[tuple[str, str]], named_before: bool = True) -> list[str]:
        """:meth:`stem_for` of each (source, student), in order, asking the gradebook once for them all (a batch
        names a few hundred submissions at a time: one question each cost more than the rest of naming them)."""
        earlier: dict[str, str] = {}
        if named_before:
            for chunk in _chunks([source for source, _ in wanted]):
                earlier.update(self.db.execute(f"SELECT source, stem FROM report_names WHERE assignment = ? AND "
                                               f"source IN ({_marks(chunk)})", (assignment, *chunk)))
        plain = {source: safe_name(student) for source, student in wanted if source not in earlier}
        taken: set[str] = set()  # the stem column compares without case, so IN does too
        for chunk in _chunks(sorted(set(plain.values()))):
            taken.update(stem.lower() for (stem,) in self.db.execute(
                f"SELECT stem FROM report_names WHERE stem IN ({_marks(chunk)})", chunk))
        stems = []
        for source, student in wanted:
            stem = earlier.get(source)
            if stem is None:
                stem = plain[source]
                if stem.lower() in self._pending_stems or stem.lower() in taken:
                    stem = unique_stem(student, source)
                self._pending.append(("INSERT INTO report_names VALUES (?, ?, ?)", (stem, assignment, source)))
                self._pending_stems.add(stem.lower())
            stems.append(stem)
        return stems

    def record(self, assignment: str, source: str, content_hash: str, spec_hash: str, version: str,
               modified: float | None, stem: str, report: dict[str, Any], answer_keys: dict[str, Any],
               report_text: str | None = None) -> None:
        """Queue a graded submission; written by :meth:`flush` in one transaction with its neighbours.
        ``report_text``: the report already as JSON, if the caller has it."""
        self.record_rows(stem, rows_of(assignment, source, content_hash, spec_hash, version, modified, report,
                                       answer_keys, report_text))

    def record_rows(self, stem: str, rows: "SubmissionRows") -> None:
        """Queue rows made by :func:`rows_of` (a batch's workers make them), with the report file stem chosen."""
        now = _now_text()
        self._pending.append((_STUDENT_ROW, rows.student))
        self._pending.append((_SUBMISSION_ROW, rows.submission[:7] + (now,) + rows.submission[7:10] + (stem,)
                              + rows.submission[10:]))
        self._pending.append((_NO_READINGS, rows.submission[:2]))
        if rows.readings:
            self._pending.append((_READING_ROW, rows.readings))

    def flush(self) -> None:
        if not self._pending:
            return
        with self._transaction():
            self.write_pending()

    def write_pending(self) -> None:
        """Write what :meth:`record` queued, inside a transaction the caller holds."""
        rows: dict[str, list[tuple]] = {}  # one executemany per statement; each table's rows keep their order
        for sql, params in self._pending:
            rows.setdefault(sql, []).extend(params if isinstance(params, list) else [params])
        for sql, many in rows.items():
            self.db.executemany(sql, many)
        self._pending.clear()
        self._pending_stems.clear()

    # --- overrides -----------------------------------------------------------------------------
    def set_overrides(self, assignment: str, entries: Iterable[tuple[str, str, float, str]]) -> None:
        """(student, part, score, comment) rows, all in one transaction: a sheet lands whole or not at all."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self._transaction():
            self.db.executemany("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?, ?)",
                                [(assignment, student, part, score, comment, now)
                                 for student, part, score, comment in entries])

    def overrides(self, assignment: str) -> dict[tuple[str, str], Override]:
        rows = self.db.execute("SELECT student, part, score, comment FROM overrides WHERE assignment = ?",
                               (assignment,))
        return {(r[0], r[1]): Override(r[2], r[3]) for r in rows}

    # --- reading back ------------------------------------------------------------------------
    def rows(self, assignment: str, latest_only: bool = True, students: set[str] | None = None) -> Iterator[Row]:
        """Submissions with overrides applied, ordered by student; one per student (the file modified
        last) unless ``latest_only`` is false; only those of ``students``, if given."""
        overrides = self.overrides(assignment)
        query = ("SELECT s.source, s.student, st.name, s.report_stem, s.report, s.modified FROM submissions s "
                 "LEFT JOIN students st ON st.id = s.student WHERE s.assignment = ? "
                 "ORDER BY s.student, s.modified DESC, s.source")
        last = None
        for source, student, name, stem, report, _ in self.db.execute(query, (assignment,)):
            if (latest_only and student == last) or (students is not None and student not in students):
                continue
            last = student
            data = self._json(report, f"the report of {quote(source)}")
            if not (isinstance(data, dict) and isinstance(data.get("parts"), list) and all(
                    isinstance(p, dict) and {"id", "score", "max_score", "status"} <= p.keys() for p in data["parts"])):
                raise unusable(self.path, f"the report of {quote(source)} is damaged")
            yield Row(source, student, name, stem, apply_overrides(data, overrides))

    def sources(self, assignment: str) -> Iterator[tuple[str, str]]:
        """(source, report file stem) of every submission graded for ``assignment``, read as they are taken."""
        return self.db.execute("SELECT source, report_stem FROM submissions WHERE assignment = ?", (assignment,))

    def forget(self, assignment: str, sources: list[str]) -> None:
        """Remove these submissions (files no longer in the class) and their names, in one transaction."""
        if not sources:
            return
        with self._transaction():
            self.remove_rows(assignment, sources)

    def remove_rows(self, assignment: str, sources: list[str]) -> None:
        """Delete these submissions' rows, readings and report names, inside a transaction the caller holds."""
        for table in ("submissions", "part_readings", "report_names"):
            self.db.executemany(f"DELETE FROM {table} WHERE assignment = ? AND source = ?",
                                [(assignment, source) for source in sources])

    def stems(self, assignment: str, students: set[str]) -> list[str]:
        """The report file stems of these students' submissions."""
        return [stem for student, stem in self.db.execute(
            "SELECT student, report_stem FROM submissions WHERE assignment = ?", (assignment,)) if student in students]

    def students(self, assignment: str) -> set[str]:
        """Every student with a submission to ``assignment``."""
        return {r[0] for r in self.db.execute("SELECT DISTINCT student FROM submissions WHERE assignment = ?",
                                              (assignment,))}

    def readings(self, assignment: str, source: str) -> dict[str, str]:
        """part -> the answer as its kind read it (JSON text: a choice part's picks), for one submission."""
        return dict(self.db.execute("SELECT part, answer_key FROM part_readings WHERE assignment = ? AND source = ?",
                                    (assignment, source)))

    def part_results(self, assignment: str) -> list[tuple]:
        try:  # read from the reports: one that is not JSON stops the query
            return list(self.db.execute("SELECT source, part, kind, score, max_score, status, diagnosis, answer_key "
                                        "FROM part_results WHERE assignment = ? ORDER BY source, part", (assignment,)))
        except sqlite3.OperationalError as exc:
            if "JSON" not in str(exc):
                raise
            raise unusable(self.path, "a report in it is not JSON") from None


def apply_overrides(report: dict[str, Any], overrides: dict[tuple[str, str], Override]) -> dict[str, Any]:
    """The report as the instructor decided it: overridden parts get the given score and comment."""
    student = report["student"]
    changed = False
    for part in report["parts"]:
        override = overrides.get((student, part["id"]))
        if override is None:
            continue
        changed = True
        automatic = part.get("override", {}).get("automatic_score", part["score"])  # applying twice changes nothing
        part["override"] = {"score": override.score, "comment": override.comment, "automatic_score": automatic}
        part["score"] = override.score
        fraction = override.score / part["max_score"] if part["max_score"] else 0.0
        part["status"] = "correct" if fraction >= 1 else "partial" if fraction > 0 else "incorrect"
    if changed:
        total = sum(p["score"] for p in report["parts"])
        late = report.get("late")
        if late:  # a late submission's penalty applies to the score the instructor decided, too
            late["score_before_penalty"] = round(total, 6)
            total *= 1 - late["penalty_percent"] / 100
        report["score"] = round(total, 6)
        counts = {k: 0 for k in report.get("counts", {})}
        for part in report["parts"]:
            counts[part["status"]] = counts.get(part["status"], 0) + 1
        report["counts"] = counts
    return report
