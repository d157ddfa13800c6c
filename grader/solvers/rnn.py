"""A vanilla RNN and its back-propagation through time (BPTT).

    z_t = W_hh h_{t-1} + W_hx x_t,   h_t = act(z_t),   t = 1..T
    J = sum_t J_t,   J_t = 1/2 ||h_t - y_t||^2

Arrays are indexed from 0, so row ``t-1`` holds step ``t`` (``x[0]`` is x_1, ``h[0]`` is h_1).
:func:`bptt` is a plain helper that returns every intermediate array; the solvers below pick
one gradient out of it, and the mistakes rebuild the gradient from the per-step terms
g_{t,i} = dJ_t/dh_i with one thing changed, the way a student's derivation goes wrong.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np

from .base import Instance, Param, SolverError, instance_solver, solver

# --- activations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """An activation and its derivative written in terms of its output (h = act(z) is at hand in BPTT)."""

    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    prime_from_output: Callable[[np.ndarray], np.ndarray]


ACTIVATIONS = {
    # 0.5 (1 + tanh(z/2)) is the sigmoid without exp overflow for large |z|
    "sigmoid": Activation("sigmoid", lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), lambda h: h * (1.0 - h)),
    "tanh": Activation("tanh", np.tanh, lambda h: 1.0 - h * h),
}

# --- params ------------------------------------------------------------------------------------

W_HH = Param("W_hh", ("n", "n"), "recurrent weights: h_{t-1} -> z_t")
W_HX = Param("W_hx", ("n", "m"), "input weights: x_t -> z_t")
X = Param("x", ("T", "m"), "inputs, one step per row (row t-1 is x_t)")
H0 = Param("h0", ("n",), "initial hidden state h_0")
TARGETS = Param("targets", ("T", "n"), "targets, one step per row (row t-1 is y_t)")
ACTIVATION = Param("activation", doc="the activation act", default="sigmoid", choices=tuple(ACTIVATIONS))

RNN_PARAMS = (W_HH, W_HX, X, H0, ACTIVATION)
LOSS_PARAMS = (W_HH, W_HX, X, H0, TARGETS, ACTIVATION)


# --- forward and BPTT --------------------------------------------------------------------------


def _run(W_hh, W_hx, x, h0, act: Activation) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass: pre-activations z and hidden states h, both (T, n)."""
    T, n = len(x), len(h0)
    z, h = np.empty((T, n)), np.empty((T, n))
    prev = h0
    for t in range(T):
        z[t] = W_hh @ prev + W_hx @ x[t]
        h[t] = prev = act.fn(z[t])
    return z, h


@dataclass(frozen=True)
class BPTT:
    """Everything BPTT computes for one RNN instance (0-based: index t-1 is step t, index i-1 is step i).

    ``g[t-1, i-1]`` is g_{t,i} = dJ_t/dh_i, zero where i > t; ``h_prev[t-1]`` is h_{t-1};
    ``delta[t-1]`` is dJ/dz_t, the total gradient reaching z_t from every later loss.
    """

    z: np.ndarray  # (T, n)
    h: np.ndarray  # (T, n) h_1..h_T
    h_prev: np.ndarray  # (T, n) h_0..h_{T-1}
    act_prime: np.ndarray  # (T, n) act'(z_t)
    g: np.ndarray  # (T, T, n)
    delta: np.ndarray  # (T, n)
    loss: float
    W_hh: np.ndarray  # dJ/dW_hh (n, n)
    W_hx: np.ndarray  # dJ/dW_hx (n, m)
    h0: np.ndarray  # dJ/dh0 (n,)


def bptt(W_hh, W_hx, x, h0, targets, activation: str = "sigmoid") -> BPTT:
    """Full back-propagation through time, plus the per-step terms g_{t,i} a derivation is written in."""
    act = ACTIVATIONS[activation]
    z, h = _run(W_hh, W_hx, x, h0, act)
    h_prev = np.vstack([h0[None, :], h[:-1]])
    prime = act.prime_from_output(h)
    err = h - targets  # dJ_t/dh_t
    # the usual backward sweep: delta_t = act'(z_t) * (dJ_t/dh_t + W_hh^T delta_{t+1})
    delta = np.empty_like(z)
    carry = np.zeros(len(h0))
    for t in reversed(range(len(x))):
        delta[t] = prime[t] * (err[t] + carry)
        carry = W_hh.T @ delta[t]
    return BPTT(
        z=z,
        h=h,
        h_prev=h_prev,
        act_prime=prime,
        g=_per_step_grads(W_hh, err, prime),
        delta=delta,
        loss=0.5 * float(np.sum(err**2)),
        W_hh=delta.T @ h_prev,
        W_hx=delta.T @ x,
        h0=carry,
    )


def _per_step_grads(W_hh: np.ndarray, err: np.ndarray, prime: np.ndarray) -> np.ndarray:
    """g[t, i] = dJ_t/dh_i: start at h_t - y_t and step back with g_{t,i-1} = W_hh^T (g_{t,i} * act'(z_i))."""
    T, n = err.shape
    g = np.zeros((T, T, n))
    for t in range(T):
        g[t, t] = err[t]
        for i in range(t, 0, -1):
            g[t, i - 1] = W_hh.T @ (g[t, i] * prime[i])
    return g


@dataclass(frozen=True)
class Grads:
    W_hh: np.ndarray
    W_hx: np.ndarray
    h0: np.ndarray


def assemble(run: BPTT, x: np.ndarray, W_hh: np.ndarray, g=None, prime=None, keep=None) -> Grads:
    """Sum the per-term gradients: dJ/dW_hh = sum_t sum_{i<=t} (g_{t,i} * prime_{t,i}) h_{i-1}^T.

    With the defaults (g from ``run``, prime_{t,i} = act'(z_i), every term kept) this is the right
    answer; a mistake swaps in its own ``g`` (T, T, n), ``prime`` (T, T, n) or ``keep`` (T, T) mask.
    dJ/dh0 collects the i = 1 terms pushed through W_hh^T.
    """
    T = len(x)
    g = run.g if g is None else g
    prime = np.broadcast_to(run.act_prime[None, :, :], g.shape) if prime is None else prime
    keep = np.tril(np.ones((T, T))) if keep is None else keep
    d = g * prime * keep[:, :, None]  # d[t, i] = dJ_t/dz_i under this derivation
    return Grads(
        W_hh=np.einsum("tia,ib->ab", d, run.h_prev),
        W_hx=np.einsum("tia,ib->ab", d, x),
        h0=W_hh.T @ d[:, 0, :].sum(axis=0),
    )


# --- solvers -----------------------------------------------------------------------------------


@solver(*RNN_PARAMS)
def forward(W_hh, W_hx, x, h0, activation="sigmoid"):
    """Hidden states h_1..h_T, one per row."""
    return _run(W_hh, W_hx, x, h0, ACTIVATIONS[activation])[1]


@forward.mistake(
    "shifted-states",
    "These are the states one step early (they start from the initial state); each row should be the "
    "state after reading that step's input.",
)
def _forward_shifted(W_hh, W_hx, x, h0, activation="sigmoid"):
    h = _run(W_hh, W_hx, x, h0, ACTIVATIONS[activation])[1]
    return np.vstack([h0[None, :], h[:-1]])


@forward.mistake(
    "wrong-activation",
    "The hidden states were computed with a different activation function than the one the RNN uses.",
)
def _forward_wrong_activation(W_hh, W_hx, x, h0, activation="sigmoid"):
    return [_run(W_hh, W_hx, x, h0, act)[1] for name, act in ACTIVATIONS.items() if name != activation]


@solver(*LOSS_PARAMS)
def grad_W_hh(W_hh, W_hx, x, h0, targets, activation="sigmoid"):
    """dJ/dW_hh by full BPTT: every loss J_t reaches W_hh through every earlier step."""
    return bptt(W_hh, W_hx, x, h0, targets, activation).W_hh


@solver(*LOSS_PARAMS)
def grad_W_hx(W_hh, W_hx, x, h0, targets, activation="sigmoid"):
    """dJ/dW_hx by full BPTT: every loss J_t reaches W_hx through every earlier step."""
    return bptt(W_hh, W_hx, x, h0, targets, activation).W_hx


@solver(*LOSS_PARAMS)
def grad_h0(W_hh, W_hx, x, h0, targets, activation="sigmoid"):
    """dJ/dh0: every loss J_t reaches the initial state through the whole chain h_1..h_t."""
    return bptt(W_hh, W_hx, x, h0, targets, activation).h0


# --- mistakes: each rebuilds the gradient with one step of the derivation done wrong ------------


def _sigma_prime_at_t(W_hh, W_hx, x, h0, targets, activation) -> Grads | None:
    """act'(z_t) used for every term of J_t's sum instead of act'(z_i) (the seed student's answer)."""
    if len(x) == 1:
        return None  # with one step i = t always: no difference
    run = bptt(W_hh, W_hx, x, h0, targets, activation)
    prime = np.broadcast_to(run.act_prime[:, None, :], run.g.shape)
    return assemble(run, x, W_hh, prime=prime)


def _truncated(W_hh, W_hx, x, h0, targets, activation) -> Grads | None:
    """Only the immediate term of each step: no gradient flows back through earlier hidden states."""
    if len(x) == 1:
        return None
    run = bptt(W_hh, W_hx, x, h0, targets, activation)
    return assemble(run, x, W_hh, keep=np.eye(len(x)))


def _last_loss_only(W_hh, W_hx, x, h0, targets, activation) -> Grads | None:
    """Only J_T differentiated (through every step), as if the loss were the last step's alone."""
    if len(x) == 1:
        return None
    run = bptt(W_hh, W_hx, x, h0, targets, activation)
    keep = np.zeros((len(x), len(x)))
    keep[-1, :] = 1.0
    return assemble(run, x, W_hh, keep=keep)


def _no_act_prime(W_hh, W_hx, x, h0, targets, activation) -> list[Grads]:
    """act' dropped: everywhere (g recomputed without it), or only in the local factor of each term."""
    run = bptt(W_hh, W_hx, x, h0, targets, activation)
    ones = np.ones_like(run.g)
    g_linear = _per_step_grads(W_hh, run.h - targets, np.ones_like(run.h))
    return [assemble(run, x, W_hh, g=g_linear, prime=ones), assemble(run, x, W_hh, prime=ones)]


def _pick(field: str, grads: Grads | list[Grads] | None):
    if grads is None:
        return None
    if isinstance(grads, list):
        return [getattr(one, field) for one in grads]
    return getattr(grads, field)


SIGMA_PRIME_AT_T = (
    "sigma-prime-at-t",
    "The activation derivative in the term for step i was taken at z_t, the step whose loss is being "
    "differentiated. The path from J_t back to step i passes through h_i = act(z_i), so that term needs "
    "act'(z_i).",
)
TRUNCATED = (
    "truncated",
    "Only the immediate term of each step is counted. The weights also act on every earlier step, and "
    "h_{t-1} itself depends on them, so the gradient of J_t must flow back through all earlier hidden "
    "states (a sum over i = 1..t).",
)
LAST_LOSS_ONLY = (
    "last-loss-only",
    "Only the loss of the last step, J_T, is differentiated. J = J_1 + ... + J_T, and every J_t depends on "
    "the weights: each step's loss adds its own gradient.",
)
NO_ACT_PRIME = (
    "missing-activation-derivative",
    "The derivative of the activation is missing: every time the gradient passes back through "
    "h_i = act(z_i) it is multiplied element-wise by act'(z_i).",
)


@grad_h0.mistake(
    "only-first-loss",
    "Only the loss at step 1 is counted; h_0 influences every later hidden state as well, so every J_t "
    "contributes a gradient that flows back through h_t, ..., h_1.",
)
def _grad_h0_only_first_loss(W_hh, W_hx, x, h0, targets, activation="sigmoid"):
    if len(x) == 1:
        return None
    run = bptt(W_hh, W_hx, x, h0, targets, activation)
    keep = np.zeros((len(x), len(x)))
    keep[0, 0] = 1.0
    return assemble(run, x, W_hh, keep=keep).h0


def _one_gradient(build, field: str, **params):
    """The ``field`` gradient (W_hh, W_hx or h0) of a wrong derivation, or alternatives of it."""
    return _pick(field, build(**params))


# the same slips, for each of the three gradients (for h0, 'truncated' is only-first-loss above)
_SLIPS = ((SIGMA_PRIME_AT_T, _sigma_prime_at_t), (TRUNCATED, _truncated), (LAST_LOSS_ONLY, _last_loss_only),
          (NO_ACT_PRIME, _no_act_prime))
for _grad, _field in ((grad_W_hh, "W_hh"), (grad_W_hx, "W_hx"), (grad_h0, "h0")):
    for (_name, _feedback), _build in _SLIPS:
        if not (_field == "h0" and _build is _truncated):
            _grad.mistake(_name, _feedback)(partial(_one_gradient, _build, _field))




# --- instances for expression answers -----------------------------------------------------------

INSTANCE_TARGETS = ("immediate", "dJt_dWhh", "dJ_dWhh", "dJt_dWhx", "dJ_dWhx", "dJ_dh0")


@instance_solver(
    Param("n", doc="hidden size (1 for a scalar RNN)", default=1.0),
    Param("m", doc="input size", default=1.0),
    Param("T", doc="number of steps", default=4.0),
    Param("t", doc="the step t that J_t refers to; by default drawn from 2..T per instance", default=0.0),
    ACTIVATION,
    targets=INSTANCE_TARGETS,
)
def bptt_instance(rng, n=1.0, m=1.0, T=4.0, t=0.0, activation="sigmoid") -> Instance:
    """A random RNN with per-step losses, its forward pass and its BPTT gradients, as symbol values.

    Binds h (h_0..h_T), z and x (1..T), y (targets, 1..T), g (g_{t,i} = dJ_t/dh_i, zero for i > t),
    G (G_t = dJ_t/dW_hh), W_hh, W_hx and t. Targets: immediate (dh_t/dW_hh holding h_{t-1} fixed,
    scalar RNN only), dJt_dWhh, dJ_dWhh, dJt_dWhx, dJ_dWhx, dJ_dh0.
    """
    n, m, T = int(n), int(m), int(T)
    if min(n, m, T) < 1 or max(n, m) > 50 or T > 50:
        raise SolverError("n and m must be from 1 to 50, and T from 1 to 50")
    step = int(t) if t else int(rng.integers(min(2, T), T + 1))  # t >= 2: sums over i have two terms
    if not 1 <= step <= T:
        raise SolverError(f"t must be from 1 to T = {T}", ("t",))
    # weights small enough that activations stay out of saturation, so gradients are informative
    W_hh = rng.normal(0.0, 0.6 / np.sqrt(n), size=(n, n))
    W_hx = rng.normal(0.0, 0.6 / np.sqrt(m), size=(n, m))
    x = rng.uniform(-1.0, 1.0, size=(T, m))
    h0 = rng.uniform(-0.5, 0.5, size=n)
    y = rng.uniform(0.0, 1.0, size=(T, n))
    run = bptt(W_hh, W_hx, x, h0, y, activation)
    per_step = [assemble(run, x, W_hh, keep=_only_row(T, k)) for k in range(T)]  # G_t, one J_t each
    col = lambda a: a.reshape(*a.shape, 1)  # vectors are columns in expressions
    targets = {
        "dJt_dWhh": per_step[step - 1].W_hh,
        "dJ_dWhh": run.W_hh,
        "dJt_dWhx": per_step[step - 1].W_hx,
        "dJ_dWhx": run.W_hx,
        "dJ_dh0": col(run.h0),
    }
    if n == 1:  # for a vector state dh_t/dW_hh is a 3-tensor; only the scalar case has this target
        targets["immediate"] = run.act_prime[step - 1] * run.h_prev[step - 1]
    return Instance(
        values={"W_hh": W_hh, "W_hx": W_hx, "t": float(step)},
        sequences={
            "h": ((0,), col(np.vstack([h0[None, :], run.h]))),
            "z": ((1,), col(run.z)),
            "x": ((1,), col(x)),
            "y": ((1,), col(y)),
            "g": ((1, 1), col(run.g)),
            "G": ((1,), np.stack([g.W_hh for g in per_step])),
        },
        targets=targets,
    )


def _only_row(T: int, k: int) -> np.ndarray:
    """The keep-mask of assemble() that sums only J_{k+1}'s terms (i <= k+1)."""
    keep = np.zeros((T, T))
    keep[k, : k + 1] = 1.0
    return keep
