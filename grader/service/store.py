"""The service's state, in the class gradebook (``DIR/gradebook.sqlite``) beside the batch's tables.

Three tables of its own: ``service_tokens`` (a SHA-256 of each student's token, never the token),
``service_attempts`` (every submission, numbered per student and assignment, with its report) and
``service_checks`` (when each self-check was made, for the rate limit). The batch's ``submissions``
table holds, per student, the one submission that counts (latest or best, as the spec says), so
``grader export DIR``, ``stats`` and ``override`` read a served class exactly as a graded one.

Every write is one ``BEGIN IMMEDIATE`` transaction: several workers (processes) share the file,
and counting attempts, recording the new one and choosing the one that counts happen under one
write lock, so no submission is lost or counted twice.
"""
from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ..files import ensure_folder, safe_name, write_atomic
from ..gradebook import Gradebook
from ..model import compact_json

TABLES = """
CREATE TABLE IF NOT EXISTS service_tokens (
    student TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS service_attempts (
    assignment TEXT NOT NULL, student TEXT NOT NULL, number INTEGER NOT NULL, received_at TEXT NOT NULL,
    file TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, report TEXT NOT NULL,
    PRIMARY KEY (assignment, student, number)
);
CREATE TABLE IF NOT EXISTS service_checks (student TEXT NOT NULL, at REAL NOT NULL, cost REAL NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS service_checks_student ON service_checks (student, at);
"""

TOKEN_BYTES = 24  # 192 random bits, written in 32 URL-safe characters


def token_hash(token: str) -> str:
    """Tokens are random and long, so one SHA-256 is enough: a stolen gradebook holds no usable token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class NoAttemptsLeft(Exception):
    """The spec's number of submissions is used up."""


@dataclass(frozen=True)
class Attempt:
    number: int
    received_at: str
    score: float
    max_score: float
    counted: bool
    report: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        late = self.report.get("late")
        return {"number": self.number, "received_at": self.received_at, "score": self.score,
                "max_score": self.max_score, "counted": self.counted,
                "late_penalty_percent": late["penalty_percent"] if late else 0}


class Store:
    """One gradebook connection per thread (SQLite connections stay in the thread that made them)."""

    def __init__(self, data: Path):
        self.data = data
        self.path = data / "gradebook.sqlite"
        self.files = data / "submissions"
        self._local = threading.local()
        # one writer at a time within this process: threads queue here and wake at once, instead of meeting at
        # SQLite's lock, whose busy handler sleeps for growing spans; other processes still meet there
        self._writing = threading.Lock()
        with Gradebook(self.path) as book:
            book.db.executescript(TABLES)

    @contextmanager
    def _write(self) -> Iterator[Gradebook]:
        book = self.book()
        with self._writing, book._transaction():
            yield book

    def book(self) -> Gradebook:
        found = getattr(self._local, "book", None)
        if found is None:
            found = self._local.book = Gradebook(self.path)
        return found

    # --- tokens ------------------------------------------------------------------------------
    def student_of(self, token: str) -> str | None:
        row = self.book().db.execute("SELECT student, token_hash FROM service_tokens WHERE token_hash = ?",
                                     (token_hash(token),)).fetchone()
        return row[0] if row else None

    def issue_tokens(self, students: list[str], rotate: str | None = None) -> list[tuple[str, str]]:
        """New tokens for the students who have none (or for ``rotate`` only, replacing theirs)."""
        now = _now()
        issued = []
        with self._write() as book:
            having = {r[0] for r in book.db.execute("SELECT student FROM service_tokens")}
            wanted = [rotate] if rotate is not None else [s for s in students if s not in having]
            for student in wanted:
                token = new_token()
                book.db.execute("INSERT OR REPLACE INTO service_tokens VALUES (?, ?, ?)",
                                (student, token_hash(token), now))
                issued.append((student, token))
        return issued

    # --- rate limit ---------------------------------------------------------------------------
    def admit(self, student: str, per_minute: int, seconds_per_minute: float) -> tuple[int | None, float]:
        """Count a request that grades (a check or a submission): (its ticket, 0) if the student is within
        both limits over the last minute (requests, and CPU seconds of grading), else (None, seconds to wait)."""
        now = time.time()
        with self._write() as book:
            book.db.execute("DELETE FROM service_checks WHERE student = ? AND at < ?", (student, now - 60))
            recent = book.db.execute("SELECT at, cost FROM service_checks WHERE student = ? ORDER BY at",
                                     (student,)).fetchall()
            wait = 0.0
            if len(recent) >= per_minute:
                wait = recent[len(recent) - per_minute][0] + 60 - now
            spent = sum(cost for _, cost in recent)
            for at, cost in recent:  # the cost leaves the window request by request, oldest first
                if spent < seconds_per_minute:
                    break
                spent -= cost
                wait = max(wait, at + 60 - now)
            if wait > 0:
                return None, wait
            ticket = book.db.execute("INSERT INTO service_checks VALUES (?, ?, 0)", (student, now)).lastrowid
        return ticket, 0.0

    def charge(self, ticket: int, seconds: float) -> None:
        """What grading the request admitted with ``ticket`` cost, in CPU seconds."""
        with self._write() as book:
            book.db.execute("UPDATE service_checks SET cost = ? WHERE rowid = ?", (seconds, ticket))

    # --- submissions ------------------------------------------------------------------------------
    def attempts_used(self, assignment: str, student: str) -> int:
        return self.book().db.execute("SELECT count(*) FROM service_attempts WHERE assignment = ? AND student = ?",
                                      (assignment, student)).fetchone()[0]

    def submit(self, assignment: str, student: str, body: bytes, report: dict[str, Any], answer_keys: dict,
               spec_hash: str, limit: int | None, counts: str) -> Attempt:
        """Keep the body as received, record the attempt and, if it is now the one that counts, put it in the
        gradebook in its student's place: all under one write lock."""
        folder = ensure_folder(self.files, parents=True)
        folder = ensure_folder(folder / safe_name(assignment))
        folder = ensure_folder(folder / safe_name(student))
        received = _now()
        with self._write() as book:
            used = book.db.execute("SELECT count(*) FROM service_attempts WHERE assignment = ? AND student = ?",
                                   (assignment, student)).fetchone()[0]
            if limit is not None and used >= limit:
                raise NoAttemptsLeft(f"all {limit} submissions allowed for {assignment} are used")
            number = used + 1
            file = write_atomic(folder, f"{number}.json", body.decode("utf-8", "replace"))
            report = {**report, "source": str(file)}
            text = compact_json(report)
            book.db.execute("INSERT INTO service_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (assignment, student, number, received, str(file), report["score"],
                             report["max_score"], text))
            counted = self._counts(book, assignment, student, counts) == number
            if counted:
                book.remove_rows(assignment, [source for (source,) in book.db.execute(
                    "SELECT source FROM submissions WHERE assignment = ? AND student = ?", (assignment, student))])
                stem = book.stem_for(assignment, str(file), student)
                book.record(assignment, str(file), hashlib.sha256(body).hexdigest(), spec_hash,
                            report.get("grader_version", ""), time.time(), stem, report, answer_keys, text)
                book.write_pending()
        return Attempt(number, received, report["score"], report["max_score"], counted, report)

    @staticmethod
    def _counts(book: Gradebook, assignment: str, student: str, counts: str) -> int:
        order = "score DESC, number DESC" if counts == "best" else "number DESC"
        return book.db.execute(f"SELECT number FROM service_attempts WHERE assignment = ? AND student = ? "
                               f"ORDER BY {order} LIMIT 1", (assignment, student)).fetchone()[0]

    def history(self, assignment: str, student: str, counts: str) -> list[Attempt]:
        book = self.book()
        rows = book.db.execute("SELECT number, received_at, score, max_score, report FROM service_attempts "
                               "WHERE assignment = ? AND student = ? ORDER BY number", (assignment, student)).fetchall()
        if not rows:
            return []
        counted = self._counts(book, assignment, student, counts)
        return [Attempt(n, at, score, top, n == counted, json.loads(report)) for n, at, score, top, report in rows]

    def all_attempts(self, assignment: str) -> list[tuple[str, int, str, float, float]]:
        return list(self.book().db.execute(
            "SELECT student, number, received_at, score, max_score FROM service_attempts WHERE assignment = ? "
            "ORDER BY student, number", (assignment,)))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
