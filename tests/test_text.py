"""kind: text - a provisional rubric score, always for an instructor to confirm."""
from __future__ import annotations

import pytest

from grader.model import Status
from helpers import Built, problems_of

RUBRIC = [
    {"id": "grad", "label": "no gradient through argmax", "points": 2,
     "patterns": ["not differentiable", "مشتق‌پذیر نیست", "zero gradient"], "feedback": "Say what happens to the gradient."},
    {"id": "keys", "label": "keys do not learn", "points": 1, "regex": [r"keys?\b.{0,40}\b(never|not|don't)\b.{0,20}learn"]},
]


@pytest.fixture
def part():
    return Built("text", {"points": 3, "rubric": RUBRIC, "model_answer": "Argmax is not differentiable; keys never learn."})


def test_provisional_score_needs_review(part):
    outcome = part("Argmax is NOT   differentiable, so training is hard.")
    assert outcome.status == Status.NEEDS_REVIEW
    assert outcome.fraction == pytest.approx(2 / 3)
    assert "no gradient through argmax" in outcome.feedback
    assert outcome.details == ("found: no gradient through argmax",)
    # a missed concept's label would be the model answer in brief: only hints, or a count
    assert "keys do not learn" not in outcome.feedback
    assert "1 more point the rubric looks for is not found." in outcome.feedback


def test_full_rubric_is_still_needs_review(part):
    outcome = part("It has zero gradient, so the keys will never learn anything.")
    assert outcome.status == Status.NEEDS_REVIEW and outcome.fraction == 1.0


@pytest.mark.parametrize("text", [
    "argmax مشتق‌پذیر نیست",  # with a zero-width non-joiner
    "argmax مشتقپذیر نیست",  # without
    "argmax مشتق‌پذير نيست",  # Arabic yeh
])
def test_persian_variants_match(part, text):
    assert part(text).fraction == pytest.approx(2 / 3)


def test_nothing_found_gives_hints(part):
    outcome = part("I do not know.")
    assert outcome.fraction == 0 and "Say what happens to the gradient." in outcome.feedback


def test_bounds_and_types(part):
    assert part("x" * 30_000).status == Status.INVALID
    assert part({"a": 1}).status == Status.INVALID
    assert part("   ").status == Status.MISSING


def test_spec_problems():
    assert any("not a valid regular expression" in p
               for p in problems_of("text", {"rubric": [{"id": "a", "points": 2, "regex": ["(unclosed"]}]}))
    assert any("less than the part's" in p
               for p in problems_of("text", {"points": 5, "rubric": [{"id": "a", "points": 2, "patterns": ["x"]}]}))


def test_a_pattern_that_folds_to_nothing_is_a_spec_problem():
    problems = problems_of("text", {"rubric": [{"id": "a", "points": 2, "patterns": ["real", "\u200c "]}]})
    assert any("would match every answer" in p for p in problems)


def test_selftest_names_what_the_model_answer_misses():
    part = Built("text", {"points": 3, "rubric": RUBRIC, "model_answer": "Argmax is not differentiable."})
    [probe] = part.module.probes(part.config, part.reference)
    assert probe.expect(part(probe.answer)) == "the model answer does not make: keys do not learn"
