"""kind: expression - the seed's Q2 in many notations, diagnoses, spec checks, the instance solver."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import SEED_SPEC
from grader.grading import check_answer
from grader.model import Status
from grader.solvers import SOLVERS
from grader.solvers.rnn import ACTIVATIONS, _run
from grader.spec import load_spec
from grader.kinds import KINDS
from grader.kinds.common import SpecProblem
from helpers import Built, CollectingSpot, problems_of


@pytest.fixture(scope="module")
def seed():
    spec = load_spec(SEED_SPEC)
    parts = {p.id: p for p in spec.assignment.parts}
    return lambda pid, raw: check_answer(parts[pid], spec.references[pid], raw)


RIGHT = {
    "q2a": [
        r"\frac{\partial h_t}{\partial W_{hh}} = \sigma'(z_t) \times h_{t-1}",
        "sigma'(z_t) h_{t-1}", "sigma'(z_t)*h_{t-1}", "h_{t-1} sigma'(z_t)", "sigmoid'(z_t) h_{t-1}",
        "h_t (1 - h_t) h_{t-1}", "h_t(1-h_t)h_(t-1)", r"\sigma(z_t)\left(1-\sigma(z_t)\right) h_{t-1}",
        "σ′(zₜ) hₜ₋₁", r"\sigma^{\prime}(z_t)\, h_{t-1}",
    ],
    "q2b": [
        r"\sum_{i=1}^{t} g_{t,i} \sigma'(z_i) h_{i-1}", "sum(i, 1, t, g_{t,i} * sigma'(z_i) * h_{i-1})",
        r"\sum_{i=1}^{t} g_{t,i}\, h_i (1-h_i)\, h_{i-1}", "sum_{i=1}^t h_{i-1} sigma'(z_i) g_{t,i}",
        r"\sum_{i=1}^{T} g_{t,i} \sigma'(z_i) h_{i-1}",  # g_{t,i} = 0 for i > t: the extra terms vanish
    ],
    "q2c": [
        r"\sum_{t=1}^{T} G_t", "sum(t, 1, T, G_t)", r"\sum_{t=1}^{T} \sum_{i=1}^{t} g_{t,i} \sigma'(z_i) h_{i-1}",
    ],  # G_1 + G_2 + G_3 + G_4 was here while T was always 4: tests/test_sizes.py
    "q2d": [
        r"\sum_{i=1}^{t} \left(g_{t,i} \odot \sigma'(z_i)\right) h_{i-1}^\top",
        "sum_{i=1}^{t} (g_{t,i} * sigma'(z_i)) h_{i-1}^T",
        "sum(i, 1, t, outer(g_{t,i} ⊙ σ'(z_i), h_{i-1}))",
        r"\sum_{i=1}^{t} \mathrm{diag}(\sigma'(z_i))\, g_{t,i}\, h_{i-1}^{T}",
        r"\sum_{i=1}^{t} (g_{t,i} \odot h_i \odot (1 - h_i)) h_{i-1}^\intercal",
        r"\sum_{i=1}^{t} (\sigma'(z_i) \circ g_{t,i}) h^T_{i-1}",
        "sum_{i=1}^{t} (g_{t,i} ⊙ σ'(z_i)) h_{i-1}.T",
    ],
}


@pytest.mark.parametrize("pid, answer", [(pid, a) for pid, answers in RIGHT.items() for a in answers])
def test_right_in_many_notations(seed, pid, answer):
    outcome = seed(pid, answer)
    assert outcome.status == Status.CORRECT, outcome.feedback


WRONG = [
    ("q2a", "sigma(z_t) h_{t-1}", "mistake:sigma-instead-of-its-derivative"),
    ("q2a", "h_{t-1}", "mistake:missing-sigma-prime"),
    ("q2a", "sigma'(z_t) x_t", "mistake:input-instead-of-state"),
    ("q2a", "-sigma'(z_t) h_{t-1}", "sign"),
    ("q2a", "2 sigma'(z_t) h_{t-1}", "scale"),
    ("q2b", r"\sum_{i=1}^t g_{t,i} \times \sigma'(z_t) \times h_{i-1}", "mistake:sigma-prime-at-t"),  # the seed's
    ("q2b", "g_{t,t} sigma'(z_t) h_{t-1}", "mistake:immediate-term-only"),
    ("q2b", "sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_i", "mistake:state-at-the-same-step"),
    ("q2b", "-sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}", "sign"),
    ("q2c", "G_T", "mistake:last-step-only"),
    ("q2c", "G_t", "mistake:one-step-only"),
    ("q2c", "(1/T) sum_{t=1}^{T} G_t", "rule:extra-factor"),  # "you divided by T", never "1/4 times"
    ("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_t)) h_{i-1}^\top", "mistake:sigma-prime-at-t"),
    ("q2d", r"\sum_{i=1}^{t} g_{t,i} \sigma'(z_i) h_{i-1}", "rule:product-kind+transpose"),
    ("q2d", r"\sum_{i=1}^{t} h_{i-1} (g_{t,i} \odot \sigma'(z_i))^T", "transpose"),
    ("q2d", r"\sum_{i=1}^{t} g_{t,i} h_{i-1}^\top", "mistake:missing-sigma-prime"),
    ("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_i))^T h_{i-1}", "shape"),
]


@pytest.mark.parametrize("pid, answer, diagnosis", WRONG)
def test_wrong_in_the_common_ways_and_named(seed, pid, answer, diagnosis):
    outcome = seed(pid, answer)
    assert outcome.status in (Status.INCORRECT, Status.PARTIAL)
    assert outcome.diagnosis == diagnosis, outcome.feedback


def test_the_seed_students_slip_gets_partial_credit_and_an_explanation(seed):
    outcome = seed("q2b", r"\sum_{i=1}^t g_{t,i} \times \sigma'(z_t) \times h_{i-1}")
    assert outcome.status == Status.PARTIAL and outcome.fraction == pytest.approx(1 / 3)
    assert "σ' is taken at the wrong step" in outcome.feedback


def test_shape_feedback_suggests_the_fix(seed):
    ruled = seed("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_i)) h_{i-1}")
    assert ruled.diagnosis == "rule:transpose" and "A transpose is missing: h_{i-1}ᵀ" in ruled.feedback
    outcome = seed("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_i)) h_{i-1} + W_{hh}")  # no rule's mistake
    assert outcome.diagnosis == "shape"
    assert "(g_{t,i} ⊙ σ'(z_i)) h_{i-1} multiplies two n-vectors; did you mean an outer product with h_{i-1}ᵀ" \
        in outcome.feedback  # n is drawn per test situation: named, not a number the prompt never gives


def test_unreadable_and_out_of_range_answers(seed):
    unknown = seed("q2a", "sigma'(z_t) h_{t-1} + W_h")
    assert unknown.status == Status.INVALID
    assert "col 23: unknown symbol 'W_h' (did you mean W_hh or W_hx?)" in unknown.feedback
    beyond = seed("q2b", "sum_{i=0}^{t} g_{t,i} sigma'(z_i) h_{i-1}")
    assert beyond.status == Status.INCORRECT and beyond.diagnosis == "rule:sum-bounds"
    assert "wrong lower bound: its first term is i = 1." in beyond.feedback  # not "shift your indices"
    assert seed("q2a", "sum(i, 1, 10^9, h_i)").status == Status.INVALID
    assert seed("q2a", "__import__('os')").status == Status.INVALID


def test_feedback_never_quotes_the_reference(seed):
    for pid, answer, _ in WRONG:
        feedback = seed(pid, answer).feedback
        assert "g_{t,i} σ'(z_i) h_{i-1}" not in feedback and "Σ_{t=1}^{T} G_t" not in feedback


@pytest.mark.parametrize("pid, answer, right", [
    ("q2a", "t", "σ'(z_t) h_{t-1}"),
    ("q2b", "sum_{i=1}^{t} 1", "g_{t,i} σ'(z_i) h_{i-1}"),
    ("q2b", "t", "g_{t,i} σ'(z_i) h_{i-1}"),
    ("q2c", "sum_{t=1}^{T} 1", "Σ_{t=1}^{T} G_t"),
    ("q2c", "T", "Σ_{t=1}^{T} G_t"),
])
def test_rules_that_compose_never_name_the_whole_right_expression(seed, pid, answer, right):
    """×t, then the factor that is all of the right expression dropped, is the answer t: the words of that pair
    ("a factor is missing: ...") were the reference itself. Such a mutant is no diagnosis; something true is said."""
    outcome = seed(pid, answer)
    assert outcome.status == Status.INCORRECT and "".join(right.split()) not in "".join(outcome.feedback.split())
    assert outcome.diagnosis in ("dependence", "sum-terms") or outcome.diagnosis.startswith("rule:")


# --- answer mode: a reference expression, random points -----------------------------------------

def test_answer_mode_scalars():
    part = Built("expression", {"symbols": {"x": "scalar", "y": {"shape": "scalar", "range": [0.5, 2]}},
                                "answer": "x^2 y + log(y)",
                                "mistakes": [{"name": "no-log", "expression": "x^2 y", "feedback": "Keep log y."}]})
    assert part("y x^2 + ln(y)").status == Status.CORRECT
    assert part("x^2 y").diagnosis == "mistake:no-log"
    assert part("-(x^2 y + log(y))").diagnosis == "sign"
    assert part("3 x^2 y + 3 log(y)").diagnosis == "scale"
    assert part("x y").status == Status.INCORRECT
    assert part("x z").status == Status.INVALID


def test_answer_mode_resamples_where_undefined():
    part = Built("expression", {"symbols": {"x": "scalar"}, "answer": "2 log(abs(x))"})
    assert part("log(x^2)").status == Status.CORRECT
    never = part("log(-x^2 - 1)")
    assert never.status == Status.INCORRECT and "undefined at many points where the right answer is defined" \
        in never.feedback
    # an answer defined where the reference is not counts where both are: log x for log|x| (x > 0 only)
    assert Built("expression", {"symbols": {"x": "scalar"}, "answer": "log(abs(x))"})("log(x)").status \
        == Status.CORRECT


def test_answer_mode_matrices_and_transpose():
    part = Built("expression", {"dims": {"m": 2, "k": 3}, "symbols": {"A": ["m", "k"], "B": ["k", "m"]},
                                "answer": "A B"})
    assert part("(B^T A^T)^T").status == Status.CORRECT
    assert part("B^T A^T").diagnosis == "transpose"
    assert part("B A").diagnosis == "shape"
    assert "Expected a 2×2 matrix, but your expression is a 3×3 matrix." in part("B A").feedback


# --- spec checks --------------------------------------------------------------------------------

SCALAR_RNN = {"dims": {"T": 4}, "symbols": {"h": {"shape": "scalar", "index": [0, "T"]},
                                            "t": {"shape": "scalar", "integer": True}}}


@pytest.mark.parametrize("fields, words", [
    ({"symbols": {"x": "scalar"}, "answer": "x +"}, "answer: col 3: '+' is missing its right operand"),
    ({"symbols": {"x": "scalar"}, "answer": "y"}, "answer: col 1: unknown symbol 'y'"),
    ({**SCALAR_RNN, "solver": "attention.argmax", "target": "x"}, "computes a single value"),
    ({**SCALAR_RNN, "solver": "rnn.bptt_instance", "target": "nothing"}, "target must be one of immediate"),
    ({**SCALAR_RNN, "solver": "rnn.bptt_instance", "target": "immediate", "params": {"T": 5}},
     "params.T = 5 but dims.T = 4"),
    ({"symbols": {"x": ["n"]}, "answer": "x"}, "unknown dimension 'n'"),
    ({"symbols": {"x": "scalar"}, "answer": "x", "mistakes": [{"name": "m", "expression": "x)"}]},
     "expression: col 2: unexpected ')'"),
])
def test_spec_problems(fields, words):
    problems = problems_of("expression", fields)
    assert any(words in p for p in problems), problems


def test_symbols_must_match_what_the_solver_gives(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        dims: {T: 4}
        symbols: {h: {shape: scalar, index: [1, T]}, q: scalar}
        solver: rnn.bptt_instance
        target: immediate
    """
    run = cli("validate", write("s.yaml", text))
    assert run.status == 2
    assert "part p: h runs over [[0, 4]] in rnn.bptt_instance, not [[1, 4]]" in run.err


def test_an_author_expression_that_disagrees_with_the_solver_fails_selftest(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        dims: {T: 4}
        symbols: {h: {shape: scalar, index: [0, T]}, z: {shape: scalar, index: [1, T]}, t: scalar}
        solver: rnn.bptt_instance
        target: immediate
        answer: "sigma'(z_t) h_t"
    """
    run = cli("validate", "--selftest", write("s.yaml", text))
    assert run.status == 1
    assert "p: FAIL the reference expression against rnn.bptt_instance's immediate" in run.out


# --- the instance solver's truth, by finite differences --------------------------------------------

@pytest.mark.parametrize("n, m, activation", [(1, 1, "sigmoid"), (3, 2, "sigmoid"), (3, 2, "tanh")])
def test_bptt_instance_targets_match_finite_differences(n, m, activation):
    solver = SOLVERS["rnn.bptt_instance"]
    rng = np.random.default_rng(7)
    instance = solver.build(solver.bind({"n": n, "m": m, "T": 4, "activation": activation}), rng)
    W_hh, W_hx, t = instance.values["W_hh"], instance.values["W_hx"], int(instance.values["t"])
    h0 = instance.sequences["h"][1][0].reshape(-1)
    x = instance.sequences["x"][1].reshape(4, m)
    y = instance.sequences["y"][1].reshape(4, n)
    act = ACTIVATIONS[activation]

    def losses(W):
        h = _run(W, W_hx, x, h0, act)[1]
        return 0.5 * np.sum((h - y) ** 2, axis=1)  # J_1..J_T

    eps = 1e-6
    fd_t, fd_all = np.zeros((n, n)), np.zeros((n, n))
    for a in range(n):
        for b in range(n):
            bump = np.zeros((n, n))
            bump[a, b] = eps
            diff = (losses(W_hh + bump) - losses(W_hh - bump)) / (2 * eps)
            fd_t[a, b], fd_all[a, b] = diff[t - 1], diff.sum()
    np.testing.assert_allclose(np.atleast_2d(instance.targets["dJt_dWhh"]), fd_t, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.atleast_2d(instance.targets["dJ_dWhh"]), fd_all, rtol=1e-6, atol=1e-9)
    G = instance.sequences["G"][1]
    np.testing.assert_allclose(G.sum(axis=0), np.atleast_2d(instance.targets["dJ_dWhh"]), rtol=1e-9)


def test_g_stands_for_the_answer_only_where_it_is_not_the_answer(seed):
    assert seed("q2b", "G_t").status == Status.INVALID  # G is declared for q2c only
    assert seed("q2c", "sum_{t=1}^{T} G_t").status == Status.CORRECT


def test_an_unbraced_sum_is_not_a_chain(seed):
    assert seed("q2c", "sum_t=1^T G_t").status == Status.CORRECT
    assert seed("q2b", "sum_i=1^t g_{t,i} sigma'(z_i) h_{i-1}").status == Status.CORRECT


def test_a_loose_subscript_gets_a_hint(seed):
    outcome = seed("q2a", "sigma'(z_t) h_t-1")
    assert outcome.status == Status.INCORRECT
    assert "h_t-1 reads as h_t - 1; for the index t-1 write h_{t-1}." in outcome.feedback


def test_a_reference_that_leaves_its_sequence_is_a_spec_error(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        dims: {T: 4}
        symbols: {h: {shape: scalar, index: [0, T]}, t: {shape: scalar, integer: true, range: [1, T]}}
        answer: "h_{t+1} - h_t"
    """
    run = cli("validate", write("s.yaml", text))
    assert run.status == 2
    assert "part p: answer: h_{t+1} reaches h_{5}, but the indices of h run from 0 to 4 (at t = 4)" in run.err


@pytest.mark.parametrize("symbols, words", [
    ({"k": {"shape": "scalar", "integer": True, "range": [0.2, 0.8]}}, "no whole number lies in the range"),
    ({"k": {"shape": "scalar", "range": [1e300, 1e301]}}, "within ±1e+06"),
    ({"h": {"shape": ["T", "T"], "index": [[1, "T"], [1, "T"]]}}, "holds 1,000,000,000,000 numbers"),
    ({"x y": "scalar"}, "'x y' is not a symbol name"),
])
def test_symbol_settings_are_checked(symbols, words):
    problems = problems_of("expression", {"dims": {"T": 1000}, "symbols": symbols, "answer": "1"})
    assert any(words in p for p in problems), problems


def test_a_scale_factor_is_never_named():
    """Told "3 times the right one" (or 0.1353 for e² x²), a student divides and has the answer."""
    part = Built("expression", {"symbols": {"x": "scalar"}, "answer": "7.389 x^2"})
    for answer in ("x^2", "22.167 x^2", "3.6945 x^2"):
        outcome = part(answer)
        assert outcome.diagnosis == "scale" and "times a constant" in outcome.feedback
        assert not any(n in outcome.feedback for n in ("0.1353", "7.389", "3 times", "1/2"))


@pytest.mark.parametrize("answer", ["5==5", "x == x", "x <= 2", "x >= 2", "x < 2", "x != 1", "x ≤ 2", r"x \le 2",
                                    r"x \neq 1", r"x \geq 1"])
def test_a_comparison_is_invalid_not_wrong(answer):
    part = Built("expression", {"symbols": {"x": "scalar"}, "answer": "5"})
    outcome = part(answer)
    assert outcome.status == Status.INVALID and "a comparison, not an expression" in outcome.feedback


def test_a_chain_of_equals_is_still_graded_on_its_last_side():
    part = Built("expression", {"symbols": {"x": "scalar"}, "answer": "2 x"})
    assert part("dy/dx = 2x").status == Status.CORRECT


SOLVER_PART = """
  - id: p
    kind: expression
    points: 2
    prompt: The immediate term of dh_t/dW_hh.
    dims: {T: 4}
    symbols:
      h: {shape: scalar, index: [0, T]}
      z: {shape: scalar, index: [1, T]}
      t: {shape: scalar, integer: true, range: [2, T]}
    solver: rnn.bptt_instance
    params: {n: 1, m: 1}
    target: immediate
    answer: "sigma'(z_t) h_{t-1}"
    mistakes:
      - {name: state-form, expression: "h_t (1 - h_t) h_{t-1}", feedback: Take the derivative of sigma.}
"""
ANSWER_PART = """
  - id: p
    kind: expression
    points: 2
    prompt: d/dx of x^2 sin x
    symbols: {x: scalar}
    answer: 2 x sin(x) + x^2 cos(x)
    mistakes:
      - {name: product-rule, expression: "x (2 sin(x) + x cos(x))", feedback: Use the product rule.}
"""


@pytest.mark.parametrize("part, line", [(ANSWER_PART, 11), (SOLVER_PART, 18)])
def test_a_listed_mistake_equal_to_the_answer_is_a_spec_error(write, cli, part, line):
    """Written another way (h_t(1 - h_t) is σ'(z_t) on an instance), a 'mistake' can be the answer itself:
    a student who makes it would score full marks and never see its feedback, so validate refuses it."""
    path = write("s.yaml", "id: demo\ntitle: Demo\nparts:" + part)
    run = cli("validate", path)
    assert run.status == 2, run.out
    assert f"{path}:{line}:" in run.err and "equals the right answer at every test point" in run.err


def test_an_author_writing_h_t_minus_1_is_warned(cli, write):
    path = write("s.yaml", """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        symbols: {h: {shape: scalar, index: [0, 4]}, t: {shape: scalar, integer: true, range: [1, 4]}}
        answer: "2 h_t-1"
        mistakes:
          - {name: half, expression: "h_t - 1"}
    """)
    run = cli("validate", path)
    assert run.status == 0 and "1 warning(s)" in run.out
    assert f"{path}:9:13: warning: part p: answer: h_t-1 reads as h_t - 1; for the index t-1 write h_{{t-1}}" \
        in run.err


@pytest.mark.parametrize("answer", [
    r"\sum_{i=1}^{t} \frac{\partial J_t}{\partial h_i}\, \sigma'(z_i)\, h_{i-1}",
    "sum_{i=1}^{t} ∂J_t/∂h_i sigma'(z_i) h_{i-1}",
    "sum_{i=1}^{t} dJ_t/dh_{i} sigma'(z_i) h_{i-1}",
    r"\frac{\partial J_t}{\partial W_{hh}} = \sum_{i=1}^{t} \frac{\partial J_t}{\partial h_i} \sigma'(z_i) h_{i-1}",
])
def test_a_parts_own_names_for_derivative_notation(seed, answer):
    """q2b declares g_{t,i} = ∂J_t/∂h_i: the students who write the derivative are read as writing g."""
    assert seed("q2b", answer).status == Status.CORRECT, seed("q2b", answer).feedback


def test_derivative_notation_a_part_does_not_declare_is_wrong_and_says_to_work_it_out(seed):
    for answer in (r"\sum_{i=1}^{t} \frac{\partial J_t}{\partial z_i} h_{i-1}", "∂h_t/∂z_t · ∂z_t/∂W_hh",
                   "dJ_t/dW_hh = sum_{i=1}^{t} dJ_t/dh_i * dh_i/dW_hh"):
        outcome = seed("q2b", answer)
        assert outcome.status == Status.INCORRECT and outcome.diagnosis == "unworked-derivative", answer
        assert "still has derivatives in it: work each one out" in outcome.feedback


def test_a_sum_index_outside_its_sum_is_wrong_not_unreadable(seed):
    for part, answer in (("q2b", r"\sum_{t=1}^{T} g_{t,i}\,\sigma'(z_i)\,h_{i-1}"),
                         ("q2d", r"(g_{t,i} \odot \sigma'(z_i))\, h_{i-1}^\top")):
        outcome = seed(part, answer)
        assert outcome.status == Status.INCORRECT and outcome.diagnosis == "free-index", answer
        assert "i is used outside any sum over i" in outcome.feedback
    assert seed("q2b", r"\sum_{i=1}^{t g_{t,i} \sigma'(z_i h_{i-1}").status == Status.INVALID  # a brace left open


def test_an_update_step_is_wrong_and_named(seed):
    outcome = seed("q2c", "W_hh - eta * sum_{t=1}^{T} G_t")
    assert outcome.status == Status.INCORRECT and outcome.diagnosis == "update-step"
    assert "update step" in outcome.feedback


def test_a_chain_whose_last_side_cannot_be_read_is_graded_on_the_side_before(seed):
    answer = (r"\frac{\partial J}{\partial W_{hh}} = \sum_{t=1}^{T} \frac{\partial J_t}{\partial W_{hh}} = "
              r"\sum_{t=1}^{T} g_{W_{hh},t}")
    outcome = seed("q2c", answer)
    assert outcome.status == Status.CORRECT and "the side before it" in outcome.feedback
    assert seed("q2c", "sum_{t=1}^{T} G_t = sum_{t=1}^{T} G_t^").status == Status.CORRECT
    assert seed("q2c", "5 == 5").status == Status.INVALID  # a comparison is not a chain


def test_the_seed_sheets_g_labelled_by_its_h_is_read(seed):
    answer = (r"\frac{\partial J_t}{\partial w_{hh}} = \sum_{i=1}^t \frac{\partial J_t}{\partial h_i} \times "
              r"\frac{\partial h_i}{\partial w_{hh}} = \sum_{i=1}^t g_{h_{t,i}} \times \sigma'(z_t) \times h_{i-1}")
    outcome = seed("q2b", answer)
    assert outcome.diagnosis == "mistake:sigma-prime-at-t" and outcome.status == Status.PARTIAL


@pytest.mark.parametrize("key, words", [("J_a", "numerator / denominator"), ("J_a / h_a", "different letters"),
                                        ("J_a / 3x", "not a name with an index")])
def test_a_bad_derivative_declaration_is_a_spec_error(key, words):
    found = problems_of("expression", {"symbols": {"g": "scalar"}, "answer": "g", "derivatives": {key: "g"}})
    assert any(words in p for p in found), found


SCALAR_RNN = {"h": {"shape": "scalar", "index": [0, "T"]}, "z": {"shape": "scalar", "index": [1, "T"]},
              "x": {"shape": "scalar", "index": [1, "T"]}, "g": {"shape": "scalar", "index": [[1, "T"], [1, "T"]]},
              "G": {"shape": "scalar", "index": [1, "T"]}, "W_hh": "scalar", "W_hx": "scalar",
              "t": {"shape": "scalar", "integer": True, "range": [2, "T"]}}


def _sum_of_G(definition: str) -> dict:
    return {"dims": {"T": 4}, "symbols": SCALAR_RNN, "solver": "rnn.bptt_instance", "params": {"n": 1, "m": 1},
            "target": "dJ_dWhh", "answer": "sum_{t=1}^{T} G_t", "definitions": {"G_a": definition}}


def test_a_definition_lets_an_answer_written_out_be_diagnosed():
    part = Built("expression", _sum_of_G("sum_{i=1}^{a} g_{a,i} sigma'(z_i) h_{i-1}"))
    assert part("sum_{t=1}^{T} sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}").status == Status.CORRECT
    outcome = part("sum_{t=1}^{T} sum_{i=1}^{t} g_{t,i} h_{i-1}")
    assert outcome.diagnosis == "rule:drop-factor" and "σ'(z_i)" in outcome.feedback


@pytest.mark.parametrize("fields, words", [
    ({"definitions": {"G_a": "sum_{i=1}^{a} g_{a,i} sigma(z_i) h_{i-1}"}}, "differs from dJ_dWhh"),
    ({"definitions": {"H_a": "g_{a,a}"}}, "name a declared sequence"),
    ({"definitions": {"G_t": "g_{t,t}"}}, "also a symbol of the part"),
    ({"definitions": {"G_a": "g_{a,"}}, "'G_a'"),
])
def test_a_bad_definition_is_a_spec_error(fields, words):
    spec = _sum_of_G("") | fields
    part_problems = problems_of("expression", spec)
    if not part_problems:  # the solver check runs when the part is solved
        with pytest.raises(SpecProblem) as caught:
            KINDS["expression"].solve(KINDS["expression"].configure({"id": "p", "kind": "expression", "points": 2,
                                                                      "prompt": "?", **spec}, CollectingSpot()))
        part_problems = [str(caught.value)]
    assert any(words in p for p in part_problems), part_problems


def test_definitions_need_a_solver():
    found = problems_of("expression", {"symbols": {"g": {"shape": "scalar", "index": [1, 3]}}, "answer": "g_1",
                                       "definitions": {"g_a": "1"}})
    assert any("definitions need a solver" in p for p in found), found


def test_an_unreadable_answer_is_shown_the_parts_own_notation_never_the_answer(seed):
    outcome = seed("q2d", r"\sum_{i=1}^{t} g_{t,i} @@ h_{i-1}")
    assert outcome.status == Status.INVALID and "unexpected '@'" in outcome.feedback
    assert "Write, for example: W_hh, W_hx, h_{k+1}" in outcome.feedback and "(outer product)" in outcome.feedback
    for pid, answer in (("q2a", "sigma'(z_t) h_{t-1}"), ("q2b", "sum_{i=1}^{t} g_{t,i} sigma'(z_i) h_{i-1}")):
        said = seed(pid, "((").feedback
        assert "Write, for example" in said and "h_{t-1}" not in said and "sigma'" not in said and answer not in said


def test_one_expression_spelled_many_ways_is_checked_once_and_each_keeps_its_own_words(seed, monkeypatch):
    """Outcomes are remembered by the answer's structure: spacing and notation do not make a new check. What
    depends on the text as written (a note on its notation, the hint for a loose subscript) is still its own."""
    from grader.kinds import expression

    monkeypatch.setattr(expression, "_CHECKED", {})  # what earlier tests checked is not remembered here
    checked = []
    real = expression._check
    monkeypatch.setattr(expression, "_check", lambda *args: checked.append(args[2].text) or real(*args))
    wrong = ["sigma(z_t) h_{t-1}", "sigma( z_t )  h_{ t-1 }", r"\sigma(z_t)\, h_{t-1}", "σ(zₜ) hₜ₋₁"]
    outcomes = [seed("q2a", text) for text in wrong]
    assert len(checked) == 1 and len({(o.status, o.feedback, o.diagnosis) for o in outcomes}) == 1
    loose = seed("q2a", "sigma'(z_t) h_t-1")  # read as h_t − 1, with a hint; braced, it is right and has none
    braced = seed("q2a", "sigma'(z_t) h_{t-1}")
    assert "h_{t-1}" in loose.feedback and loose.status != braced.status


def test_outcomes_remembered_by_structure_are_bounded_by_the_length_of_their_answers(seed, monkeypatch):
    """A class of long answers, all different (built to fill memory), holds no more than the bound's worth."""
    from grader.kinds import expression

    monkeypatch.setattr(expression, "_CHECKED", {})
    monkeypatch.setattr(expression, "_checked_chars", 0)
    monkeypatch.setattr(expression, "MAX_CHECKED_CHARS", 2_000)
    for i in range(150):
        seed("q2a", "sigma'(z_t) h_{t-1} + " + " + ".join(f"{i + k} h_t" for k in range(12)))
    held = sum(length for part in expression._CHECKED.values() for _, length in part[2].values())
    assert 0 < held <= 2_000 and held == expression._checked_chars


def test_the_count_of_remembered_characters_stays_true_when_parts_come_and_go(monkeypatch):
    from grader.kinds import expression
    from grader.model import Outcome

    monkeypatch.setattr(expression, "_CHECKED", {})
    monkeypatch.setattr(expression, "_checked_chars", 0)
    configs = [object() for _ in range(513)]
    for k, config in enumerate(configs):  # as many parts as are kept, and one more
        expression._remember(expression._checked(config, None), k, Outcome(Status.CORRECT, 1.0), 10)
    for k, config in enumerate(configs[:3]):  # another variant of a part: its outcomes replace the first's
        expression._remember(expression._checked(config, "variant"), k, Outcome(Status.CORRECT, 1.0), 10)
        held = sum(length for part in expression._CHECKED.values() for _, length in part[2].values())
        assert held == expression._checked_chars > 0
