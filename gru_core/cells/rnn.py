"""The vanilla (Elman) RNN, PyTorch's nn.RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)  (or ReLU)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Array, CellKind, RowScaled, project, row_scaled, diag_mm, mv, register, vm


@dataclass
class RNNParams:
    H: int
    relu: bool
    W_ih: Array      # (H, I) or (B, H, I)
    b: Array         # (H,) or (B, H): b_ih + b_hh
    W_hh: Array      # (H, H) or (B, H, H)
    W_hh_mv: Array | RowScaled   # the same, for the products of the forward and backward passes

    def input_projection(self, x: Array) -> Array:
        """x (T, B, I) -> W_ih x_t + b_ih + b_hh, (T, B, H)."""
        return project(x, self.W_ih, self.b)


def prepare(cell) -> RNNParams:
    P = cell.params
    return RNNParams(H=cell.hidden_size, relu=cell.options.get("nonlinearity", "tanh") == "relu",
                     W_ih=P["weight_ih"], b=P["bias_ih"] + P["bias_hh"], W_hh=P["weight_hh"],
                     W_hh_mv=row_scaled(P["weight_hh"]))


def forward(p: RNNParams, gx: Array, h_prev: Array, c_prev, ov: dict):
    """One step. gx (B, H), h_prev (B, H) -> h (B, H)."""
    a = gx + mv(p.W_hh_mv, h_prev)                               # pre-activation
    h = np.maximum(a, 0.0) if p.relu else np.tanh(a)
    slope = (a > 0).astype(a.dtype) if p.relu else 1.0 - h * h  # f'(a)
    return h, None, dict(slope=slope)


def backward(p: RNNParams, cache: dict, dh: Array, dc):
    return vm(dh * cache["slope"], p.W_hh_mv), None               # dL/dh_prev = W_hh^T (f'(a) * dL/dh)


def jacobian(p: RNNParams, cache: dict) -> Array:
    return diag_mm(cache["slope"], p.W_hh)                     # diag(f'(a_t)) W_hh


RNN = register(CellKind(
    name="rnn", title="RNN (tanh)", gates=(), ih_blocks=("h",), hh_blocks=("h",), bias_blocks=("h",),
    prepare=prepare, forward=forward, backward=backward, jacobian=jacobian,
    defaults=dict(nonlinearity="tanh"), torch_name="RNN",
    equations=r"h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})",
))
