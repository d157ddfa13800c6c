"""Sizes a student cannot see are drawn per test point (issue 14): an answer written for one size is caught."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from conftest import SEED_SPEC
from grader.expr import build_namespace
from grader.expr.symbols import size_schedule
from grader.grading import check_answer
from grader.kinds import expression
from grader.model import Status
from grader.spec import load_spec
from helpers import Built, problems_of

FOUR_TERMS = {
    "q2b": r"g_{t,1}\sigma'(z_1)h_0 + g_{t,2}\sigma'(z_2)h_1 + g_{t,3}\sigma'(z_3)h_2 + g_{t,4}\sigma'(z_4)h_3",
    "q2d": r"(g_{t,1}\odot\sigma'(z_1))h_0^\top + (g_{t,2}\odot\sigma'(z_2))h_1^\top"
           r" + (g_{t,3}\odot\sigma'(z_3))h_2^\top + (g_{t,4}\odot\sigma'(z_4))h_3^\top",
}


@pytest.fixture(scope="module")
def seed():
    spec = load_spec(SEED_SPEC)
    parts = {p.id: p for p in spec.assignment.parts}
    return lambda pid, raw: check_answer(parts[pid], spec.references[pid], raw)


@pytest.mark.parametrize("answer", ["G_1 + G_2 + G_3 + G_4", r"\sum_{t=1}^{4} G_t", "sum_{t=1}^{4} G_t"])
def test_a_sum_written_for_four_steps_is_wrong_and_told_so(seed, answer):
    outcome = seed("q2c", answer)
    assert outcome.status == Status.INCORRECT and outcome.diagnosis == "size:T"
    assert "right only when T = 4: write it for any T" in outcome.feedback


@pytest.mark.parametrize("pid", ["q2b", "q2d"])
def test_four_terms_written_out_are_wrong(seed, pid):
    outcome = seed(pid, FOUR_TERMS[pid])
    assert outcome.status == Status.INCORRECT
    assert outcome.diagnosis == "size:T" and "T = 4" in outcome.feedback and "write it for any T" in outcome.feedback
    assert "Write the sum, not its terms one by one." in outcome.feedback


def test_a_step_equal_to_the_size_by_chance_is_not_called_a_fixed_size(seed):
    outcome = seed("q2c", "sum_{t=1}^{t} G_t")  # right wherever t = T, which all six T = 3 situations have
    assert outcome.status == Status.INCORRECT and outcome.diagnosis == "rule:sum-bounds"


def test_the_general_answers_stay_right(seed):
    for pid, answer in [("q2b", r"\sum_{i=1}^{T} g_{t,i} \sigma'(z_i) h_{i-1}"), ("q2c", r"\sum_{t=1}^{T} G_t"),
                        ("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_i)) h_{i-1}^\top")]:
        assert seed(pid, answer).status == Status.CORRECT


def test_shape_feedback_names_a_drawn_size(seed):
    swapped = seed("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot \sigma'(z_i)) x_i^\top")  # a rule explains this one
    assert swapped.diagnosis == "rule:symbol-swap" and "x_i is used where" in swapped.feedback
    outcome = seed("q2d", r"\sum_{i=1}^{t} (g_{t,i} \odot z_i) x_i^\top")  # no rule does: the shapes are said
    assert outcome.diagnosis == "shape"
    assert outcome.feedback.startswith("Expected an n×n matrix, but your expression is an n×m matrix.")


def test_test_situations_hold_every_size_often_and_are_reproducible():
    spec, again = load_spec(SEED_SPEC), load_spec(SEED_SPEC)
    reference = spec.references["q2d"]
    counts = {name: Counter(p.dims[name] for p in reference.instances) for name in ("n", "m", "T")}
    assert set(counts["T"]) == {3, 4, 5, 6} and set(counts["n"]) == {2, 3, 4, 5} and set(counts["m"]) == {2, 3, 4}
    assert all(c >= expression.SIZE_POINTS for each in counts.values() for c in each.values())
    first = Counter(p.dims["T"] for p in reference.instances[:8])
    assert set(first.values()) == {2}  # the points compared first hold each length twice
    for a, b in zip(reference.instances, again.references["q2d"].instances):
        assert a.dims == b.dims
        assert np.array_equal(a.sequences["h"][1], b.sequences["h"][1])
    lengths = [p.sequences["h"][1].shape[0] - 1 for p in reference.instances]
    assert lengths == [p.dims["T"] for p in reference.instances]  # the sequences follow the drawn length
    assert all(p.values["W_hx"].shape == (p.dims["n"], p.dims["m"]) for p in reference.instances)


def test_schedule_shuffles_sizes_independently():
    ns = build_namespace({"n": [2, 5], "T": [3, 6]}, {"h": {"shape": ["n"], "index": [0, "T"]}})
    schedule = size_schedule(ns, 7, 24)
    assert schedule == size_schedule(ns, 7, 24)
    pairs = Counter((s["n"], s["T"]) for s in schedule)
    assert len(pairs) > 4  # a length is not tied to a width
    assert ns.dims["n"] != ns.dims["T"]  # the representatives are apart, so shapes inferred there fit everywhere


def test_a_vector_answer_written_for_n_3_is_caught_once_n_is_drawn():
    fields = {"symbols": {"v": ["n"]}, "answer": "v / n", "prompt": "The mean's share of each entry."}
    fixed = Built("expression", {**fields, "dims": {"n": 3}})
    assert fixed("v / 3").status == Status.CORRECT  # the hole: every test point has n = 3
    drawn = Built("expression", {**fields, "dims": {"n": [2, 5]}})
    assert drawn("v / n").status == Status.CORRECT
    assert drawn("v * (1/n)").status == Status.CORRECT
    caught = drawn("v / 3")
    assert caught.status == Status.INCORRECT and caught.diagnosis == "size:n"
    assert "right only when n = 3: write it for any n" in caught.feedback


def test_a_scalar_sum_with_a_drawn_bound():
    part = Built("expression", {"dims": {"N": [3, 6]}, "symbols": {"x": {"shape": "scalar", "range": [0.5, 1.5]}},
                                "answer": "sum_{k=1}^{N} x^k"})
    assert part("x (x^N - 1) / (x - 1)").status == Status.CORRECT
    caught = part("x + x^2 + x^3 + x^4")
    assert caught.diagnosis == "size:N" and "right only when N = 4" in caught.feedback


def test_spec_errors_for_drawn_sizes():
    assert any("a drawn size is [lo, hi]" in m for m in problems_of("expression", {"dims": {"T": [6, 3]},
                                                                                     "answer": "T"}))
    assert any("at most 8 values" in m for m in problems_of("expression", {"dims": {"T": [1, 20]}, "answer": "T"}))
    rnn = {"dims": {"T": [3, 6]}, "symbols": {"h": {"shape": "scalar", "index": [0, "T"]}}, "solver": "rnn.bptt_instance",
           "target": "dJ_dWhh", "params": {"T": 4}}
    assert "params.T fixes a size that dims.T draws per test point: give it in one place" in problems_of("expression",
                                                                                                          rnn)


def test_an_answer_that_does_not_fit_at_some_size_is_a_spec_error(cli, write):
    text = """
    id: demo
    title: Demo
    parts:
      - id: p
        kind: expression
        points: 1
        prompt: x
        dims: {n: [2, 4], k: 3}
        symbols: {v: [n], w: [k]}
        answer: "v + w"
    """
    run = cli("validate", write("s.yaml", text))
    assert run.status == 2 and "Traceback" not in run.err
    assert "s.yaml:" in run.err and "v + w adds" in run.err


UNSTATED = """
id: demo
title: Demo
parts:
  - id: p
    kind: expression
    points: 1
    prompt: {prompt}
    dims: {{T: {T}}}
    symbols: {{G: {{shape: scalar, index: [1, T]}}, h: {{shape: scalar, index: [0, T]}}}}
    solver: rnn.bptt_instance
    params: {{n: 1, m: 1}}
    target: dJ_dWhh
    answer: "sum_{{t=1}}^{{T}} G_t"
"""


def test_validate_warns_of_a_fixed_size_the_prompt_does_not_state(cli, write):
    run = cli("validate", write("s.yaml", UNSTATED.format(prompt="dJ/dW_hh over the sequence", T=4)))
    assert run.status == 0
    assert "s.yaml:8:15: warning: part p: dims.T = 4 is fixed, and the prompt does not say so" in run.err
    selftest = cli("validate", "--selftest", write("s.yaml", UNSTATED.format(prompt="dJ/dW_hh over the sequence",
                                                                             T=4)))
    assert selftest.status == 1
    assert "p: FAIL the reference written out for T = 4: an answer right only when T = 4 scored full marks" \
        in selftest.out


def test_a_stated_or_drawn_size_passes(cli, write):
    stated = cli("validate", "--selftest", write("s.yaml", UNSTATED.format(prompt="With T = 4, dJ/dW_hh", T=4)))
    assert stated.status == 0 and "warning" not in stated.err
    drawn = cli("validate", "--selftest", write("d.yaml", UNSTATED.format(prompt="dJ/dW_hh", T="[3, 6]")))
    assert drawn.status == 0 and "warning" not in drawn.err
    assert "p: ok   the reference written out for T = 4 -> size:T (0/1)" in drawn.out
