"""Reading the numbers students type, and what their writing says about precision."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from grader.document import load_text
from grader.numbers import (Unreadable, count_decimals, count_sigfigs, read_numbers, round_decimals,
                            round_sigfigs)


@pytest.mark.parametrize(
    "raw, expected",
    [
        (6, 6.0),
        ("6", 6.0),
        ("-0.5", -0.5),
        ("1/3", 1 / 3),
        ("-2/3", -2 / 3),
        ("1.38e-1", 0.138),
        ("1.38*10^-1", 0.138),
        ("1.38 × 10^(-1)", 0.138),
        ("2x10^3", 2000.0),
        ("۶", 6.0),  # Persian digit
        ("٦", 6.0),  # Arabic-Indic digit
        ("۶٫۵", 6.5),  # Persian decimal separator
        ("−3", -3.0),  # Unicode minus sign
        ("６", 6.0),  # full-width digit
        ("5.00×10⁻²", 0.05),  # a superscript is an exponent
        ("6 1 2", [6, 1, 2]),
        ("6, 1, 2", [6, 1, 2]),
        ("[6, 1, 2]", [6, 1, 2]),
        ("(6, 1, 2)", [6, 1, 2]),
        ("۶ ۱ ۲", [6, 1, 2]),
        ("6،1،2", [6, 1, 2]),  # Arabic comma
        ([6, 1, 2], [6, 1, 2]),
        (["6", "1/2", 2.5], [6, 0.5, 2.5]),
        ("[1 2; 3 4]", [[1, 2], [3, 4]]),
        ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
        ("1 2\n3 4", [[1, 2], [3, 4]]),
        ("[\n  [1, 2],\n  [3, 4]\n]", [[1, 2], [3, 4]]),
        ("[1, 2,\n 3]", [1, 2, 3]),
        ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
    ],
)
def test_accepted_forms(raw, expected):
    assert np.allclose(read_numbers(raw).values, np.array(expected, dtype=float))
    assert read_numbers(raw).shape == np.shape(expected)


@pytest.mark.parametrize(
    "raw, words",
    [
        ("abc", "'abc' is not a number"),
        ("[1, 2", "never closed"),
        ("1,,2", "missing before this comma"),
        ("[[[1]]]", "nested too deeply"),
        ([[[1]]], "nested too deeply"),
        ("[1 2; 3]", "rows have different lengths (2, 1)"),
        ([[1, 2], [3]], "rows have different lengths"),
        ([1, [2]], "mixes single numbers and lists"),
        ("nan", "not a number"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        ("1e999", "not a finite number"),
        ("1/0", "divides by zero"),
        (True, "expected a number, got true"),
        ([1, None], "an entry is empty"),
        ({"a": 1}, "got a mapping"),
        ([], "empty list"),
        ("1" * 200_000, "longer than"),
        (list(range(20_000)), "more than 10000 entries"),
        ("1e999999999", "exponent 999999999 is too large"),
        ("1*10^" + "9" * 5000, "is too large to be a number"),
        (10 ** 400, "not a finite number"),
        ("[6, 1, 2)", "')' does not close '['"),
    ],
)
def test_unreadable_answers_say_why(raw, words):
    with pytest.raises(Unreadable) as info:
        read_numbers(raw)
    assert words in str(info.value)


def test_entry_texts_survive_from_yaml_and_strings():
    doc = load_text("a: [0.0500, 1.20, '3']", "f.yaml")
    assert read_numbers(doc.data["a"]).texts == ("0.0500", "1.20", "3")
    assert read_numbers("[0.0500; 1.20]").texts == (("0.0500",), ("1.20",))


@pytest.mark.parametrize(
    "text, sigfigs, decimals",
    [
        ("0.0500", (3, 3), 4),
        ("1.38e-1", (3, 3), 3),
        ("1.38*10^-1", (3, 3), 3),
        ("1000", (1, 4), 0),
        ("1000.", (4, 4), 0),
        ("100.0", (4, 4), 1),
        ("-0.00120", (3, 3), 5),
        ("5", (1, 1), 0),
        ("0", (1, 1), 0),
        ("0.00", (2, 2), 2),
        ("۰٫۰۵۰۰", (3, 3), 4),
        ("1.5e2", (2, 2), 0),
    ],
)
def test_precision_as_written(text, sigfigs, decimals):
    assert count_sigfigs(text) == sigfigs
    assert count_decimals(text) == decimals


def test_rounding_is_half_away_from_zero_on_the_decimal_text():
    assert str(round_sigfigs(0.13776, 3)) == "0.138"
    assert str(round_sigfigs(2.675, 3)) == "2.68"  # the float is 2.67499..., the text is 2.675
    assert str(round_decimals(-0.125, 2)) == "-0.13"
    assert round_sigfigs(9.96, 2) == 10
    assert round_sigfigs(0.0, 3) == 0


def test_many_blank_lines_are_one_row_break():
    # a long run of newlines once cost quadratic time (44 s for 40,000); it is one break now
    assert read_numbers("6 1 2" + "\n" * 40_000 + "3 4 5").shape == (2, 3)
    assert read_numbers("6," + "\n" * 40_000 + "1 2").shape == (3,)


def test_huge_yaml_integers_are_numbers_too_large_not_crashes():
    doc = load_text("a: " + "9" * 5000 + "\nb: 0x" + "f" * 400, "f.yaml")
    for raw in doc.data.values():
        with pytest.raises(Unreadable, match="not a finite number"):
            read_numbers(raw)


@pytest.mark.parametrize("text, value", [("3!", 6.0), ("720/5!", 6.0), ("3!+0", 6.0), ("(3)!", 6.0),
                                         ("2000!/1999!", 2000.0)])
def test_a_factorial_in_a_numeric_answer_is_a_formula(text, value):
    assert float(read_numbers(text).values) == value


def test_a_formulas_own_problem_is_the_one_shown():
    with pytest.raises(Unreadable, match="the exponent is too large"):
        read_numbers("2^2000/2^1999")


@pytest.mark.parametrize("written, value", [
    ("Values[3] = [6, 1, 2]", [6, 1, 2]),  # the seed student's own notation
    ("v3 = [6, 1, 2]", [6, 1, 2]),
    ("v_3 = [6,1,2]", [6, 1, 2]),
    ("x = 2*3 = 6", 6),
    ("1/2 = 0.5", 0.5),
    ("y = ۶٫۵", 6.5),
])
def test_a_named_answer_is_read_from_its_last_side(written, value):
    assert read_numbers(written).values.tolist() == value


def test_the_seed_students_values_notation_is_graded(tmp_path):
    from grader.grading import grade
    from grader.model import Submission
    from grader.spec import load_spec

    spec = load_spec(Path(__file__).parent.parent / "problems" / "rnn-attention.yaml")
    report = grade(spec, Submission("s", {"q3a": "Values[3] = [6, 1, 2]"}))
    assert next(p for p in report.parts if p.id == "q3a").status == "correct"
