"""Submission file (YAML or JSON) -> :class:`~grader.model.Submission`, never an exception.

A file that cannot be read still becomes a Submission, with ``problem`` saying why at
``file:line:col``: in a batch that student gets an ``invalid`` report and the rest go on.

A submission is a single file (``<student>.yaml``) or a folder (``<student>/answers.yaml`` beside the
files its answers name, see :mod:`grader.answer_files`); the answers file of a folder is recognised by
its name, and the folder's name stands in for the student id where the file stem would.
"""
from __future__ import annotations

from pathlib import Path

from .answer_files import attach_files, folder_name, is_answers_file
from .document import SUBMISSION_LIMITS, Limits, load_file
from .errors import InputError, quote, shown_path
from .model import Submission
from .normalize import student_id
from .schemas.explain import schema_problems


def load_submission(path: str | Path, limits: Limits = SUBMISSION_LIMITS, raw: bytes | None = None) -> Submission:
    """A submission file (``raw``: its bytes, if already read) as a Submission, never an exception. The
    answers file of a folder submission gets the files its answers name read (:func:`attach_files`)."""
    path = path if isinstance(path, Path) else Path(path)
    source = shown_path(path)
    try:
        doc = load_file(path, limits, raw)
    except InputError as exc:
        return unreadable(path, exc)
    if not isinstance(doc.data, dict):
        return Submission(student=fallback_id(path), answers={}, source=source,
                          problem=str(doc.error((), "expected a mapping with 'student' and 'answers'")))
    made_by_grader = output_of_grader(doc.data)
    if made_by_grader:  # last run's report copied among the submissions must not claim its student's id
        return Submission(student=fallback_id(path), answers={}, source=source, output_of_grader=made_by_grader,
                          problem=f"{source}: this is {made_by_grader}, written by grader, not a submission")
    # the schema's checks, by hand for the usual well-formed file; the schema itself explains the rest
    problems = [] if plainly_valid(doc.data) else schema_problems(doc, "submission.schema.json")
    raw_student = doc.data.get("student")
    usable = isinstance(raw_student, (str, int, float)) and not isinstance(raw_student, bool)
    sid = student_id(raw_student) if usable else ""  # a number keeps its written text: 00123 stays 00123
    warnings = []
    in_folder = is_answers_file(path)
    if not sid:
        sid = fallback_id(path)
        what = "folder" if in_folder else "file"
        warnings.append(f"no student id in the file; using the {what} name {quote(sid)}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Submission(student=sid, answers={}, source=source, problem=str(problems[0]) + more)
    assignment = doc.data.get("assignment")
    name = doc.data.get("name")
    folder = path.parent if in_folder else None
    answers = attach_files(doc.data["answers"], folder) if folder is not None else doc.data["answers"]
    return Submission(student=sid, answers=answers, source=source,
                      assignment=str(assignment) if assignment is not None else None,
                      name=str(name) if name is not None else None, warnings=warnings, named=not warnings)


def fallback_id(path: Path) -> str:
    """Who a submission is, when it does not say: its file's stem, or its folder's name for answers.yaml."""
    return folder_name(path.parent) if is_answers_file(path) else shown_path(path.stem)


def output_of_grader(data: dict) -> str | None:
    """What grader wrote this file as, if it is one of grader's own outputs (none has 'answers')."""
    if "answers" in data:
        return None
    if {"grader_version", "parts", "max_score"} <= data.keys():
        return "a grader report"
    if {"tests", "score"} <= data.keys() and "student" not in data:
        return "a Gradescope results file"
    return None


def unreadable(path: Path, problem: InputError) -> Submission:
    """The submission of a file that could not be read: named after the file, with the reason."""
    return Submission(student=fallback_id(path), answers={}, source=shown_path(path), problem=str(problem))


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
