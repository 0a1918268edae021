"""The minimal gated unit (Zhou et al. 2016, arXiv:1603.09420): one forget gate f plays both GRU gates.

    f_t = sigmoid(W_f x_t + U_f h_{t-1} + b_f)
    n_t = tanh(W_n x_t + U_n (f_t * h_{t-1}) + b_n)
    h_t = (1 - f_t) * h_{t-1} + f_t * n_t
Rows of weight_ih / weight_hh / biases: [f; n].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Array, CellKind, project, diag, diag_mm, mv, register, sigmoid, vm
from .gru import _mask, _overridden


@dataclass
class MGUParams:
    H: int
    W_ih: Array
    b: Array         # (2H,) or (B, 2H)
    U_f: Array
    U_n: Array

    def input_projection(self, x: Array) -> Array:
        return project(x, self.W_ih, self.b)


def prepare(cell) -> MGUParams:
    P, H = cell.params, cell.hidden_size
    W_hh = P["weight_hh"]
    return MGUParams(H=H, W_ih=P["weight_ih"], b=P["bias_ih"] + P["bias_hh"],
                     U_f=W_hh[..., :H, :], U_n=W_hh[..., H:, :])


def forward(p: MGUParams, gx: Array, h_prev: Array, c_prev, ov: dict):
    H = p.H
    f, m_f = _overridden(sigmoid(gx[:, :H] + mv(p.U_f, h_prev)), ov.get("f"))   # forget gate
    n = np.tanh(gx[:, H:] + mv(p.U_n, f * h_prev))                                # candidate
    h = (1.0 - f) * h_prev + f * n                                                # the mix
    return h, None, dict(f=f, n=n, h_prev=h_prev, m_f=m_f)


def backward(p: MGUParams, cache: dict, dh: Array, dc):
    f, n, h_prev = cache["f"], cache["n"], cache["h_prev"]
    da_n = dh * f * (1.0 - n * n)
    d_fh = vm(da_n, p.U_n)
    da_f = (dh * (n - h_prev) + d_fh * h_prev) * f * (1.0 - f) * _mask(cache["m_f"])
    return dh * (1.0 - f) + d_fh * f + vm(da_f, p.U_f), None


def jacobian(p: MGUParams, cache: dict) -> Array:
    f, n, h_prev = cache["f"], cache["n"], cache["h_prev"]
    s_f = f * (1.0 - f) * _mask(cache["m_f"])
    inner = diag(f) + diag_mm(h_prev * s_f, p.U_f)                # d(f * h_prev)/dh_prev
    return (diag(1.0 - f) + diag_mm((n - h_prev) * s_f, p.U_f)
            + diag_mm(f * (1.0 - n * n), np.matmul(p.U_n, inner)))


MGU = register(CellKind(
    name="mgu", title="Minimal gated unit", gates=("f", "n"), ih_blocks=("f", "n"), hh_blocks=("f", "n"),
    bias_blocks=("f", "n"), prepare=prepare, forward=forward, backward=backward, jacobian=jacobian,
    keep_gate="f", keep_sign=-1, overridable=("f",),
    equations=r"""f_t = \sigma(W_f x_t + U_f h_{t-1} + b_f) \\
\tilde h_t = \tanh(W_h x_t + U_h (f_t \odot h_{t-1}) + b_h) \\
h_t = (1 - f_t) \odot h_{t-1} + f_t \odot \tilde h_t""",
))
