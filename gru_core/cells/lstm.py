"""The LSTM, PyTorch's nn.LSTM (gate rows i, f, g, o):

    i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o),  a = W_ih x + b_ih + W_hh h_prev + b_hh
    c = f * c_prev + i * g;   h = o * tanh(c)
The state is (h, c); Jacobians are of the full state, (2H, 2H), rows and columns ordered [h; c].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Array, CellKind, project, diag, diag_mm, mv, register, sigmoid, vm


@dataclass
class LSTMParams:
    H: int
    W_ih: Array
    b: Array         # b_ih + b_hh, (4H,) or (B, 4H)
    W_hh: Array      # (4H, H) or (B, 4H, H)

    def input_projection(self, x: Array) -> Array:
        return project(x, self.W_ih, self.b)


def prepare(cell) -> LSTMParams:
    P = cell.params
    return LSTMParams(H=cell.hidden_size, W_ih=P["weight_ih"], b=P["bias_ih"] + P["bias_hh"], W_hh=P["weight_hh"])


def forward(p: LSTMParams, gx: Array, h_prev: Array, c_prev: Array, ov: dict):
    H = p.H
    a = gx + mv(p.W_hh, h_prev)
    i = sigmoid(a[:, :H])                  # input gate
    f = sigmoid(a[:, H:2 * H])             # forget gate
    g = np.tanh(a[:, 2 * H:3 * H])         # candidate
    o = sigmoid(a[:, 3 * H:])              # output gate
    c = f * c_prev + i * g                 # cell state
    tc = np.tanh(c)
    h = o * tc
    return h, c, dict(i=i, f=f, g=g, o=o, c=c, tc=tc, c_prev=c_prev)


def backward(p: LSTMParams, cache: dict, dh: Array, dc: Array):
    i, f, g, o, tc, c_prev = cache["i"], cache["f"], cache["g"], cache["o"], cache["tc"], cache["c_prev"]
    dc = dc + dh * o * (1.0 - tc * tc)
    da = np.concatenate([dc * g * i * (1.0 - i),           # a_i
                         dc * c_prev * f * (1.0 - f),      # a_f
                         dc * i * (1.0 - g * g),           # a_g
                         dh * tc * o * (1.0 - o)], axis=1)  # a_o
    return vm(da, p.W_hh), dc * f


def jacobian(p: LSTMParams, cache: dict) -> Array:
    """d(h_t, c_t)/d(h_{t-1}, c_{t-1}), (..., B, 2H, 2H)."""
    H = p.H
    i, f, g, o, tc, c_prev = cache["i"], cache["f"], cache["g"], cache["o"], cache["tc"], cache["c_prev"]
    U = [p.W_hh[..., k * H:(k + 1) * H, :] for k in range(4)]
    dc_dh = diag_mm(g * i * (1 - i), U[0]) + diag_mm(c_prev * f * (1 - f), U[1]) + diag_mm(i * (1 - g * g), U[2])
    dc_dc = diag(f)
    s = o * (1.0 - tc * tc)
    dh_dh = diag_mm(tc * o * (1 - o), U[3]) + s[..., :, None] * dc_dh
    dh_dc = diag(s * f)
    top = np.concatenate([dh_dh, dh_dc], axis=-1)
    bottom = np.concatenate([dc_dh, dc_dc], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


LSTM = register(CellKind(
    name="lstm", title="LSTM", gates=("i", "f", "g", "o", "c"), ih_blocks=("i", "f", "g", "o"),
    hh_blocks=("i", "f", "g", "o"), bias_blocks=("i", "f", "g", "o"),
    prepare=prepare, forward=forward, backward=backward, jacobian=jacobian,
    keep_gate="f", keep_sign=1, n_state=2, torch_name="LSTM",
    equations=r"""i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
c_t = f_t \odot c_{t-1} + i_t \odot g_t \\ h_t = o_t \odot \tanh(c_t)""",
))
