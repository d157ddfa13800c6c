"""No feedback hands over the answer: for every part of every example spec (three students' versions of the
randomized one), wrong answers made the ways students make them get feedback that holds neither the reference
nor anything it follows from by one arithmetic step (a factor or a difference to undo), nor a right option."""
from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from grader.expr import mutants
from grader.expr.render import render
from grader.grading import check_answer
from grader.model import Status
from grader.spec import load_spec

PROBLEMS = sorted((Path(__file__).resolve().parent.parent / "problems").glob("*.yaml"))
STUDENTS = ("40110001", "40110003", "40110005")
NUMBER = re.compile(r"(?<![\w.^_{])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w}])")


def _versions():
    for path in PROBLEMS:
        spec = load_spec(path)
        for student in (STUDENTS if spec.templates else STUDENTS[:1]):
            variant = spec.variant(student)
            for part in variant.parts:
                if not part.release_answer and part.kind in ("numeric", "expression", "choice"):
                    yield pytest.param(part, variant.references[part.id], id=f"{path.stem}-{student}-{part.id}")


def _said(outcome) -> str:
    return " ".join([outcome.feedback, *outcome.details])


def _squeezed(text: str) -> str:
    return re.sub(r"[\s{}]+", "", text)


def _wrong_numbers(value: np.ndarray) -> list[np.ndarray]:
    """What students hand in near a numeric answer: scaled, shifted, negated, reordered, rounded coarsely."""
    out = [value * k for k in (2.0, -1.0, 0.5, 3.0, 10.0)] + [value + 1.0, value - 0.5, np.round(value, 1) + 0.3]
    if value.ndim >= 1 and value.shape[0] > 1:
        out += [value[::-1], np.roll(value, 1, axis=0)]
    if value.ndim == 2 and value.shape[0] == value.shape[1]:
        out.append(value.T * 1.5)
    return out


def _numbers_in(text: str) -> list[float]:
    return [float(m) for m in NUMBER.findall(text)]


@pytest.mark.parametrize("part, reference", list(_versions()))
def test_no_feedback_to_a_wrong_answer_holds_the_answer(part, reference):
    if part.kind == "numeric":
        value = np.asarray(reference.value, dtype=float)
        given = set(_numbers_in(part.prompt))  # data the question itself gives may be quoted back
        for wrong in _wrong_numbers(value):
            outcome = check_answer(part, reference, wrong.tolist())
            if outcome.status == Status.CORRECT:
                continue
            said = _said(outcome)
            assert "times the right one" not in said, said
            mentioned = {n for n in _numbers_in(said) if not (n == int(n) and abs(n) <= 10)}  # positions, counts
            mentioned -= given | set(np.ravel(wrong).tolist())
            ratio = np.ravel(wrong) / np.where(np.ravel(value) == 0, np.nan, np.ravel(value))
            undo = set(np.ravel(value).tolist()) | set(np.ravel(wrong - value).tolist()) | set(ratio.tolist())
            for number in mentioned:
                hits = [u for u in undo if np.isfinite(u) and abs(u) > 1 and abs(number - u) <= 1e-3 * abs(u)]
                assert not hits, f"{part.id}: feedback to {wrong.tolist()} names {number}: {said}"
    elif part.kind == "expression":
        config = part.config
        if config.answer is None:
            pytest.skip("solver-only expression part: no reference text to leak")
        shown = {_squeezed(config.answer_text), _squeezed(render(config.answer))}
        wrong = [render(m.tree) for m in mutants.singles(config.answer, config.ns)]
        wrong += [m.text for m in config.mistakes] + [f"2 ({config.answer_text})", f"-({config.answer_text})"]
        for answer in wrong:
            outcome = check_answer(part, reference, answer)
            if outcome.status == Status.CORRECT:
                continue
            said = _squeezed(_said(outcome))
            leaked = [s for s in shown if len(s) >= 6 and s in said]
            assert not leaked, f"{part.id}: feedback to {answer!r} holds the answer: {_said(outcome)}"
            assert "timestherightone" not in said, _said(outcome)
    else:
        config = part.config
        right = set(reference)
        wrong_options = [o for o in config.options if o not in right]
        picks = [[o] for o in wrong_options]
        if config.multiple:
            picks += [list(c) for n in (1, 2) for c in combinations(config.options, n) if set(c) != right]
        for pick in picks:
            outcome = check_answer(part, reference, pick if config.multiple else pick[0])
            said = _said(outcome)
            for label in right - set(pick):
                assert f"({label})" not in said, f"{part.id}: feedback to {pick} names the right option {label}"
                text = config.feedback.get(label)
                assert not text or " ".join(text.split()) not in said, f"{part.id}: {label}'s own feedback shows"
