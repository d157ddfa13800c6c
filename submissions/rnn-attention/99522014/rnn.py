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
    for t in range(len(x)):
        prime_t = hs[t] * (1 - hs[t])          # sigma'(z_t), used for every step i of J_t's sum
        g = hs[t] - targets[t]                 # dJ_t/dh_t
        for i in range(t, -1, -1):
            grad += np.outer(g * prime_t, prev[i])
            g = W_hh.T @ (g * hs[i] * (1 - hs[i]))
    return grad
