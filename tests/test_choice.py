"""kind: choice - reading picks as students write them, the four scorings, per-option feedback."""
from __future__ import annotations

import pytest

from grader.kinds.choice import score_picks
from grader.model import Status
from helpers import Built, problems_of

OPTIONS = {"a": "speech", "b": "sentiment", "c": "gender", "d": "image"}


@pytest.fixture
def multi():
    return Built("choice", {"options": OPTIONS, "answer": ["b", "c"], "scoring": "partial",
                            "feedback": {"a": "A emits a sequence.", "c": "C is one label for a sequence."}})


@pytest.fixture
def single():
    return Built("choice", {"options": OPTIONS, "answer": "c", "feedback": {"d": "D ignores the past."}})


@pytest.mark.parametrize("raw", [["b", "c"], "b, c", "b,c", "B, C", "(b) (c)", "b and c", "options b and c",
                                 ["ب", "ج"], "ب و ج", "ب، ج", "گزینه‌های ب و ج", "bc", ["(B)", "c)"]])
def test_multiple_picks_in_every_spelling(multi, raw):
    assert multi(raw).status == Status.CORRECT


@pytest.mark.parametrize("raw", ["c", "C", "(c)", "c)", "option c", "ج", "گزینه ج", "  c. "])
def test_single_pick_in_every_spelling(single, raw):
    assert single(raw).status == Status.CORRECT


def test_alef_spellings_mean_a():
    part = Built("choice", {"options": OPTIONS, "answer": "a"})
    for raw in ["الف", "آ", "a", "A"]:
        assert part(raw).status == Status.CORRECT, raw


def test_persian_labels_accept_latin_letters():
    part = Built("choice", {"options": {"الف": "x", "ب": "y", "ج": "z"}, "answer": "ب"})
    assert part("b").status == Status.CORRECT
    assert part("ب").status == Status.CORRECT


def test_unknown_option_is_invalid_with_reason(single):
    outcome = single("e")
    assert outcome.status == Status.INVALID
    assert "'e' is not one of the options (a, b, c, d)" in outcome.feedback


def test_several_picks_for_a_single_answer_is_invalid(single):
    outcome = single(["b", "c"])
    assert outcome.status == Status.INVALID and "pick one option" in outcome.feedback


def test_wrong_pick_shows_its_feedback_and_never_the_answer(single):
    outcome = single("d")
    assert outcome.status == Status.INCORRECT
    assert "D ignores the past." in outcome.feedback
    assert "(c)" not in outcome.feedback


def test_feedback_for_wrong_picks_and_left_out_options(multi):
    outcome = multi(["a", "b"])
    assert outcome.status == Status.INCORRECT  # partial: (1 right - 1 wrong) / 2 = 0
    assert "A emits a sequence." in outcome.feedback
    assert "1 right option is missing" in outcome.feedback
    # c's feedback would tell the student that c is right: withheld unless answers are released
    assert "C is one label for a sequence." not in outcome.feedback
    released = Built("choice", {"options": OPTIONS, "answer": ["b", "c"], "release_answer": True,
                                "feedback": {"c": "C is one label for a sequence."}})
    assert "C is one label for a sequence." in released(["a", "b"]).feedback


def test_single_select_never_shows_the_right_options_feedback():
    part = Built("choice", {"options": OPTIONS, "answer": "a", "feedback": {"a": "A is right", "b": "B is not"}})
    outcome = part("b")
    assert "B is not" in outcome.feedback and "A is right" not in outcome.feedback


def test_partial_credit_on_the_part(multi):
    outcome = multi("b")
    assert outcome.status == Status.PARTIAL and outcome.fraction == 0.5


def test_an_empty_list_is_no_answer(multi):
    # not "nothing picked": under every-decision that would earn credit for handing in nothing
    edc = Built("choice", {"options": OPTIONS, "answer": ["a"], "scoring": "every-decision"})
    assert multi([]).status == Status.MISSING and edc([]).status == Status.MISSING and edc([]).fraction == 0


def test_long_answers_are_refused_briefly(single):
    outcome = single("x" * 5000)
    assert outcome.status == Status.INVALID and len(outcome.feedback) < 200


@pytest.mark.parametrize(
    "picked, scoring, expected",
    [
        ({"b", "c"}, "all-or-nothing", 1.0),
        ({"b"}, "all-or-nothing", 0.0),
        ({"b"}, "partial", 0.5),
        ({"a", "b", "c"}, "partial", 0.5),
        ({"a", "b"}, "partial", 0.0),
        ({"a", "d"}, "partial", 0.0),  # floored at 0
        ({"b"}, "coverage", 0.5),
        ({"a", "b", "c"}, "coverage", 2 / 3),
        (set(), "coverage", 0.0),
        ({"b"}, "every-decision", 0.75),
        ({"a", "b", "c"}, "every-decision", 0.75),
        (set(), "every-decision", 0.5),
        ({"a", "d"}, "every-decision", 0.0),
    ],
)
def test_scorings(picked, scoring, expected):
    assert score_picks(set(picked), {"b", "c"}, ["a", "b", "c", "d"], scoring) == pytest.approx(expected)


def test_spec_problems_are_reported():
    assert any("'e' is not among the options" in p for p in problems_of("choice", {"options": OPTIONS, "answer": "e"}))
    assert any("needs a multiple-select part" in p
               for p in problems_of("choice", {"options": OPTIONS, "answer": "c", "scoring": "partial"}))
    assert any("feedback for 'z'" in p
               for p in problems_of("choice", {"options": OPTIONS, "answer": "c", "feedback": {"z": "?"}}))
    clash = problems_of("choice", {"options": {"a": "x", "A": "y"}, "answer": "a"})
    assert clash == ["option labels are the same once case and brackets are ignored: A, a"]


TASKS = {"a": "A recurrent network, because it sees the whole sequence", "b": "Sentiment classification of a review",
         "c": "Recognising a speaker's gender from audio", "d": "P(y<t> | y<1>, ..., y<t-1>)"}


@pytest.mark.parametrize("raw, picks", [
    ("option c is correct", {"c"}),
    ("c) because the label comes at the end", {"c"}),
    ("b, c (sentiment and gender)", {"b", "c"}),
    ("Options b and c are correct, since a sequence goes in and one label comes out", {"b", "c"}),
    ("گزینه‌های ب و ج صحیح هستند.", {"b", "c"}),
    ("گزینه الف درست است", {"a"}),
    ("فقط ج", {"c"}),
    ("the last one, i.e. d", {"d"}),
    ("a) a recurrent network", {"a"}),
    ("options a and c", {"a", "c"}),
    ("Sentiment classification and recognising the speaker's gender", {"b", "c"}),
    ("P(y<t> | y<1>, ..., y<t-1>)", {"d"}),
])
def test_picks_with_words_around_them_or_an_options_text(raw, picks):
    part = Built("choice", {"options": TASKS, "answer": sorted(picks) if len(picks) > 1 else next(iter(picks)),
                            "multiple": True})
    assert part(raw).status == Status.CORRECT, part(raw).feedback


@pytest.mark.parametrize("raw", [
    "I think it is a good question",  # the article is not option a
    "b or c, I am not sure",  # two picks where one is asked
    "something else entirely",
])
def test_words_that_name_no_single_option_are_still_refused_saying_how_to_pick(raw):
    part = Built("choice", {"options": TASKS, "answer": "c"})
    outcome = part(raw)
    assert outcome.status == Status.INVALID and "write only the label of your pick: a, b, c or d" in outcome.feedback


def test_a_hedge_between_options_is_not_two_picks_in_a_multiple_select(multi):
    outcome = multi("b or c, not sure")
    assert outcome.status == Status.INVALID and "separated by commas" in outcome.feedback
    assert multi("b and c (both one label)").status == Status.CORRECT


def test_the_diagnosis_names_the_wrong_picks_never_the_left_out_ones(multi, single):
    assert single("d").diagnosis == "option:d"
    assert multi(["a", "b", "c"]).diagnosis == "option:a"
    assert multi(["b"]).diagnosis == "missing-option"  # which one is missing would give it away
    assert multi(["c", "b"]).diagnosis is None
