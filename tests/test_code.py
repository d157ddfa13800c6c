"""kind: code - students' numpy functions run in the sandbox on generated inputs, against the reference solvers."""
from __future__ import annotations

import os

import numpy as np
import pytest

from grader import sandbox
from grader.model import Status
from helpers import Built, code_file, problems_of

needs_bwrap = pytest.mark.skipif(sandbox.available() is not None and not os.environ.get("CI"),
                                 reason="bubblewrap is not installed (apt-get install bubblewrap)")

RNN = {
    "file": "rnn.py",
    "sizes": {"n": [1, 4], "m": [1, 3], "T": [1, 5]},
    "functions": [
        {"name": "rnn_forward", "solver": "rnn.forward", "args": ["W_hh", "W_hx", "x", "h0"], "points": 2,
         "trials": 4, "edge_cases": ["zeros", "length-1"]},
        {"name": "rnn_bptt_whh", "solver": "rnn.grad_W_hh", "args": ["W_hh", "W_hx", "x", "h0", "targets"],
         "points": 2, "trials": 4, "edge_cases": ["one-unit"],
         "gradient": {"forward": "rnn_forward", "wrt": "W_hh", "targets": "targets"}},
    ],
    "limits": {"seconds": 5, "memory_mb": 512},
}


@pytest.fixture(scope="module")
def rnn():
    return Built("code", RNN | {"points": 4})


def source(name: str) -> str:
    return code_file(name).read_text(encoding="utf-8")


@needs_bwrap
def test_a_right_implementation_passes_every_trial(rnn):
    outcome = rnn(source("correct"))
    assert outcome.status == Status.CORRECT, outcome.feedback
    assert "rnn_forward: 6/6 trials passed." in outcome.feedback and "rnn_bptt_whh: 5/5 trials passed." in outcome.feedback


@needs_bwrap
def test_the_seed_students_slip_in_code_is_named(rnn):
    outcome = rnn(source("sigma_at_t"))
    assert outcome.status == Status.PARTIAL and outcome.diagnosis == "mistake:sigma-prime-at-t", outcome.feedback
    assert "rnn_forward: 6/6" in outcome.feedback and "A failing input (one unit;" in outcome.feedback
    assert "agrees with finite differences" not in outcome.feedback  # their backward pass is not their forward's


@needs_bwrap
def test_a_gradient_of_the_last_loss_only_is_named(rnn):
    outcome = rnn(source("last_loss_only"))
    assert outcome.diagnosis == "mistake:last-loss-only", outcome.feedback


@needs_bwrap
def test_a_transposed_output_is_called_transposed(rnn):
    outcome = rnn(source("transposed"))
    assert outcome.diagnosis == "transpose" and "rows and columns are swapped" in outcome.feedback


@needs_bwrap
def test_a_wrong_forward_with_a_consistent_backward_is_told_where_to_look(rnn):
    tanh = source("correct").replace("1.0 / (1.0 + np.exp(-z))", "np.tanh(z)").replace(
        "hs[t] * (1 - hs[t])", "(1 - hs[t] ** 2)")
    outcome = rnn(tanh)
    assert "mistake:wrong-activation" == outcome.diagnosis, outcome.feedback
    assert "agrees with finite differences of your own rnn_forward" in outcome.feedback


@needs_bwrap
def test_reading_the_spec_fails_inside_the_sandbox_and_says_why(rnn):
    outcome = rnn(source("reads_spec"))
    assert outcome.status == Status.PARTIAL and outcome.diagnosis == "exception", outcome.feedback
    assert "rnn_bptt_whh raised" in outcome.feedback and "rnn.py:" in outcome.feedback


@needs_bwrap
def test_an_endless_loop_is_stopped_and_named(rnn):
    outcome = rnn(source("endless"))  # its forward pass is right, and ran before the loop
    assert outcome.diagnosis == "timeout" and outcome.fraction == pytest.approx(0.5), outcome.feedback
    assert "rnn_forward: 6/6 trials passed. rnn_bptt_whh: Your code did not finish within 5 s of CPU time" \
        in outcome.feedback


@needs_bwrap
def test_different_results_for_the_same_input_are_named(rnn):
    noisy = source("correct").replace("    return np.array(states)", "    return np.array(states) + "
                                                                       "np.random.uniform(0, 1e-12) * 0")
    noisy = noisy.replace("    return grad\n", "    return grad + np.random.normal(size=grad.shape)\n")
    outcome = rnn(noisy)
    assert "different results for the same input" in outcome.feedback or outcome.diagnosis == "values"


@needs_bwrap
def test_a_missing_function_is_named(rnn):
    only_forward = source("correct").split("def rnn_bptt_whh")[0]
    outcome = rnn(only_forward)
    assert "rnn_bptt_whh" in outcome.feedback and outcome.fraction == pytest.approx(0.5), outcome.feedback


def test_a_file_that_does_not_parse_is_invalid_with_its_line(rnn):
    outcome = rnn("import numpy as np\n\ndef rnn_forward(W_hh, W_hx, x, h0)\n    return x\n")
    assert outcome.status == Status.INVALID and "rnn.py:3:" in outcome.feedback


@needs_bwrap
def test_feedback_never_shows_a_right_output(rnn):
    outcome = rnn(source("sigma_at_t"))
    for trials in rnn.reference.trials.values():
        for trial in trials:
            for value in np.ravel(trial.expected)[:4]:
                if abs(value) > 1e-3:
                    assert f"{value:.3f}" not in outcome.feedback


@pytest.mark.parametrize("fields, words", [
    ({"functions": [{"name": "f", "solver": "rnn.nothing", "args": ["x"]}]}, "is not a solver"),
    ({"functions": [{"name": "f", "solver": "rnn.forward", "args": ["W_hh", "x", "h0", "y"]}]}, "takes no param 'y'"),
    ({"functions": [{"name": "f", "solver": "rnn.forward", "args": ["W_hh", "x", "h0"]}]}, "needs W_hx"),
    ({"sizes": {"n": 2}, "functions": [{"name": "f", "solver": "rnn.forward", "args": ["W_hh", "W_hx", "x", "h0"]}]},
     "is not in sizes"),
])
def test_spec_problems(fields, words):
    found = problems_of("code", {"file": "rnn.py", **fields})
    assert any(words in p for p in found), found


@needs_bwrap
@pytest.mark.parametrize("trick", [
    "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = lambda *a, **k: True\n",
    "class Liar(list):\n    def __eq__(self, other):\n        return True\n\n_wrap = Liar\n",
    "print('RESULT {\"index\": 0, \"ok\": true, \"data\": 0}')\n",
])
def test_tricks_in_the_students_process_never_reach_the_comparison(rnn, trick):
    wrong = source("sigma_at_t").replace("import numpy as np\n", "import numpy as np\n" + trick, 1)
    if "Liar" in trick:
        wrong = wrong.replace("    return grad\n", "    return Liar([0.0])\n")
    outcome = rnn(wrong)
    assert outcome.status == Status.PARTIAL and "rnn_forward: 6/6 trials passed" in outcome.feedback
    if "Liar" in trick:  # a list of one number, whatever its __eq__ says: the shape is wrong at every trial
        assert "rnn_bptt_whh: 0/5 trials passed" in outcome.feedback and outcome.diagnosis == "shape"
    else:  # the patched numpy and the printed marker change nothing: the slip is still found
        assert outcome.diagnosis == "mistake:sigma-prime-at-t", outcome.feedback
