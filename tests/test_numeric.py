"""kind: numeric - tolerances, strict precision, shapes, and naming what went wrong."""
from __future__ import annotations

import re

import pytest

from grader.model import Status
from grader.tolerance import Tolerance, within, written_ok
from helpers import Built, problems_of

SEED_PARAMS = {
    "query": [1, 1, 1],
    "keys": [[3, -2, -3], [6, -2, -1], [0, -1, 1], [0, 2, 4]],
    "values": [[2, 0, 1], [1, 4, 3], [0, -1, 4], [6, 1, 2]],
}


@pytest.fixture
def argmax():
    return Built("numeric", {"solver": "attention.argmax", "params": SEED_PARAMS,
                             "tolerance": {"rtol": 1e-6, "atol": 1e-9}})


# --- tolerance semantics --------------------------------------------------------------------

@pytest.mark.parametrize(
    "a, b, tol, ok",
    [
        (1.01, 1.0, Tolerance(rtol=0.01), True),  # the difference equals the bound: passes
        (1.0101, 1.0, Tolerance(rtol=0.01), False),
        (0.0, 1e-9, Tolerance(atol=1e-9), True),
        (1.0051, 1.0, Tolerance(decimals=2), True),  # |a-b| = 0.0051 = 0.51e-2, despite float rounding
        (1.00511, 1.0, Tolerance(decimals=2), False),
        (3.14, 3.14159, Tolerance(sigfigs=3), True),
        (3.13, 3.14159, Tolerance(sigfigs=3), False),
        (1234.0, 1230.0, Tolerance(sigfigs=3), True),  # bound 5.1
        (1236.0, 1230.0, Tolerance(sigfigs=3), False),
        (0.000123, 0.0001234, Tolerance(sigfigs=3), True),
        (-2.0, 2.0, Tolerance(rtol=0.5), False),
        (float("nan"), 1.0, Tolerance(rtol=1.0), False),
    ],
)
def test_within(a, b, tol, ok):
    assert within(a, b, tol) is ok


@pytest.mark.parametrize(
    "text, b, tol, ok",
    [
        ("0.0500", 0.05, Tolerance(sigfigs=3, strict=True), True),
        ("0.05", 0.05, Tolerance(sigfigs=3, strict=True), False),  # too few figures written
        ("0.05000", 0.05, Tolerance(sigfigs=3, strict=True), False),  # too many
        ("1.38e-1", 0.13776, Tolerance(sigfigs=3, strict=True), True),
        ("1.38*10^-1", 0.13776, Tolerance(sigfigs=3, strict=True), True),
        ("0.137", 0.13776, Tolerance(sigfigs=3, strict=True), False),  # truncated, not rounded
        ("1000", 1000.4, Tolerance(sigfigs=2, strict=True), True),  # 1000 shows 1 to 4 figures
        ("1000.", 1000.4, Tolerance(sigfigs=2, strict=True), False),
        ("2.68", 2.675, Tolerance(decimals=2, strict=True), True),  # half away from zero
        ("-0.13", -0.125, Tolerance(decimals=2, strict=True), True),
        ("3.1", 3.14159, Tolerance(decimals=2, strict=True), False),
    ],
)
def test_strict_writing(text, b, tol, ok):
    assert written_ok(text, b, tol) is ok


def test_strict_part_explains_precision():
    part = Built("numeric", {"answer": 0.13776, "tolerance": {"sigfigs": 3, "strict": True}})
    assert part("0.138").status == Status.CORRECT
    wrong = part("0.1378")
    assert wrong.status == Status.INCORRECT and wrong.diagnosis == "precision"
    assert "3 significant figures" in wrong.feedback and "shows 4" in wrong.feedback
    assert "0.138" not in wrong.feedback


def test_strict_reads_yaml_numbers_as_written():
    from grader.document import load_text

    part = Built("numeric", {"answer": 0.05, "tolerance": {"sigfigs": 3, "strict": True}})
    assert part(load_text("a: 0.0500", "f").data["a"]).status == Status.CORRECT
    assert part(load_text("a: 0.05", "f").data["a"]).diagnosis == "precision"


# --- checking against a solver ---------------------------------------------------------------

@pytest.mark.parametrize("raw", [[6, 1, 2], "[6, 1, 2]", "6 1 2", "۶ ۱ ۲", "[6; 1; 2]", [[6], [1], [2]], [6.0000001, 1, 2]])
def test_right_answer_in_any_form(argmax, raw):
    assert argmax(raw).status == Status.CORRECT


@pytest.mark.parametrize(
    "raw, diagnosis",
    [
        ([0, 2, 4], "mistake:key-instead-of-value"),
        ("-2 3 0 6", "mistake:scores"),
        ("[0 0 0 1]", "mistake:one-hot-weights"),
        ("[5.75, 1.14, 2.05]", "mistake:soft-attention"),  # rounded by hand: still recognised
        ([0, -1, 4], "mistake:off-by-one"),
        (3, "mistake:index"),
        (4, "mistake:index"),  # the 1-based index
    ],
)
def test_solver_mistakes_are_named(argmax, raw, diagnosis):
    outcome = argmax(raw)
    assert outcome.status == Status.INCORRECT
    assert outcome.diagnosis == diagnosis
    assert outcome.feedback


def test_wrong_feedback_never_quotes_the_reference(argmax):
    for raw in ([0, 2, 4], [1, 2, 3, 4], [7, 1, 2], [-6, -1, -2], [12, 2, 4], 5):
        outcome = argmax(raw)
        assert "6, 1, 2" not in outcome.feedback and "[6" not in outcome.feedback


def test_shape_is_checked_first(argmax):
    outcome = argmax([1, 2, 3, 4, 5])
    assert outcome.diagnosis == "shape"
    assert "Expected 3 values, got 5" in outcome.feedback


def test_sign_scale_and_entries(argmax):
    assert argmax([-6, -1, -2]).diagnosis == "sign"
    # the factor is never named, round or not: the answer divided by it is the reference (issue 11)
    for scaled in (argmax([12, 2, 4]), argmax([6 * 3 ** 0.5, 3 ** 0.5, 2 * 3 ** 0.5]),
                   argmax([6 * 1.301, 1.301, 2 * 1.301])):
        assert scaled.diagnosis == "scale" and "same multiple" in scaled.feedback
        assert not re.search(r"\d times|√|1\.301", scaled.feedback), scaled.feedback
    entries = argmax([6, 2, 2])
    assert entries.diagnosis is None and entries.status == Status.INCORRECT
    assert "2 of 3 entries are right; wrong entry: 2." in entries.feedback


def test_per_entry_credit():
    part = Built("numeric", {"answer": [1, 2, 3, 4], "scoring": "per-entry"})
    outcome = part([1, 2, 3, 5])
    assert outcome.status == Status.PARTIAL and outcome.fraction == pytest.approx(0.75)


def test_matrices_shape_and_transpose():
    part = Built("numeric", {"answer": [[1, 2, 3], [4, 5, 6]]})
    assert part("[1 2 3; 4 5 6]").status == Status.CORRECT
    assert part([[1, 4], [2, 5], [3, 6]]).diagnosis == "transpose"
    wrong = part([[1, 2], [3, 4]])
    assert wrong.diagnosis == "shape" and "a 2x3 matrix (2 rows of 3), got a 2x2 matrix" in wrong.feedback
    square = Built("numeric", {"answer": [[1, 2], [3, 4]]})
    assert square([[1, 3], [2, 4]]).diagnosis == "transpose"
    cell = square([[1, 2], [3, 5]])
    assert "wrong entry (row, column): (2, 2)" in cell.feedback


def test_a_scalar_is_never_told_a_factor():
    """Told "0.001 times the right one", a student divides and has the answer (found by a review of the
    service): every number is a multiple of another, so a scalar gets no scale diagnosis at all."""
    part = Built("numeric", {"answer": 4000})
    for guess in (4, 2000, 0.31):
        outcome = part(guess)
        assert outcome.diagnosis is None and "times" not in outcome.feedback


def test_spec_mistake_with_points_gives_partial_credit():
    part = Built("numeric", {"answer": 9.81, "tolerance": {"sigfigs": 3},
                             "mistakes": [{"name": "g-sign", "value": -9.81, "feedback": "Down is negative here?",
                                           "points": 1}]})
    outcome = part(-9.81)
    assert outcome.diagnosis == "mistake:g-sign" and outcome.status == Status.PARTIAL and outcome.fraction == 0.5


def test_extra_feedback_by_diagnosis(argmax):
    part = Built("numeric", {"solver": "attention.argmax", "params": SEED_PARAMS,
                             "feedback": {"shape": "One value vector has 3 entries."}})
    assert "One value vector has 3 entries." in part([1, 2]).feedback


def test_unreadable_and_thousands_hint():
    part = Built("numeric", {"answer": 1000})
    assert part("about 7").status == Status.INVALID
    assert "no thousands separator" in part("1,000").feedback
    assert "with a decimal point" in part("2,5").feedback


# --- spec problems ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "fields, words",
    [
        ({"solver": "attention.argmx", "params": SEED_PARAMS}, "did you mean attention.argmax"),
        ({"solver": "attention.argmax", "params": {**SEED_PARAMS, "temperature": 1}}, "takes no param 'temperature'"),
        ({"solver": "attention.argmax", "params": {**SEED_PARAMS, "query": [1, 1, 1, 1]}}, "must agree"),
        ({"solver": "attention.argmax", "params": {"query": [1, 1, 1]}}, "needs param 'keys'"),
        ({"answer": 1, "tolerance": {"strict": True}}, "strict needs sigfigs or decimals"),
        ({"answer": 1, "tolerance": {"sigfigs": 3, "rtol": 0.1}}, "mixes sigfigs and rtol/atol"),
        ({"answer": 1, "mistakes": [{"name": "x"}]}, "has no value and no solver declares it"),
        ({"answer": 1, "mistakes": [{"name": "x", "value": 2, "points": 5}]}, "more than the part's 2"),
        ({"answer": "[1, 2"}, "never closed"),
    ],
)
def test_spec_problems(fields, words):
    problems = problems_of("numeric", fields)
    assert any(words in p for p in problems), problems


def test_same_entries_in_another_layout_count():
    one = Built("numeric", {"answer": [3]})
    assert one(3).status == Status.CORRECT and one("3").status == Status.CORRECT
    row = Built("numeric", {"answer": [[5, 6, 7]]})
    assert row("5 6 7").status == Status.CORRECT and row("5; 6; 7").status == Status.CORRECT


def test_per_entry_credit_respects_strict_writing():
    part = Built("numeric", {"answer": [0.05, 1.5, 2.25], "scoring": "per-entry",
                             "tolerance": {"sigfigs": 3, "strict": True}})
    precise = part(["0.0500", "1.50", "2.25"])
    assert precise.status == Status.CORRECT
    short = part(["0.05", "1.50", "2.25"])  # all values right, one written too briefly
    assert short.diagnosis == "precision" and short.fraction == pytest.approx(2 / 3)
    wrong = part(["0.0500", "1.50", "9.99"])
    assert wrong.fraction == pytest.approx(2 / 3)


def test_a_named_mistake_never_lowers_per_entry_credit():
    part = Built("numeric", {"answer": [1, 2, 3], "points": 3, "scoring": "per-entry",
                             "mistakes": [{"name": "dropped", "value": [1, 2, 0], "feedback": "Third entry dropped.",
                                           "points": 0.5}]})
    named = part([1, 2, 0])
    assert named.diagnosis == "mistake:dropped" and named.fraction == pytest.approx(2 / 3)


def test_index_mistake_does_not_say_which_index(argmax):
    verdicts = {i: argmax(i).diagnosis for i in range(5)}
    assert set(verdicts.values()) == {"mistake:index"}  # 3 (the answer's index) looks like any other


def test_mistakes_of_another_shape_match_in_any_layout():
    part = Built("numeric", {"solver": "attention.argmax",
                             "params": {"query": [1, 1], "keys": [[0, 0], [1, 0], [0, 2], [3, 3]],
                                        "values": [[7], [1], [2], [3]]}})
    assert part(3).status == Status.CORRECT  # the value [3], written as a number
    assert part(0).diagnosis == "mistake:index"


@pytest.mark.parametrize("raw", ["e^2/(1+e^2)", r"\frac{e^2}{1+e^2}", "1/(1+exp(-2))", "σ(2)"])
def test_constant_expressions_are_numbers(raw):
    part = Built("numeric", {"answer": 0.8807970779778823, "tolerance": {"rtol": 1e-9}})
    assert part(raw).status == Status.CORRECT


def test_constant_expressions_in_lists_and_their_limits():
    part = Built("numeric", {"answer": [0.7071067811, 0.3333333333], "tolerance": {"sigfigs": 6}})
    assert part(["sqrt(2)/2", r"\frac{1}{3}"]).status == Status.CORRECT
    assert part(["sqrt(2)/2", "x/3"]).status == Status.INVALID
    strict = Built("numeric", {"answer": 0.5, "tolerance": {"sigfigs": 2, "strict": True}})
    assert strict("1/2").diagnosis == "precision"  # strict precision needs a decimal, as written
    assert strict("0.50").status == Status.CORRECT


def test_an_unreadable_number_is_told_how_to_write_one_with_neutral_numbers():
    part = Built("numeric", {"answer": [6, 1, 2]})
    for raw in ("the third value", "[6, 1, 2"):
        outcome = part(raw)
        assert outcome.status == Status.INVALID and "a vector as a list ([1.5, -2, 0.25])" in outcome.feedback
