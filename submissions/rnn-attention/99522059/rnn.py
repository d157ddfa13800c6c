"""A vanilla RNN in numpy: forward pass and BPTT for dJ/dW_hh."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def rnn_forward(W_hh, W_hx, x, h0):
    """Hidden states h_1..h_T, one per row."""
    h = h0
    states = []
    for x_t in x:
        h = sigmoid(W_hh @ h + W_hx @ x_t)
        states.append(h)
    return np.array(states)


def rnn_bptt_whh(W_hh, W_hx, x, h0, targets):
    """dJ/dW_hh for J = 1/2 sum_t ||h_t - y_t||^2."""
    hs = rnn_forward(W_hh, W_hx, x, h0)
    prev = np.vstack([h0[None, :], hs[:-1]])
    grad = np.zeros_like(W_hh)
    carry = np.zeros_like(h0)
    for t in reversed(range(len(x))):
        err = hs[t] - targets[t] if t == len(x) - 1 else 0.0  # only J_T
        delta = hs[t] * (1 - hs[t]) * (err + carry)
        grad += np.outer(delta, prev[t])
        carry = W_hh.T @ delta
    return grad
