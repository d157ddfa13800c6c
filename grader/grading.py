"""Grade one submission: the whole flow, in one short function.

load (spec and submission) -> the student's variant (their own numbers, if the spec draws them)
-> solve (once per spec or variant, see :mod:`grader.spec`) -> read and check each part by its
kind -> score -> :class:`~grader.model.Report`.
"""
from __future__ import annotations

import difflib
import math
from typing import Any

import numpy as np

from .answer_files import names_file
from .kinds import KINDS
from .model import (SCORE_DECIMALS, FileAnswer, FileProblem, Outcome, Part, PartResult, Report, Status, Submission,
                    Verdicts)
from .numbers import Unreadable
from .spec import LoadedSpec
from .errors import quote


def grade(spec: LoadedSpec, submission: Submission) -> Report:
    assignment = spec.assignment
    problem = submission.problem
    if problem is None and submission.assignment is not None \
            and submission.assignment.strip().casefold() != assignment.id.casefold():
        problem = f"{submission.source}: this submission is for assignment {quote(submission.assignment)}, " \
                  f"not {quote(assignment.id)}"
    if problem is None and spec.randomized and not submission.named:
        problem = f"{submission.source}: every student has their own numbers in {assignment.id}, so a " \
                  "submission must say whose it is: add 'student: <your id>'"
    if problem is not None:
        unread = Outcome(Status.INVALID, 0.0, "This submission cannot be graded: " + problem)
        results, warnings = [_result(part, unread, None, None) for part in assignment.parts], []
    else:
        variant = spec.variant(submission.student)
        answers, warnings = _by_part_id(spec, submission.answers)
        results = [grade_part(part, variant.references[part.id], answers.get(part.id), spec.verdicts,
                              variant.keys.get(part.id, ""), variant.labels.get(part.id))
                   for part in variant.parts]
    return Report(
        assignment=assignment.id, title=assignment.title, student=submission.student,
        score=round(sum(r.score for r in results), SCORE_DECIMALS), max_score=assignment.max_score, parts=results,
        name=submission.name, source=submission.source, problem=problem,
        warnings=submission.warnings + warnings,
    )


def grade_safely(spec: LoadedSpec, submission: Submission) -> Report:
    """:func:`grade`, but a failure of the grader itself becomes an ``error`` report, not a stopped batch."""
    try:
        return grade(spec, submission)
    except Exception as exc:  # a bug of ours: the student still gets a report that says so
        failed = Outcome(Status.ERROR, 0.0, "The grader failed on this submission; this is not your mistake, "
                                            "and an instructor will look at it.", None,
                         (f"internal error: {type(exc).__name__}: {exc}",))
        return Report(assignment=spec.assignment.id, title=spec.assignment.title, student=submission.student,
                      score=0.0, max_score=spec.assignment.max_score,
                      parts=[_result(part, failed, None, None) for part in spec.assignment.parts],
                      name=submission.name, source=submission.source)


def grade_part(part: Part, reference: Any, raw: Any, verdicts: Verdicts | None = None, version: str = "",
               labels: dict[str, str] | None = None) -> PartResult:
    """``version`` tells a student's variant of the part apart (remembered results are per version);
    ``labels`` maps the option labels this student saw to the spec's, for class statistics. An answer met before
    in this version gets the very result it got then (results are frozen)."""
    said = answer_key(raw) if verdicts is not None and _short(raw) else None
    key = None if said is None else (part.id, version, said, tuple(labels.items()) if labels else None)
    known = None if key is None else verdicts.get(key)
    if known is not None:
        return known
    outcome = check_answer(part, reference, raw)
    if outcome.status is Status.ERROR or not outcome.lasting:  # our failure, or a verdict of the moment: the next
        key = None                                             # student with this answer is checked afresh
    shown = KINDS[part.kind].show(part.config, reference) if part.release_answer else None
    reading = outcome.reading
    if labels and isinstance(reading, list):
        reading = [labels.get(str(label), label) for label in reading]
    result = _result(part, outcome, plain(raw), shown, reading,
                     None if key is None else verdicts.shared(outcome.feedback))  # held once for all who get it
    if key is None:
        return result
    if isinstance(raw, str) and len(raw) > KEEP_JSON_UP_TO:  # an essay: its JSON is made again when met again
        result.keep_no_json()
        verdicts.put(key, result, len(raw))
    else:  # its JSON, made here once, is kept with it: counted in what the memory holds
        verdicts.put(key, result, (len(raw) if isinstance(raw, str) else 0) + len(result.json_text()))
    return result


KEEP_JSON_UP_TO = 80  # characters of an answer remembered with its JSON text. A longer one (free text) is met again
                      # seldom, and its JSON would hold it and its feedback twice: without it, the same memory holds
                      # three times as many essays (the seed's), and a check costs 30 times what making the JSON does


def check_answer(part: Part, reference: Any, raw: Any) -> Outcome:
    """Read and check one raw answer by its part's kind; missing, unreadable and our own failures included."""
    kind = KINDS[part.kind]
    raw = for_kind(kind, raw)
    if isinstance(raw, FileProblem):
        return Outcome(raw.status, 0.0, raw.message + ".")
    if is_missing(raw):
        return Outcome(Status.MISSING, 0.0, "No answer given.")
    try:
        with np.errstate(all="ignore"):  # overflow on 1e308-sized answers is a verdict, not a warning
            return kind.check(part.config, reference, kind.read(part.config, raw))
    except Unreadable as exc:
        return Outcome(Status.INVALID, 0.0, f"Could not read this answer: {exc}.")
    except Exception as exc:  # the grader's own failure: report it, never crash a batch or blame the student
        return Outcome(Status.ERROR, 0.0, "The grader failed on this answer; this is not your mistake, "
                                          "and an instructor will look at it.", None,
                       (f"internal error: {type(exc).__name__}: {exc}",))


def for_kind(kind: Any, raw: Any) -> Any:
    """The answer as this part's kind takes it. A file the loader read goes to a kind that takes files of
    its suffix (``FILE_SUFFIXES``); any other kind gets the name the student wrote, as written. A file name
    that was never read (a single-file submission has no folder to look in) is missing, and says why."""
    suffixes = getattr(kind, "FILE_SUFFIXES", ())
    if isinstance(raw, (FileAnswer, FileProblem)):
        if not names_file(raw.name, suffixes):
            return raw.name
        if isinstance(raw, FileAnswer) and not raw.text.strip():
            return FileProblem(raw.name, Status.MISSING, f"{raw.name} is empty")
        return raw
    if names_file(raw, suffixes):
        return FileProblem(raw, Status.MISSING, f"{raw} is an answer handed in as a file, which needs a folder "
                                                "submission: hand in a folder named after you holding answers.yaml "
                                                f"and {raw}")
    return raw


def _result(part: Part, outcome: Outcome, answer: Any, reference: Any, reading: Any = None,
            feedback: str | None = None) -> PartResult:
    """``feedback``: the outcome's, as a copy already held elsewhere (the same text)."""
    return PartResult(
        id=part.id, kind=part.kind, score=round(outcome.fraction * part.points, SCORE_DECIMALS), max_score=part.points,
        status=outcome.status, feedback=outcome.feedback if feedback is None else feedback,
        diagnosis=outcome.diagnosis, answer=answer, details=list(outcome.details), reference=reference,
        reading=outcome.reading if reading is None else reading,
    )


MAX_REMEMBERED = 2_000  # characters: free text repeats too (copied, or one sentence everyone writes), and its
                        # check costs the most; a longer answer is checked each time


def _short(raw: Any) -> bool:
    return len(raw) <= MAX_REMEMBERED if isinstance(raw, str) else not isinstance(raw, list) or len(raw) <= 50


def answer_key(raw: Any) -> Any:
    """A hashable key that tells two raw answers apart exactly as a check could (``0.0500`` is not
    ``0.05``: numbers keep the text they were written with); None where there is none."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, bool) or raw is None:
        return ("v", raw)
    if isinstance(raw, (int, float)):
        return ("n", type(raw).__name__, getattr(raw, "text", None) or repr(raw))
    if isinstance(raw, list) and len(raw) <= 1000:
        keys = tuple(answer_key(item) for item in raw)
        return None if any(k is None for k in keys) else ("l",) + keys
    return None


def is_missing(raw: Any) -> bool:
    """No answer: absent, empty, blank text, or an empty list (nothing picked, nothing written)."""
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []


def _by_part_id(spec: LoadedSpec, given: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Answers keyed by part id; ``Q1A`` or `` q1a `` find part ``q1a``; anything else is a warning."""
    known = spec.assignment.part_ids  # in spec order (close matches list them so)
    answers = {k: v for k, v in given.items() if isinstance(k, str) and k in known}
    if len(answers) == len(given):  # every key a part's id, as written: the usual file
        return answers, []
    loose = {p.casefold(): p for p in known}
    groups = {g.id: g.part_ids for g in spec.assignment.groups}
    warnings = []
    for key, value in given.items():
        if isinstance(key, str) and key in known:
            continue
        pid = loose.get(str(key).strip().casefold())
        if pid is not None and pid not in answers:
            answers[pid] = value
        elif pid is not None:
            warnings.append(f"part {pid} is answered twice; the answer under {quote(str(key))} was ignored")
        elif key in groups:
            warnings.append(f"answer for unknown part {quote(str(key))} was ignored "
                            f"({key} is a question: answer its parts {', '.join(groups[key])})")
        else:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            warnings.append(f"answer for unknown part {quote(str(key))} was ignored{hint}")
    if len(warnings) > MAX_WARNINGS:
        warnings[MAX_WARNINGS:] = [f"... and {len(warnings) - MAX_WARNINGS} more answers for unknown parts"]
    return answers, warnings


MAX_WARNINGS = 20


def plain(raw: Any) -> Any:
    """The student's answer as JSON-safe data, numbers as they were written when that matters; a file
    answer as the name the student gave (its text may be long, and is the student's own file anyway)."""
    if isinstance(raw, (FileAnswer, FileProblem)):
        return raw.name
    if isinstance(raw, float):
        return raw if math.isfinite(raw) else getattr(raw, "text", repr(raw))
    if isinstance(raw, list):
        return [plain(x) for x in raw]
    if isinstance(raw, dict):
        return {str(k): plain(v) for k, v in raw.items()}
    return raw
