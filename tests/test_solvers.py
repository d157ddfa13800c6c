"""Reference solvers: right answers (hand loops, the seed's Q3 numbers, finite differences) and named mistakes."""
from __future__ import annotations

import numpy as np
import pytest

from grader.solvers import SOLVERS, ParamError, Solver, SolverError, get
from grader.solvers import rnn

# --- the seed homework's Q3 ---------------------------------------------------------------------

Q3 = {
    "query": [1, 1, 1],
    "keys": [[3, -2, -3], [6, -2, -1], [0, -1, 1], [0, 2, 4]],
    "values": [[2, 0, 1], [1, 4, 3], [0, -1, 4], [6, 1, 2]],
}


def _solve(name: str, raw: dict) -> tuple[np.ndarray, dict[str, list[np.ndarray]]]:
    s = SOLVERS[name]
    bound = s.bind(raw)
    return s.solve(bound), s.mistake_values(bound)


def _contains(options: list[np.ndarray], wanted) -> bool:
    wanted = np.asarray(wanted, dtype=float)
    return any(v.shape == wanted.shape and np.allclose(v, wanted) for v in options)


def test_registry_names():
    expected = {
        "attention.scores", "attention.argmax", "attention.softmax_weights", "attention.soft",
        "attention.scaled_dot_product", "rnn.forward", "rnn.grad_W_hh", "rnn.grad_W_hx", "rnn.grad_h0",
    }  # fmt: skip
    assert expected <= set(SOLVERS)
    assert get("attention.argmax").name == "attention.argmax"
    assert not any(name.rsplit(".", 1)[1].startswith("_") for name in SOLVERS)  # mistakes stay private


def test_q3_scores_and_argmax():
    got, _ = _solve("attention.scores", {"query": Q3["query"], "keys": Q3["keys"]})
    np.testing.assert_allclose(got, [-2, 3, 0, 6])
    got, mistakes = _solve("attention.argmax", Q3)
    np.testing.assert_allclose(got, [6, 1, 2])
    assert _contains(mistakes["key-instead-of-value"], [0, 2, 4])
    assert _contains(mistakes["off-by-one"], [0, -1, 4])
    assert len(mistakes["off-by-one"]) == 1  # k = 3 is the last row: there is no k + 1
    assert _contains(mistakes["scores"], [-2, 3, 0, 6])
    assert _contains(mistakes["one-hot-weights"], [0, 0, 0, 1])
    assert _contains(mistakes["index"], 3) and _contains(mistakes["index"], 4)
    w = np.exp([-2, 3, 0, 6]) / np.exp([-2, 3, 0, 6]).sum()
    assert _contains(mistakes["soft-attention"], w @ np.array(Q3["values"], dtype=float))


def test_q3_soft_attention():
    w = np.exp([-2.0, 3, 0, 6])
    w /= w.sum()
    got, mistakes = _solve("attention.soft", Q3)
    np.testing.assert_allclose(got, w @ np.array(Q3["values"], dtype=float))
    assert _contains(mistakes["argmax"], [6, 1, 2])
    weights, wrong = _solve("attention.softmax_weights", {"query": Q3["query"], "keys": Q3["keys"]})
    np.testing.assert_allclose(weights, w)
    scaled = np.exp(np.array([-2.0, 3, 0, 6]) / np.sqrt(3))  # softmax(q.k / sqrt(d_k)): scaled attention's weights
    assert _contains(wrong["scaled"], scaled / scaled.sum())


def test_softmax_is_stable_for_large_scores():
    got, _ = _solve("attention.softmax_weights", {"query": [1000.0], "keys": [[1.0], [2.0]]})
    np.testing.assert_allclose(got, [0.0, 1.0])


def test_argmax_tie_is_a_solver_error():
    s = SOLVERS["attention.argmax"]
    bound = s.bind({"query": [1, 1], "keys": [[1, 2], [0, 0], [2, 1]], "values": [[1], [2], [3]]})
    with pytest.raises(SolverError) as err:
        s.solve(bound)
    assert err.value.path == ("keys",)
    assert "0 and 2" in err.value.message


def test_argmax_tie_within_relative_tolerance():
    s = SOLVERS["attention.argmax"]
    bound = s.bind({"query": [1.0], "keys": [[1e6], [1e6 * (1 - 1e-12)]], "values": [[1], [2]]})
    with pytest.raises(SolverError):
        s.solve(bound)


def test_bind_rejects_mismatched_shapes():
    s = SOLVERS["attention.argmax"]
    with pytest.raises(ParamError) as err:
        s.bind({**Q3, "keys": [[3, -2, -3, 1]] * 4})
    assert err.value.path == ("keys",)
    with pytest.raises(ParamError) as err:
        s.bind({**Q3, "values": [[1, 2, 3]] * 3})
    assert err.value.path == ("values",)
    with pytest.raises(ParamError) as err:
        SOLVERS["rnn.grad_W_hh"].bind({**_rnn_raw(np.random.default_rng(0), 3, 2, 4), "h0": [0.0, 0.0]})
    assert err.value.path == ("h0",)
    with pytest.raises(ParamError) as err:
        SOLVERS["rnn.grad_h0"].bind({**_rnn_raw(np.random.default_rng(0), 2, 2, 2), "activation": "relu"})
    assert err.value.path == ("activation",)
    with pytest.raises(ParamError) as err:
        SOLVERS["rnn.forward"].bind(_rnn_raw(np.random.default_rng(0), 2, 2, 2))
    assert err.value.path == ("targets",)  # forward has no loss, so no targets


# --- scaled dot-product attention ---------------------------------------------------------------


def _sdp_loop(Q, K, V, mask=None):
    """softmax(q_i . k_j / sqrt(d_k)) over allowed j, one query at a time."""
    out = np.zeros((len(Q), V.shape[1]))
    for i, q in enumerate(Q):
        allowed = [j for j in range(len(K)) if mask is None or mask[i][j]]
        s = np.array([q @ K[j] / np.sqrt(len(q)) for j in allowed])
        w = np.exp(s - s.max())
        w /= w.sum()
        for wj, j in zip(w, allowed):
            out[i] += wj * V[j]
    return out


def test_scaled_dot_product_matches_loop():
    rng = np.random.default_rng(1)
    Q, K, V = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    mask = np.tril(np.ones((3, 5)), k=1)
    for m in (None, mask):
        raw = {"Q": Q.tolist(), "K": K.tolist(), "V": V.tolist()}
        if m is not None:
            raw["mask"] = m.tolist()
        got, mistakes = _solve("attention.scaled_dot_product", raw)
        np.testing.assert_allclose(got, _sdp_loop(Q, K, V, m), rtol=1e-12)
        assert bool(mistakes["mask-ignored"]) == (m is not None)


def test_scaled_dot_product_boolean_mask():
    rng = np.random.default_rng(2)
    Q, K, V = rng.normal(size=(2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    mask = [[True, False, True], [False, True, False]]
    got, _ = _solve("attention.scaled_dot_product", {"Q": Q, "K": K, "V": V, "mask": mask})
    np.testing.assert_allclose(got, _sdp_loop(Q, K, V, mask), rtol=1e-12)


def test_fully_masked_row_is_a_solver_error():
    s = SOLVERS["attention.scaled_dot_product"]
    bound = s.bind({"Q": np.ones((2, 2)), "K": np.ones((2, 2)), "V": np.ones((2, 1)), "mask": [[1, 0], [0, 0]]})
    with pytest.raises(SolverError) as err:
        s.solve(bound)
    assert err.value.path == ("mask",)


# --- RNN: forward and BPTT ----------------------------------------------------------------------


def _rnn_raw(rng, n: int, m: int, T: int, activation: str = "sigmoid") -> dict:
    return {
        "W_hh": rng.normal(size=(n, n)),
        "W_hx": rng.normal(size=(n, m)),
        "x": rng.normal(size=(T, m)),
        "h0": rng.normal(size=n),
        "targets": rng.uniform(-1, 1, size=(T, n)),
        "activation": activation,
    }


def _loss(W_hh, W_hx, x, h0, targets, activation):
    act = np.tanh if activation == "tanh" else (lambda z: 1 / (1 + np.exp(-z)))
    h, total = h0, 0.0
    for x_t, y_t in zip(x, targets):
        h = act(W_hh @ h + W_hx @ x_t)
        total += 0.5 * np.sum((h - y_t) ** 2)
    return total


def _finite_difference(raw: dict, name: str, eps: float = 1e-6) -> np.ndarray:
    base = {k: (np.array(v, dtype=float) if k != "activation" else v) for k, v in raw.items()}
    grad = np.zeros_like(base[name])
    for idx in np.ndindex(grad.shape):
        plus, minus = dict(base), dict(base)
        plus[name], minus[name] = base[name].copy(), base[name].copy()
        plus[name][idx] += eps
        minus[name][idx] -= eps
        grad[idx] = (_loss(**plus) - _loss(**minus)) / (2 * eps)
    return grad


SIZES = [(1, 1, 1), (1, 1, 5), (3, 2, 4)]  # (n, m, T): scalar RNN, scalar over time, vector RNN


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("n,m,T", SIZES)
def test_gradients_match_finite_differences(activation, n, m, T):
    raw = _rnn_raw(np.random.default_rng(n * 100 + T), n, m, T, activation)
    for solver_name, param in [("rnn.grad_W_hh", "W_hh"), ("rnn.grad_W_hx", "W_hx"), ("rnn.grad_h0", "h0")]:
        got, _ = _solve(solver_name, raw)
        np.testing.assert_allclose(got, _finite_difference(raw, param), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_forward_matches_loop(activation):
    raw = _rnn_raw(np.random.default_rng(5), 3, 2, 4, activation)
    raw.pop("targets")
    got, _ = _solve("rnn.forward", raw)
    act = np.tanh if activation == "tanh" else (lambda z: 1 / (1 + np.exp(-z)))
    h, rows = raw["h0"], []
    for x_t in raw["x"]:
        h = act(raw["W_hh"] @ h + raw["W_hx"] @ x_t)
        rows.append(h)
    np.testing.assert_allclose(got, np.array(rows), rtol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_bptt_per_step_terms(activation):
    """g_{t,i} = dJ_t/dh_i: zero above the diagonal, h_t - y_t on it, and summing to the full gradient."""
    raw = _rnn_raw(np.random.default_rng(7), 3, 2, 4, activation)
    run = rnn.bptt(**raw)
    T = len(raw["x"])
    assert run.g.shape == (T, T, 3)
    for t in range(T):
        np.testing.assert_allclose(run.g[t, t], run.h[t] - raw["targets"][t])
        assert not run.g[t, t + 1 :].any()
    grads = rnn.assemble(run, raw["x"], raw["W_hh"])
    np.testing.assert_allclose(grads.W_hh, run.W_hh, rtol=1e-12)
    np.testing.assert_allclose(grads.W_hx, run.W_hx, rtol=1e-12)
    np.testing.assert_allclose(grads.h0, run.h0, rtol=1e-12)
    # each g_{t,1} separately: dJ_t/dh_0 = W_hh^T (g_{t,1} * act'(z_1)) against finite differences of J_t
    for t in range(T):
        one = {**raw, "x": raw["x"][: t + 1], "targets": raw["targets"][: t + 1]}
        partial = {**one, "targets": one["targets"].copy()}
        partial["targets"][:t] = rnn.bptt(**one).h[:t]  # zero loss before step t: only J_t remains
        want = _finite_difference(partial, "h0")
        np.testing.assert_allclose(raw["W_hh"].T @ (run.g[t, 0] * run.act_prime[0]), want, rtol=1e-6, atol=1e-9)


def test_sigma_prime_at_t_is_the_seed_students_sum():
    """Spelled out for the scalar RNN: sum_t sum_{i<=t} g_{t,i} sigma'(z_t) h_{i-1}."""
    raw = _rnn_raw(np.random.default_rng(11), 1, 1, 3)
    run = rnn.bptt(**raw)
    s = run.act_prime[:, 0]
    h_prev = run.h_prev[:, 0]
    want = sum(run.g[t, i, 0] * s[t] * h_prev[i] for t in range(3) for i in range(t + 1))
    _, mistakes = _solve("rnn.grad_W_hh", raw)
    np.testing.assert_allclose(mistakes["sigma-prime-at-t"][0], [[want]])


def test_sigmoid_does_not_overflow():
    raw = {"W_hh": [[0.0]], "W_hx": [[1.0]], "x": [[-1000.0], [1000.0]], "h0": [0.0]}
    with np.errstate(all="raise"):
        got, _ = _solve("rnn.forward", raw)
    np.testing.assert_allclose(got, [[0.0], [1.0]])


# --- every mistake of every solver -------------------------------------------------------------


def _instance(name: str) -> dict:
    """A random instance on which every mistake of ``name`` applies."""
    rng = np.random.default_rng(3)
    if name.startswith("rnn."):
        raw = _rnn_raw(rng, 3, 2, 4)
        if name == "rnn.forward":
            raw.pop("targets")
        return raw
    if name == "attention.scaled_dot_product":
        mask = np.ones((3, 5))
        mask[0, 4] = mask[2, 0] = 0
        return {"Q": rng.normal(size=(3, 4)), "K": rng.normal(size=(5, 4)), "V": rng.normal(size=(5, 2)), "mask": mask}
    raw = {"query": rng.normal(size=4), "keys": rng.normal(size=(5, 4)), "values": rng.normal(size=(5, 5))}
    if name in ("attention.scores", "attention.softmax_weights"):
        raw.pop("values")
    return raw


VALUE_SOLVERS = sorted(name for name, s in SOLVERS.items() if isinstance(s, Solver))


@pytest.mark.parametrize("name", VALUE_SOLVERS)
def test_every_mistake_differs_from_the_answer(name):
    s = SOLVERS[name]
    assert len({m.name for m in s.mistakes}) == len(s.mistakes)
    bound = s.bind(_instance(name))
    right = s.solve(bound)
    for mistake, values in s.mistake_values(bound).items():
        assert values, f"{name}: mistake {mistake} does not apply to the test instance"
        for v in values:
            assert v.shape != right.shape or not np.allclose(v, right, rtol=1e-6), f"{name}: {mistake}"


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_rnn_mistakes_for_both_activations(activation):
    raw = _rnn_raw(np.random.default_rng(13), 2, 2, 3, activation)
    for name in ("rnn.grad_W_hh", "rnn.grad_W_hx", "rnn.grad_h0"):
        right, mistakes = _solve(name, raw)
        for mistake, values in mistakes.items():
            assert values and all(not np.allclose(v, right) for v in values), f"{name}: {mistake}"


def test_mistakes_that_cannot_differ_stay_silent():
    """With one step there is nothing to truncate; with d_k = 1 scaling changes nothing; with no mask nothing to ignore."""
    _, mistakes = _solve("rnn.grad_W_hh", _rnn_raw(np.random.default_rng(4), 2, 1, 1))
    assert mistakes["truncated"] == [] and mistakes["sigma-prime-at-t"] == []
    _, mistakes = _solve("attention.scaled_dot_product", {"Q": [[1.0], [2.0]], "K": [[1.0], [-1.0]], "V": [[1.0], [0.0]]})
    assert mistakes["unscaled"] == [] and mistakes["scaled-by-d"] == [] and mistakes["mask-ignored"] == []
    _, mistakes = _solve("attention.argmax", {"query": [1.0], "keys": [[1.0]], "values": [[5.0]]})
    assert mistakes["off-by-one"] == []


def test_feedback_is_written_for_students():
    for s in (SOLVERS[name] for name in VALUE_SOLVERS):
        for m in s.mistakes:
            assert len(m.feedback) > 40 and m.feedback.endswith("."), f"{s.name}: {m.name}"


def test_argmax_names_another_keys_value_without_saying_which_key_wins():
    _, mistakes = _solve("attention.argmax", Q3)
    assert _contains(mistakes["another-value"], [1, 4, 3])  # v1 where v3 wins (the seed's sign slip)
    assert not _contains(mistakes["another-value"], [6, 1, 2])  # never the right value itself


def test_the_gradient_of_the_last_loss_alone_is_a_named_mistake():
    """J_T differentiated alone: the finite-difference gradient of 1/2 ||h_T - y_T||^2 is that mistake's value."""
    raw = _rnn_raw(np.random.default_rng(21), 3, 2, 4)
    _, mistakes = _solve("rnn.grad_W_hh", raw)
    W_hh = np.array(raw["W_hh"], dtype=float)

    def last_loss(W):
        h = _solve("rnn.forward", {k: raw[k] for k in ("W_hx", "x", "h0")} | {"W_hh": W.tolist()})[0]
        return 0.5 * float(np.sum((h[-1] - np.array(raw["targets"])[-1]) ** 2))

    fd = np.zeros_like(W_hh)
    for idx in np.ndindex(*W_hh.shape):
        step = np.zeros_like(W_hh)
        step[idx] = 1e-6
        fd[idx] = (last_loss(W_hh + step) - last_loss(W_hh - step)) / 2e-6
    assert _contains(mistakes["last-loss-only"], fd)
