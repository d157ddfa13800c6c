"""Submission file (YAML or JSON) -> :class:`~grader.model.Submission`, never an exception.

A file that cannot be read still becomes a Submission, with ``problem`` saying why at
``file:line:col``: in a batch that student gets an ``invalid`` report and the rest go on.
"""
from __future__ import annotations

from pathlib import Path

from .document import SUBMISSION_LIMITS, Limits, load_file
from .errors import InputError, shown_path
from .model import Submission
from .normalize import student_id
from .schemas.explain import schema_problems


def load_submission(path: str | Path, limits: Limits = SUBMISSION_LIMITS, raw: bytes | None = None) -> Submission:
    """A submission file (``raw``: its bytes, if already read) as a Submission, never an exception."""
    path = path if isinstance(path, Path) else Path(path)
    fallback, source = shown_path(path.stem), shown_path(path)
    try:
        doc = load_file(path, limits, raw)
    except InputError as exc:
        return Submission(student=fallback, answers={}, source=source, problem=str(exc))
    if not isinstance(doc.data, dict):
        return Submission(student=fallback, answers={}, source=source,
                          problem=str(doc.error((), "expected a mapping with 'student' and 'answers'")))
    # the schema's checks, by hand for the usual well-formed file; the schema itself explains the rest
    problems = [] if plainly_valid(doc.data) else schema_problems(doc, "submission.schema.json")
    raw_student = doc.data.get("student")
    usable = isinstance(raw_student, (str, int, float)) and not isinstance(raw_student, bool)
    sid = student_id(raw_student) if usable else ""  # a number keeps its written text: 00123 stays 00123
    warnings = []
    if not sid:
        sid = fallback
        warnings.append(f"no student id in the file; using the file name {fallback!r}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Submission(student=sid, answers={}, source=source, problem=str(problems[0]) + more)
    assignment = doc.data.get("assignment")
    name = doc.data.get("name")
    return Submission(student=sid, answers=doc.data["answers"], source=source,
                      assignment=str(assignment) if assignment is not None else None,
                      name=str(name) if name is not None else None, warnings=warnings, named=not warnings)


def plainly_valid(data: dict) -> bool:
    """True only for what ``submission.schema.json`` accepts (a test holds the two together): a quick
    path that spares a validator run for the common, well-formed submission."""
    answers = data.get("answers")
    if not isinstance(answers, dict) or not all(isinstance(k, str) and len(k) <= 100 for k in answers):
        return False
    for key in ("assignment", "name", "$schema"):
        if key in data and not isinstance(data[key], str):
            return False
    if "student" in data:
        student = data["student"]
        if isinstance(student, bool) or not isinstance(student, (str, int, float)):
            return False
        if isinstance(student, str) and not 1 <= len(student) <= 200:
            return False
    return True
