"""A course as the service sees it: the specs of a problems folder, the roster, and what a student
may do with them. Data in, data out: the HTTP edge (:mod:`grader.service.app`) only maps these
calls and their errors to requests and responses.

What a student is shown is built from what a handout shows (prompts, option texts, their own
numbers, kinds and points); a report carries reference answers only where the spec releases them
(``release_answers: after_due`` once the due date has passed).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .. import clock
from ..batch import register
from ..document import SUBMISSION_LIMITS, TextFloat, resolve_plain
from ..errors import InputError, SpecErrors, quote
from ..expr.mathml import to_mathml
from ..grading import grade_safely, plain
from ..handout import handout
from ..kinds import KINDS
from ..mathtext import feedback_html, html
from ..model import Submission
from ..numbers import Unreadable
from ..roster import read_roster
from ..spec import LoadedSpec, load_spec
from .store import NoAttemptsLeft, Store


@dataclass(frozen=True)
class ServiceLimits:
    """What one request may ask of the server; each has a default a course can change on the command line."""

    request_bytes: int = 256 * 1024
    answer_chars: int = 20_000
    checks_per_minute: int = 20  # checks and submissions together: a submission's report is a check, too
    grading_seconds_per_minute: float = 15.0  # CPU time of grading one student may use in a minute
    part_seconds: float = 1.0
    queue: int = 64  # requests waiting to be graded, per worker, before the next is told to come back


class Refused(Exception):
    """A request the service understood and will not do; ``status`` is its HTTP status."""

    def __init__(self, status: int, message: str, field: str | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.retry_after = status, message, field, retry_after


@dataclass
class Course:
    specs: dict[str, LoadedSpec]
    roster: dict[str, str]  # student id -> name
    store: Store
    limits: ServiceLimits = field(default_factory=ServiceLimits)

    # --- what a student sees ------------------------------------------------------------------
    def spec(self, assignment: str) -> LoadedSpec:
        found = self.specs.get(assignment)
        if found is None:
            raise Refused(404, f"no assignment {quote(assignment)}; GET /api/assignments lists yours")
        return found

    def assignments(self, student: str, now: datetime) -> list[dict[str, Any]]:
        out = []
        for aid, spec in sorted(self.specs.items()):
            policy = spec.assignment.policy
            used = self.store.attempts_used(aid, student)
            out.append({"id": aid, "title": spec.assignment.title, "max_score": spec.assignment.max_score,
                        "due": _iso(policy.due), "last_day": _iso(policy.last),
                        "late_penalty_per_day": policy.per_day, "counts": policy.counts,
                        "attempts_allowed": policy.attempts, "attempts_used": used,
                        "attempts_left": None if policy.attempts is None else max(0, policy.attempts - used),
                        "open": policy.refusal(now) is None})
        return out

    def questions(self, student: str, assignment: str) -> dict[str, Any]:
        spec = self.spec(assignment)
        sheet = handout(spec, student, self.roster.get(student, ""))
        parts = {p.id: p for p in spec.variant(student).parts}
        sheet["description_html"] = str(html(sheet["description"]))
        for section in sheet["sections"]:
            section["prompt_html"] = str(html(section["prompt"]))
            for entry in section["parts"]:
                config = parts[entry["id"]].config
                entry["prompt_html"] = str(html(entry["prompt"]))
                entry["multiple"] = bool(getattr(config, "multiple", False)) if entry["kind"] == "choice" else None
                entry["options"] = [{"label": label, "text": text, "html": str(html(text))}
                                    for label, text in entry["options"]]
        return sheet

    # --- checking and submitting ----------------------------------------------------------------
    def read_answers(self, body: bytes) -> dict[str, Any]:
        """The request body as answers: JSON, numbers keeping the text they were written with (as in a
        submission file); 422 naming the field, 413 for an answer over the limit."""
        data = read_json(body, self.limits.request_bytes)
        if not isinstance(data, dict):
            raise Refused(422, 'the body must be a JSON object: {"answers": {"<part id>": <answer>}}')
        extra = sorted(str(k) for k in data if k != "answers")
        if extra:
            raise Refused(422, f"unknown field {quote(extra[0])}: the body holds only 'answers'", extra[0])
        answers = data.get("answers")
        if not isinstance(answers, dict):
            raise Refused(422, "'answers' must be an object mapping part ids to answers", "answers")
        for pid, answer in answers.items():
            if _length(answer) > self.limits.answer_chars:
                raise Refused(413, f"the answer to {quote(str(pid))} is over {self.limits.answer_chars} characters",
                              f"answers.{pid}")
        return answers

    def grade(self, student: str, assignment: str, answers: dict[str, Any], now: datetime) -> dict[str, Any]:
        spec = self.spec(assignment)
        submission = Submission(student=student, answers=answers, assignment=assignment,
                                name=self.roster.get(student) or None, source="")
        report = grade_safely(spec, submission)
        data = report.to_json()
        if spec.assignment.policy.released(now):  # answers released after the due date
            variant = spec.variant(student)
            for part, result in zip(variant.parts, data["parts"]):
                result["reference"] = KINDS[part.kind].show(part.config, variant.references[part.id])
        data["answer_keys"] = {p.id: plain(p.reading) for p in report.parts if p.reading is not None}
        return data

    def graded(self, student: str, assignment: str, answers: dict[str, Any], now: datetime) -> dict[str, Any]:
        """:meth:`grade` within the student's limits: requests a minute, and CPU seconds of grading a minute
        (an answer built to be slow costs its author their own minute, not the class's)."""
        ticket, wait = self.store.admit(student, self.limits.checks_per_minute, self.limits.grading_seconds_per_minute)
        if ticket is None:
            raise Refused(429, f"at most {self.limits.checks_per_minute} checks and submissions a minute, and "
                               f"{self.limits.grading_seconds_per_minute:g} s of grading; try again in "
                               f"{max(1, round(wait))} s", retry_after=max(1.0, wait))
        started = clock.now()
        try:
            return self.grade(student, assignment, answers, now)
        finally:
            self.store.charge(ticket, clock.now() - started)

    def runs_code(self, assignment: str, body: bytes) -> bool:
        """Would grading this body run a student's code: is a code part answered? Told from a quick look, as the
        grader matches part ids (case and blanks aside); a body it cannot read runs nothing (it is refused)."""
        spec = self.specs.get(assignment)
        code = {p.id.casefold() for p in spec.assignment.parts if p.kind == "code"} if spec is not None else set()
        if not code:
            return False
        try:  # numbers as text: a number too long for int() must not hide a code answer from this look
            data = json.loads(body.decode("utf-8-sig", "replace"), parse_int=str, parse_float=str,
                              parse_constant=str)
        except (ValueError, RecursionError):
            return False
        answers = data.get("answers") if isinstance(data, dict) else None
        return isinstance(answers, dict) and any(
            isinstance(key, str) and key.strip().casefold() in code and value not in (None, "", [])
            for key, value in answers.items())

    def check(self, student: str, assignment: str, body: bytes, now: datetime) -> dict[str, Any]:
        self.spec(assignment)
        answers = self.read_answers(body)
        report = self.graded(student, assignment, answers, now)
        report.pop("answer_keys")
        return student_view(report)

    def submit(self, student: str, assignment: str, body: bytes, now: datetime) -> dict[str, Any]:
        spec = self.spec(assignment)
        policy = spec.assignment.policy
        refusal = policy.refusal(now)
        if refusal:
            raise Refused(409, refusal)
        answers = self.read_answers(body)
        if policy.attempts is not None and self.store.attempts_used(assignment, student) >= policy.attempts:
            raise Refused(409, f"all {policy.attempts} submissions allowed for {assignment} are used; your "
                               f"{'best' if policy.counts == 'best' else 'latest'} one counts")
        report = self.graded(student, assignment, answers, now)
        keys = report.pop("answer_keys")
        penalty = policy.penalty(now)
        if penalty and report["problem"] is None:
            before = report["score"]
            report["score"] = round(before * (1 - penalty / 100), 6)
            report["late"] = {"days": policy.days_late(now), "penalty_percent": penalty, "score_before_penalty": before,
                              "due": policy.due.isoformat(), "submitted_at": now.isoformat(timespec="seconds")}
        try:
            attempt = self.store.submit(assignment, student, body, report, keys, spec.digest, policy.attempts,
                                        policy.counts)
        except NoAttemptsLeft as exc:  # another request took the last attempt first
            raise Refused(409, str(exc)) from None
        return {**student_view(attempt.report), "submission": attempt.summary()}

    def history(self, student: str, assignment: str) -> list[dict[str, Any]]:
        spec = self.spec(assignment)
        return [{**a.summary(), "report": student_view(a.report)}
                for a in self.store.history(assignment, student, spec.assignment.policy.counts)]

    def preview(self, student: str, assignment: str, part_id: str, text: str) -> dict[str, Any]:
        """How grader reads an expression, as MathML, or why it cannot: the live preview of the page."""
        spec = self.spec(assignment)
        part = next((p for p in spec.variant(student).parts if p.id == part_id), None)
        if part is None or part.kind != "expression":
            raise Refused(404, f"no expression part {quote(part_id)} in {assignment}", "part")
        if len(text) > self.limits.answer_chars:
            raise Refused(413, f"the expression is over {self.limits.answer_chars} characters", "text")
        if not text.strip():
            return {"mathml": None, "error": None}
        try:
            answer = KINDS["expression"].read(part.config, text)
        except Unreadable as exc:
            return {"mathml": None, "error": str(exc)}
        if answer.tree is None:  # readable, but not the expression asked (derivatives left unworked...)
            return {"mathml": None, "error": answer.wrong}
        return {"mathml": to_mathml(answer.tree, display=True), "error": None}


def load_course(problems: Path, roster_path: Path, store: Store, limits: ServiceLimits) -> Course:
    """Every spec of the folder, validated (all problems of all specs raised together), registered in the
    gradebook so exports know the assignment before anyone submits."""
    files = sorted(p for p in problems.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()) \
        if problems.is_dir() else [problems]
    if not files:
        raise SpecErrors([InputError(str(problems), None, None, "no problem specs (*.yaml) in this folder")])
    specs: dict[str, LoadedSpec] = {}
    paths: dict[str, Path] = {}
    problems_found: list[InputError] = []
    for path in files:
        try:
            spec = load_spec(path)
        except SpecErrors as exc:
            problems_found += exc.problems
            continue
        aid = spec.assignment.id
        if aid in specs:
            problems_found.append(InputError(str(path), None, None, f"assignment id {quote(aid)} is also the id of "
                                                                    f"{paths[aid]}: each spec needs its own id"))
            continue
        specs[aid], paths[aid] = spec, path
    if problems_found:
        raise SpecErrors(problems_found)
    roster = {e.student: e.name for e in read_roster(roster_path)}
    book = store.book()
    for aid, spec in specs.items():
        register(book, spec, paths[aid])
    return Course(specs, roster, store, limits)


MAX_DEPTH = SUBMISSION_LIMITS.max_depth
MAX_VALUES = SUBMISSION_LIMITS.max_nodes


def read_json(body: bytes, limit: int) -> Any:
    """A request body as data, bounded like a submission file: size, nesting, number of values. Numbers keep
    their text (``0.0500`` is not ``0.05`` to a sig-fig check); a key given twice, or text that is not UTF-8,
    is refused rather than guessed at; a lone surrogate (``"\\ud800"``) becomes U+FFFD."""
    if len(body) > limit:
        raise Refused(413, f"the request is over {limit} bytes")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(422, f"the body is not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise Refused(422, 'the body is empty: send {"answers": {"<part id>": <answer>}}')
    try:
        data = json.loads(text, parse_int=resolve_plain, parse_float=_number,  # a long integer as the loader reads it
                          parse_constant=_number, object_pairs_hook=_object)
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        message = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise Refused(422, f"the body is not JSON: {message}{where}") from None
    except RecursionError:
        raise Refused(422, f"the body nests deeper than {MAX_DEPTH} levels") from None
    count = 0
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise Refused(413, f"the body holds more than {MAX_VALUES} values")
        if depth > MAX_DEPTH:
            raise Refused(422, f"the body nests deeper than {MAX_DEPTH} levels")
        if isinstance(value, (dict, list)):
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return _clean(data)


def _number(text: str) -> float:
    return TextFloat(float(text), text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {quote(key)} is given twice")
        out[key] = value
    return out


def _clean(value: Any) -> Any:
    """Lone surrogates (valid in JSON text, not in UTF-8) replaced, so the answer can be stored and shown."""
    if isinstance(value, str):
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value) \
            if any("\ud800" <= ch <= "\udfff" for ch in value) else value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


def student_view(report: dict[str, Any]) -> dict[str, Any]:
    """A report as a student receives it: the server's path to the stored file is the server's business, and
    each part's feedback comes also as HTML (``rendered``), math as MathML."""
    return {**report, "source": "", "rendered": {part["id"]: str(feedback_html(part)) for part in report["parts"]}}


def _length(answer: Any) -> int:
    if isinstance(answer, str):
        return len(answer)
    if isinstance(answer, (list, dict)):
        items = answer.values() if isinstance(answer, dict) else answer
        return sum(_length(x) + 2 for x in items)
    return len(str(answer))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
