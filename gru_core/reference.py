"""Reference steps: each cell's equations, one line per equation, for ONE sequence (no batch axis).

These are what the step-through page shows as "the code of this step" (`gru_core.step_source`). They use PyTorch's
parameter names and gate order (weight_ih rows [W_ir; W_iz; W_in] for the GRU, [W_ii; W_if; W_ig; W_io] for the
LSTM) and each kind's own default convention. The fast path that `record` runs (gru_core/cells/*.py: one fused
matmul, batches, overrides, Jacobians) gives the same numbers; tests/unit/test_reference_step.py pins that to 1e-12.

Shapes: x (I,), h_prev and c_prev (H,); weight_ih (G*H, I), weight_hh (G*H, H), bias_ih and bias_hh (G*H,).
Each function returns h (H,) and a dict of every gate (H,) (the LSTM also returns its cell state c).
"""
from __future__ import annotations

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def gru(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of PyTorch's nn.GRU (gate order r, z, n)."""
    W_ir, W_iz, W_in = np.split(weight_ih, 3)
    W_hr, W_hz, W_hn = np.split(weight_hh, 3)
    b_ir, b_iz, b_in = np.split(bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(bias_hh, 3)
    # reset gate r, update gate z (z: the share of h_prev kept)
    r = sigmoid(W_ir @ x + b_ir + W_hr @ h_prev + b_hr)
    z = sigmoid(W_iz @ x + b_iz + W_hz @ h_prev + b_hz)
    # the candidate n, and the new state h: a mix of n and h_prev
    n = np.tanh(W_in @ x + b_in + r * (W_hn @ h_prev + b_hn))
    h = (1 - z) * n + z * h_prev
    return h, dict(r=r, z=z, n=n)


def rnn(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh, nonlinearity="tanh"):
    """One step of PyTorch's nn.RNN."""
    a = weight_ih @ x + bias_ih + weight_hh @ h_prev + bias_hh
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
    return h, {}


def lstm(x, h_prev, c_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of PyTorch's nn.LSTM (gate order i, f, g, o)."""
    W_ii, W_if, W_ig, W_io = np.split(weight_ih, 4)
    W_hi, W_hf, W_hg, W_ho = np.split(weight_hh, 4)
    b_ii, b_if, b_ig, b_io = np.split(bias_ih, 4)
    b_hi, b_hf, b_hg, b_ho = np.split(bias_hh, 4)
    i = sigmoid(W_ii @ x + b_ii + W_hi @ h_prev + b_hi)         # input gate
    f = sigmoid(W_if @ x + b_if + W_hf @ h_prev + b_hf)         # forget gate: the share of c_prev kept
    g = np.tanh(W_ig @ x + b_ig + W_hg @ h_prev + b_hg)         # candidate cell state
    o = sigmoid(W_io @ x + b_io + W_ho @ h_prev + b_ho)         # output gate
    c = f * c_prev + i * g                                      # new cell state
    h = o * np.tanh(c)                                          # new hidden state
    return h, dict(i=i, f=f, g=g, o=o, c=c)


def mgu(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step of the minimal gated unit (Zhou et al. 2016; rows f, n)."""
    W_if, W_in = np.split(weight_ih, 2)
    W_hf, W_hn = np.split(weight_hh, 2)
    b_if, b_in = np.split(bias_ih, 2)
    b_hf, b_hn = np.split(bias_hh, 2)
    f = sigmoid(W_if @ x + b_if + W_hf @ h_prev + b_hf)         # forget gate: the share of n written
    n = np.tanh(W_in @ x + b_in + W_hn @ (f * h_prev) + b_hn)   # candidate state
    h = (1 - f) * h_prev + f * n                                # new state
    return h, dict(f=f, n=n)


def gru_type1(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """GRU type 1: the gates see h_prev and a bias (rows r, z, n; Wikipedia mixing, reset before the matmul)."""
    W_in = weight_ih                                            # the input feeds only n
    W_hr, W_hz, W_hn = np.split(weight_hh, 3)
    b_ir, b_iz, b_in = np.split(bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(bias_hh, 3)
    r = sigmoid(W_hr @ h_prev + b_ir + b_hr)                    # reset gate
    z = sigmoid(W_hz @ h_prev + b_iz + b_hz)                    # update gate: the share of n written
    n = np.tanh(W_in @ x + b_in + W_hn @ (r * h_prev) + b_hn)   # candidate state
    h = (1 - z) * h_prev + z * n                                # new state
    return h, dict(r=r, z=z, n=n)


def gru_type2(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """GRU type 2: the gates see h_prev only (rows r, z, n of weight_hh; one bias, of n)."""
    W_in = weight_ih                                            # the input feeds only n
    W_hr, W_hz, W_hn = np.split(weight_hh, 3)
    r = sigmoid(W_hr @ h_prev)                                  # reset gate
    z = sigmoid(W_hz @ h_prev)                                  # update gate: the share of n written
    b_in, b_hn = bias_ih, bias_hh                               # the biases of n
    n = np.tanh(W_in @ x + b_in + W_hn @ (r * h_prev) + b_hn)   # candidate state
    h = (1 - z) * h_prev + z * n                                # new state
    return h, dict(r=r, z=z, n=n)


def gru_type3(x, h_prev, weight_ih, weight_hh, bias_ih, bias_hh):
    """GRU type 3: the gates are a bias only, constant over time (rows r, z, n of the biases)."""
    W_in, W_hn = weight_ih, weight_hh                           # x and h_prev feed only n
    b_ir, b_iz, b_in = np.split(bias_ih, 3)
    b_hr, b_hz, b_hn = np.split(bias_hh, 3)
    r = sigmoid(b_ir + b_hr) * np.ones_like(h_prev)             # reset gate
    z = sigmoid(b_iz + b_hz) * np.ones_like(h_prev)             # update gate: the share of n written
    n = np.tanh(W_in @ x + b_in + W_hn @ (r * h_prev) + b_hn)   # candidate state
    h = (1 - z) * h_prev + z * n                                # new state
    return h, dict(r=r, z=z, n=n)


STEPS = dict(gru=gru, rnn=rnn, lstm=lstm, mgu=mgu, gru_type1=gru_type1, gru_type2=gru_type2, gru_type3=gru_type3)
