"""Attention solvers: dot-product scores, hard (argmax) and soft attention, scaled dot-product attention.

Every function takes float arrays already checked and converted by :meth:`Solver.bind`.
Mistake functions recompute a wrong answer students actually give, so a check can name it.
"""
from __future__ import annotations

import numpy as np

from .base import Param, SolverError, solver

TIE_RTOL = 1e-9  # scores this close (relative to the largest |score|) count as a tie

QUERY = Param("query", ("d",), "the query vector q")
KEYS = Param("keys", ("n", "d"), "one key per row")
VALUES = Param("values", ("n", "dv"), "one value per row")


# --- shared arithmetic -------------------------------------------------------------------------


def _scores(query: np.ndarray, keys: np.ndarray) -> np.ndarray:
    return keys @ query


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax that cannot overflow: shift by the max, and let -inf entries get weight 0."""
    top = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - top)
    return e / np.sum(e, axis=axis, keepdims=True)


def _top_indices(scores: np.ndarray) -> list[int]:
    """Every index whose score ties the maximum; more than one means argmax has no single answer."""
    best = np.max(scores)
    tol = TIE_RTOL * np.max(np.abs(scores))
    return [int(i) for i in np.flatnonzero(scores >= best - tol)]


def _pick(query: np.ndarray, keys: np.ndarray) -> int:
    """The index argmax attention selects, or SolverError when the top score is tied."""
    top = _top_indices(_scores(query, keys))
    if len(top) > 1:
        i, j = top[:2]
        raise SolverError(f"scores tie at keys {i} and {j}: argmax attention has no single answer", ("keys",))
    return top[0]


def _one_hot(k: int, n: int) -> np.ndarray:
    w = np.zeros(n)
    w[k] = 1.0
    return w


# --- scores ------------------------------------------------------------------------------------


@solver(QUERY, KEYS)
def scores(query, keys):
    """Dot-product scores k_i . q, one per key: what every attention variant ranks or weighs keys by."""
    return _scores(query, keys)


# --- hard attention ----------------------------------------------------------------------------


@solver(QUERY, KEYS, VALUES)
def argmax(query, keys, values):
    """Hard attention: the value whose key has the largest dot product with the query."""
    return values[_pick(query, keys)]


@argmax.mistake(
    "key-instead-of-value",
    "This is the key with the highest score; attention uses keys only to choose, and returns the value "
    "stored with that key.",
)
def _argmax_key(query, keys, values):
    return keys[_pick(query, keys)]


@argmax.mistake(
    "scores",
    "These are the scores (one per key); argmax attention goes one step further: pick the key with the "
    "highest score and return its value.",
)
def _argmax_scores(query, keys, values):
    return _scores(query, keys)


@argmax.mistake(
    "one-hot-weights",
    "This is the one-hot weight vector that marks the chosen key; the output is those weights applied to "
    "the values, i.e. the chosen value itself.",
)
def _argmax_one_hot(query, keys, values):
    return _one_hot(_pick(query, keys), len(keys))


@argmax.mistake(
    "soft-attention",
    "This is soft attention: a softmax-weighted average of all values. Argmax attention puts all the "
    "weight on the single best-scoring key, so it returns one value unchanged.",
)
def _argmax_soft(query, keys, values):
    return _softmax(_scores(query, keys)) @ values


@argmax.mistake(
    "off-by-one",
    "This is the value next to the right one: the best-scoring key was found but its position was "
    "miscounted (check whether the rows are numbered from 0 or from 1).",
)
def _argmax_off_by_one(query, keys, values):
    k = _pick(query, keys)
    near = [values[j] for j in (k - 1, k + 1) if 0 <= j < len(values)]
    return near or None


@argmax.mistake(
    "another-value",
    "This is the value of another key, not of the best-scoring one: recompute the score q·k of every key "
    "and take the value of the highest.",
)
def _argmax_another_value(query, keys, values):
    # every other key's value (after off-by-one, which names the neighbours): naming which key wins would give it away
    k = _pick(query, keys)
    return [values[j] for j in range(len(values)) if j != k] or None


@argmax.mistake(
    "index",
    "This is a position (an index of a key), not a value: attention returns the value vector stored "
    "with the best-scoring key.",
)
def _argmax_index(query, keys, values):
    # every index, 0-based or 1-based, not only the right one: naming the right one would give it away
    return [np.float64(i) for i in range(len(keys) + 1)]


# --- soft attention ----------------------------------------------------------------------------


@solver(QUERY, KEYS)
def softmax_weights(query, keys):
    """Soft attention weights: softmax of the scores, positive and summing to 1."""
    return _softmax(_scores(query, keys))


@softmax_weights.mistake(
    "scores",
    "These are the raw scores; attention weights are the softmax of the scores, so they are positive and "
    "sum to 1.",
)
def _softmax_weights_scores(query, keys):
    return _scores(query, keys)


@softmax_weights.mistake(
    "scaled",
    "These are the weights of scaled attention, softmax(q·k/√d_k); this question asks for the softmax of the "
    "plain scores q·k.",
)
def _softmax_weights_scaled(query, keys):
    dk = np.shape(query)[-1]
    return None if dk == 1 else _softmax(_scores(query, keys) / np.sqrt(dk))


@softmax_weights.mistake(
    "argmax-weights",
    "These are hard (one-hot) weights; softmax gives every key some weight, more to higher scores, rather "
    "than all of it to the best one.",
)
def _softmax_weights_one_hot(query, keys):
    return [_one_hot(k, len(keys)) for k in _top_indices(_scores(query, keys))]


@solver(QUERY, KEYS, VALUES)
def soft(query, keys, values):
    """Soft attention: the softmax-weighted average of the values."""
    return _softmax(_scores(query, keys)) @ values


@soft.mistake(
    "argmax",
    "This is hard attention: only the best-scoring value. Soft attention is a weighted average of all the "
    "values, each weighted by the softmax of its score.",
)
def _soft_argmax(query, keys, values):
    return [values[k] for k in _top_indices(_scores(query, keys))]


@soft.mistake(
    "unnormalised",
    "The values were weighted by the raw scores; pass the scores through a softmax first so the weights "
    "are positive and sum to 1.",
)
def _soft_unnormalised(query, keys, values):
    return _scores(query, keys) @ values


@soft.mistake(
    "weights",
    "These are the attention weights; the output is the weighted sum of the values using those weights.",
)
def _soft_weights(query, keys, values):
    return _softmax(_scores(query, keys))


# --- scaled dot-product attention --------------------------------------------------------------

Q = Param("Q", ("m", "dk"), "one query per row")
K = Param("K", ("n", "dk"), "one key per row")
V = Param("V", ("n", "dv"), "one value per row")
MASK = Param("mask", ("m", "n"), "1 where query i may attend to key j, 0 where it is blocked", default=None)


def _allowed(mask: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    return np.ones(shape, dtype=bool) if mask is None else np.asarray(mask) != 0


def _logits(Q: np.ndarray, K: np.ndarray, scale: float, allowed: np.ndarray) -> np.ndarray:
    return np.where(allowed, (Q @ K.T) / scale, -np.inf)


def _attention_weights(Q, K, mask, scale: float | None = None, axis: int = 1) -> np.ndarray | None:
    """Masked softmax of the scaled scores along ``axis``; None if some slice along it is fully blocked."""
    allowed = _allowed(mask, (len(Q), len(K)))
    if not np.all(np.any(allowed, axis=axis)):
        return None
    return _softmax(_logits(Q, K, np.sqrt(Q.shape[1]) if scale is None else scale, allowed), axis=axis)


@solver(Q, K, V, MASK)
def scaled_dot_product(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d_k)) V, with blocked positions removed from the softmax."""
    if mask is not None:
        empty = np.flatnonzero(~np.any(_allowed(mask, (len(Q), len(K))), axis=1))
        if len(empty):
            raise SolverError(
                f"mask row {int(empty[0])} blocks every key: that query has nothing to attend to", ("mask",)
            )
    return _attention_weights(Q, K, mask) @ V


@scaled_dot_product.mistake(
    "unscaled",
    "The scores were not scaled: divide Q K^T by √d_k before the softmax, which keeps the softmax "
    "from saturating when the key dimension is large.",
)
def _sdp_unscaled(Q, K, V, mask=None):
    if Q.shape[1] == 1:
        return None  # sqrt(1) = 1: indistinguishable from the right answer
    w = _attention_weights(Q, K, mask, scale=1.0)
    return None if w is None else w @ V


@scaled_dot_product.mistake(
    "scaled-by-d",
    "The scores were divided by d_k; the scale is √d_k, the standard deviation of a dot product of "
    "two random vectors with unit-variance entries.",
)
def _sdp_scaled_by_d(Q, K, V, mask=None):
    dk = Q.shape[1]
    if dk == 1:
        return None
    w = _attention_weights(Q, K, mask, scale=float(dk))
    return None if w is None else w @ V


@scaled_dot_product.mistake(
    "softmax-over-queries",
    "The softmax was taken along the wrong axis: each query's weights over the keys (a row of Q K^T) "
    "must sum to 1, not each key's weights over the queries.",
)
def _sdp_softmax_over_queries(Q, K, V, mask=None):
    w = _attention_weights(Q, K, mask, axis=0)
    return None if w is None else w @ V


@scaled_dot_product.mistake(
    "mask-ignored",
    "The mask was not applied: blocked positions must get score -inf before the softmax, so they receive "
    "zero weight.",
)
def _sdp_mask_ignored(Q, K, V, mask=None):
    if mask is None or np.all(_allowed(mask, (len(Q), len(K)))):
        return None
    return _attention_weights(Q, K, None) @ V


@scaled_dot_product.mistake(
    "weights",
    "This is the attention weight matrix; the output multiplies those weights by V, giving one weighted "
    "sum of values per query.",
)
def _sdp_weights(Q, K, V, mask=None):
    return _attention_weights(Q, K, mask)
