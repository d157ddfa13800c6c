"""The data that flows through grading: an assignment, a submission, outcomes, a report.

Plain dataclasses, no I/O: the core takes these and returns these; files, terminals and
databases stay at the edges (cli, report renderers).
"""
from __future__ import annotations

import functools
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .policy import Policy


SCORE_DECIMALS = 6  # scores are kept to a millionth of a point (and a part's points have no more decimals)


def compact_json(value: Any) -> str:
    """JSON on one line, characters as they are: the text of report files and of the gradebook's reports.
    ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, by the json module's own C encoder made
    once (``dumps`` makes an encoder at every call: a fifth of a small part's cost, and every part and report
    is encoded). Reports are trees, so no check for cycles is needed."""
    if _ENCODE is None:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return "".join(_ENCODE(value, 0))


def plain_json(value: Any) -> str:
    """``json.dumps(value)``, every default kept (ASCII, ``", "`` and ``": "``), from an encoder made once: the text
    the gradebook has always stored an answer's reading as, so old and new rows compare equal."""
    if _ENCODE_PLAIN is None:
        return json.dumps(value)
    return "".join(_ENCODE_PLAIN(value, 0))


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_C_ENCODER = getattr(json.encoder, "c_make_encoder", None)  # None where the C accelerator is missing
_ENCODE = None if _C_ENCODER is None else _C_ENCODER(None, _not_json, json.encoder.encode_basestring, None, ":", ",",
                                                     False, False, True)
_ENCODE_PLAIN = None if _C_ENCODER is None else _C_ENCODER(None, _not_json, json.encoder.encode_basestring_ascii, None,
                                                           ": ", ", ", False, False, True)


class Status(StrEnum):
    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    INVALID = "invalid"  # the student's answer could not be read (say why)
    MISSING = "missing"
    NEEDS_REVIEW = "needs_review"  # a provisional score a person must confirm (free text)
    ERROR = "error"  # the grader itself failed: never the student's fault, never a silent zero


@dataclass(frozen=True)
class Part:
    """One gradable part of an assignment. ``config`` is the kind's own dataclass (see ``grader/kinds``)."""

    id: str
    kind: str
    points: float
    prompt: str
    config: Any
    title: str = ""
    group: str | None = None
    release_answer: bool = False


@dataclass(frozen=True)
class Group:
    """A question that groups parts under one stem ("Question 1", parts a-c)."""

    id: str
    title: str
    prompt: str
    part_ids: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    parts: tuple[Part, ...]
    groups: tuple[Group, ...] = ()
    source: str = ""
    description: str = ""  # as written: a randomized spec's {placeholders} are filled per student
    policy: Policy = Policy()  # due date, late penalty, attempts: the service's rules


    @functools.cached_property
    def max_score(self) -> float:  # made once: every report states it
        return sum(p.points for p in self.parts)

    @functools.cached_property
    def part_ids(self) -> dict[str, None]:
        """The parts' ids, in order (a dict: looked up once per answer of every submission)."""
        return {p.id: None for p in self.parts}


@dataclass
class Submission:
    """What one student handed in. ``problem`` is set when the file itself could not be read."""

    student: str
    answers: dict[str, Any]
    assignment: str | None = None
    name: str | None = None
    source: str = ""
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)
    named: bool = True  # False when the file gave no student id (the file name stands in)
    output_of_grader: str | None = None  # "a grader report": a file grader wrote, never a student's submission


@dataclass(frozen=True)
class FileAnswer:
    """An answer handed in as a file of a submission folder (``q4: rnn.py``), already read: the core never
    opens files, and a kind that takes files (``FILE_SUFFIXES`` in :mod:`grader.kinds`) gets this instead
    of the bare name. ``origins``: for a notebook, source line i (0-based) came from (cell, line), both
    1-based, or None for the blank line between cells; empty for a plain file."""

    name: str  # as the student wrote it: a bare file name
    text: str  # the file's text; a notebook's code cells joined into one Python source
    path_for_messages: str  # "99522086/rnn.py": the submission folder's name and the file's
    origins: tuple[tuple[int, int] | None, ...] = ()

    def where(self, line: int) -> str:
        """``rnn.py, line 12`` or, for a notebook, ``notebook.ipynb, cell 3, line 2`` (``line``: 1-based)."""
        if self.origins and 1 <= line <= len(self.origins) and self.origins[line - 1] is not None:
            cell, in_cell = self.origins[line - 1]
            return f"{self.name}, cell {cell}, line {in_cell}"
        return f"{self.name}, line {line}"


@dataclass(frozen=True)
class FileProblem:
    """An answer that names a file which cannot be used (not there, too big, outside the folder, not
    readable): the part gets ``status`` (missing or invalid) and ``message``, a sentence the student can act on."""

    name: str
    status: Status
    message: str


@dataclass(frozen=True)
class Outcome:
    """A kind's verdict on one answer: the share of the part's points, and why."""

    status: Status
    fraction: float = 0.0
    feedback: str = ""
    diagnosis: str | None = None
    details: tuple[str, ...] = ()
    reading: Any = None  # the answer as the kind read it, for class statistics (a choice's picks)
    # False where another try may judge the same answer otherwise: a run the wall clock stopped on a busy machine,
    # a search out of time. Such a verdict is never remembered for the next student who writes the same answer.
    lasting: bool = True

    @staticmethod
    def of_fraction(fraction: float, feedback: str = "", diagnosis: str | None = None,
                    details: tuple[str, ...] = (), reading: Any = None) -> "Outcome":
        """Status from the share of points: 1 is correct, 0 incorrect, anything between partial."""
        fraction = min(1.0, max(0.0, fraction))
        if math.isclose(fraction, 1.0, abs_tol=1e-12):
            status, fraction = Status.CORRECT, 1.0
        elif fraction <= 1e-12:
            status, fraction = Status.INCORRECT, 0.0
        else:
            status = Status.PARTIAL
        return Outcome(status, fraction, feedback, diagnosis, tuple(details), reading)


@dataclass(frozen=True)
class PartResult:
    """One part's result. Frozen: a result remembered for an answer many students wrote is the same object in each
    of their reports."""

    id: str
    kind: str
    score: float
    max_score: float
    status: Status
    feedback: str
    diagnosis: str | None
    answer: Any = None  # the student's answer, as given
    details: list[str] = field(default_factory=list)
    reference: Any = None  # only when the spec releases the answer
    reading: Any = None  # the answer as the kind read it (not in the report; for statistics)

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id, "kind": self.kind, "score": self.score, "max_score": self.max_score,
            "status": str(self.status), "feedback": self.feedback, "diagnosis": self.diagnosis,
            "answer": _fresh(self.answer), "details": list(self.details),
        }
        if self.reference is not None:
            out["reference"] = _fresh(self.reference)
        return out

    def json_text(self) -> str:
        """:func:`compact_json` of :meth:`to_json`, made once per result (each time, after :meth:`keep_no_json`)."""
        text = self.__dict__.get("_json_text")
        if not text:
            made = compact_json(self.to_json())
            if text is None:
                object.__setattr__(self, "_json_text", made)
            return made
        return text

    def keep_no_json(self) -> None:
        """Make the JSON text at each use instead of keeping it: for a long answer remembered for the students who
        write it again, whose JSON would hold the answer and its feedback a second time."""
        object.__setattr__(self, "_json_text", "")


@dataclass
class Report:
    """The canonical result of grading one submission; every output format is rendered from it."""

    assignment: str
    title: str
    student: str
    score: float
    max_score: float
    parts: list[PartResult]
    name: str | None = None
    source: str = ""
    problem: str | None = None
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = _NO_COUNTS.copy()  # every status, in order, as text (a status is its text: no str() a part)
        for p in self.parts:
            out[p.status] += 1
        return out

    def to_json(self) -> dict[str, Any]:
        from . import __version__

        return {**self._head(), "parts": [p.to_json() for p in self.parts], "grader_version": __version__}

    def json_text(self) -> str:
        """:func:`compact_json` of :meth:`to_json`, the same text, with each part's made once (see
        :meth:`PartResult.json_text`): most of a class's parts are answers met before."""
        head = compact_json(self._head())
        parts = ",".join([p.json_text() for p in self.parts])
        return f'{head[:-1]},"parts":[{parts}],"grader_version":{_version_json()}}}'

    def _head(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "title": self.title, "student": self.student, "name": self.name,
                "source": self.source, "score": self.score, "max_score": self.max_score, "problem": self.problem,
                "warnings": list(self.warnings), "counts": self.counts()}


_NO_COUNTS = {str(s): 0 for s in Status}


@functools.lru_cache(maxsize=1)
def _version_json() -> str:
    from . import __version__

    return compact_json(__version__)


def _fresh(value: Any) -> Any:
    """A JSON value with its lists and mappings made anew: a remembered result is shared by every student who gave
    its answer, so what one caller changes in a report must not reach the next student's."""
    if isinstance(value, list):
        return [_fresh(item) for item in value]
    if isinstance(value, dict):
        return {key: _fresh(item) for key, item in value.items()}
    return value


class Verdicts:
    """Results of answers already checked, by (part, variant, answer): a class repeats its answers, and a
    repeated one costs a lookup. Bounded by entries and by the characters they hold (answers, feedback), so a
    class of 100,000 holds no more than one of 1,000.

    Two segments, least recently met let go first in each: answers met once, and answers met again. An answer
    met again moves to the second, which may hold at most ``KEPT`` of either bound; a new answer pushes out the
    oldest answer met only once. So a class's many one-off answers (essays, each written once) cannot push out
    the answers many students share (a common wrong gradient, whose check costs milliseconds). Used under a lock:
    the service grades in threads, and moving an answer between segments is several steps.

    Feedback repeats across answers (a rubric's hints: the seed's free-text part has 16 feedbacks for thousands of
    essays), so a text held already is held once: :meth:`shared` gives the copy held, and it is counted once for
    every answer holding it, while any answer does."""

    MAX_ENTRIES = 4_000
    MAX_CHARS = 1_200_000  # about 2 MB of text
    KEPT = 0.8  # the share of both bounds answers met again may hold

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> (result, its weight, the entry of _texts for its feedback if it shares it)
        self._once: OrderedDict[tuple, tuple[Any, int, list | None]] = OrderedDict()
        self._again: OrderedDict[tuple, tuple[Any, int, list | None]] = OrderedDict()
        self._chars = 0
        self._again_chars = 0
        self._texts: dict[str, list] = {}  # feedback held -> [that text, the answers holding it]

    def shared(self, text: str) -> str:
        """``text`` as the memory holds it already, if it does (the same characters, one object), else ``text``."""
        held = self._texts.get(text)
        return text if held is None else held[0]

    def get(self, key: tuple) -> Any:
        with self._lock:
            return self._get(key)

    def _get(self, key: tuple) -> Any:
        found = self._again.get(key)
        if found is not None:
            self._again.move_to_end(key)
            return found[0]
        found = self._once.pop(key, None)
        if found is None:
            return None
        self._again[key] = found
        self._again_chars += found[1]
        while len(self._again) > self.MAX_ENTRIES * self.KEPT or self._again_chars > self.MAX_CHARS * self.KEPT:
            old_key, old = self._again.popitem(last=False)  # back among the answers met once, as the latest
            self._again_chars -= old[1]
            self._once[old_key] = old
        return found[0]

    def put(self, key: tuple, outcome: Any, answer_chars: int) -> None:
        """``outcome``: anything with ``feedback`` and ``details`` (a :class:`PartResult`, an :class:`Outcome`)."""
        feedback = outcome.feedback
        weight = answer_chars + sum(map(len, outcome.details)) + 64
        with self._lock:
            self._drop(key)
            held = self._texts.get(feedback)
            if held is None and feedback:
                held = self._texts[feedback] = [feedback, 0]
                self._chars += len(feedback)  # the first answer to hold it: the text itself is counted now
            if held is not None and held[0] is feedback:
                held[1] += 1
            else:  # equal to a text held, but a copy of its own (not asked of shared()): counted with the answer
                weight += len(feedback)
                held = None
            self._once[key] = (outcome, weight, held)
            self._chars += weight
            while len(self) > self.MAX_ENTRIES or (self._chars > self.MAX_CHARS and len(self) > 1):
                self._drop(next(iter(self._once or self._again)))

    def _drop(self, key: tuple) -> None:
        old = self._once.pop(key, None)
        if old is None:
            old = self._again.pop(key, None)
            if old is None:
                return
            self._again_chars -= old[1]
        self._chars -= old[1]
        held = old[2]
        if held is not None:
            held[1] -= 1
            if not held[1]:  # no answer holds the text any more
                del self._texts[held[0]]
                self._chars -= len(held[0])

    def clear(self) -> None:
        with self._lock:
            self._once.clear()
            self._again.clear()
            self._texts.clear()
            self._chars = self._again_chars = 0

    def __len__(self) -> int:
        return len(self._once) + len(self._again)
