"""Trainable layers for every cell kind: torch modules whose backward pass is the engine's hand-derived BPTT.

    layer = gru_core.layer("mgu", input_size=6, hidden_size=32, seed=0)     # any kind in gru_core.CELL_KINDS
    out, h_T = layer(x)                  # x (T, B, I) -> out (T, B, H), h_T (1, B, H), like nn.GRU
    out, (h_T, c_T) = gru_core.layer("lstm", 6, 32)(x)                      # like nn.LSTM
    gru_core.parameter_count("gru", 1, 64)                                  # 12864

Parameters carry PyTorch's names (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`) and gate order, so
`layer("gru", I, H).load_state_dict(nn.GRU(I, H).state_dict())` works (likewise nn.LSTM, nn.RNN); the variants keep
only the row blocks their gates use (gru_core/cells/). The time loop is a custom `torch.autograd.Function`: the
forward pass runs the cell's equations (the engine's `prepare` and `input_projection`, then a compiled loop in
gru_core/kernels.py), the backward pass runs BPTT for dL/dh step by step and then forms every weight gradient in a
few large matrix products over all steps at once. float32 and float64; CPU tensors.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from . import kernels as K
from . import validate as V
from .cell import CELL_KINDS, PARAM_NAMES, Cell, make_cell
from .cells import REGISTRY

GATE_ORDER = {"rnn": ("h",), "lstm": ("i", "f", "g", "o"), "mgu": ("f", "n"), "gru": ("r", "z", "n")}


def family(kind: str) -> str:
    """The kernel family of a kind: rnn, lstm, mgu, or gru (the GRU and its types 1-3)."""
    return kind if kind in ("rnn", "lstm", "mgu") else "gru"


def parameter_count(kind: str, input_size: int, hidden_size: int) -> int:
    """Trainable parameters of one layer: G_ih*H*I + G_hh*H*H + 2*G_b*H, where G_* are the numbers of row blocks of
    weight_ih, weight_hh and each of the two bias vectors (GRU: 3, 3, 3; LSTM: 4, 4, 4; RNN: 1, 1, 1)."""
    spec = REGISTRY[V.one_of("kind", kind, CELL_KINDS)]
    I = V.int_in("input_size", input_size, 1, V.MAX_INPUT)
    H = V.int_in("hidden_size", hidden_size, 1, V.MAX_HIDDEN)
    return H * (len(spec.ih_blocks) * I + len(spec.hh_blocks) * H + 2 * len(spec.bias_blocks))


def multiply_adds(kind: str, input_size: int, hidden_size: int) -> int:
    """Multiply-adds of one forward step for one sequence: the two matrix-vector products, G_ih*H*I + G_hh*H*H
    (the element-wise gate arithmetic, O(H), is left out)."""
    spec = REGISTRY[V.one_of("kind", kind, CELL_KINDS)]
    I, H = int(input_size), int(hidden_size)
    return H * (len(spec.ih_blocks) * I + len(spec.hh_blocks) * H)


def _c(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a)


# One (forward, backward) pair per family. forward(p, gx, h0, c0) -> hs (T+1, B, H), cs or None, saved;
# backward(p, saved, gout, dhT, dcT) -> dgx (T, B, G*H), dgh (T, B, G*H), {hh block: its input (T, B, H)}, dh0, dc0.
# dgx / dgh: gradients of the input-side / recurrent-side pre-activations of each gate, in GATE_ORDER.
def _rnn_forward(p, gx, h0, c0):
    hs = K.rnn_forward(gx, _c(p.W_hh.T), h0, p.relu)
    return hs, None, hs


def _rnn_backward(p, hs, gout, dhT, dcT):
    da, dh0 = K.rnn_backward(gout, dhT, hs, _c(p.W_hh), p.relu)
    return da, da, {"h": hs[:-1]}, dh0, None


def _lstm_forward(p, gx, h0, c0):
    hs, cs, gates, tc = K.lstm_forward(gx, _c(p.W_hh.T), h0, c0)
    return hs, cs, (hs, cs, gates, tc)


def _lstm_backward(p, saved, gout, dhT, dcT):
    hs, cs, gates, tc = saved
    da, dh0, dc0 = K.lstm_backward(gout, dhT, dcT, cs, gates, tc, _c(p.W_hh))
    return da, da, dict.fromkeys("ifgo", hs[:-1]), dh0, dc0


def _gru_weights(p, dtype):
    """(W_h, W_n): the recurrent rows that multiply h_prev itself (r, z and, after the reset, n) and W_hn."""
    blocks = ([p.U_r, p.U_z] if p.U_r is not None else []) + ([p.U_n] if p.reset_after else [])
    return (np.concatenate(blocks) if blocks else np.zeros((0, p.H), dtype)), p.U_n


def _gru_forward(p, gx, h0, c0):
    W_h, W_n = _gru_weights(p, gx.dtype)
    hs, rz, n, u = K.gru_forward(gx, _c(W_h.T), _c(W_n.T), _c(p.b_hn), h0, p.reset_after, p.keep_sign < 0)
    return hs, None, (hs, rz, n, u, W_h)


def _gru_backward(p, saved, gout, dhT, dcT):
    hs, rz, n, u, W_h = saved
    dgx, dgh, dh0 = K.gru_backward(gout, dhT, hs, rz, n, u, _c(W_h), _c(p.U_n), p.reset_after, p.keep_sign < 0)
    h_prev = hs[:-1]
    return dgx, dgh, {"r": h_prev, "z": h_prev, "n": h_prev if p.reset_after else u}, dh0, None


def _mgu_forward(p, gx, h0, c0):
    hs, f, n, u = K.mgu_forward(gx, _c(p.U_f.T), _c(p.U_n.T), h0)
    return hs, None, (hs, f, n, u)


def _mgu_backward(p, saved, gout, dhT, dcT):
    hs, f, n, u = saved
    da, dh0 = K.mgu_backward(gout, dhT, hs, f, n, _c(p.U_f), _c(p.U_n))
    return da, da, {"f": hs[:-1], "n": u}, dh0, None


FAMILIES = {"rnn": (_rnn_forward, _rnn_backward), "lstm": (_lstm_forward, _lstm_backward),
            "gru": (_gru_forward, _gru_backward), "mgu": (_mgu_forward, _mgu_backward)}


def _blocks(a: np.ndarray, order: tuple, blocks: tuple, H: int) -> np.ndarray:
    """The columns of row blocks `blocks` of a (N, len(order)*H) array."""
    if blocks == order:
        return a
    return np.concatenate([a[:, order.index(b) * H:(order.index(b) + 1) * H] for b in blocks], axis=1)


def param_grads(kind: str, x: np.ndarray, W_ih: np.ndarray, dgx, dgh, inputs: dict, need_dx: bool = True):
    """dx (T, B, I) and the gradients of weight_ih, weight_hh, bias_ih, bias_hh from every step's pre-activation
    gradients, as a few (T*B)-long matrix products: dW_ih = sum_t dgx_t^T x_t, dW_hh = sum_t dgh_t^T u_t (u_t the
    block's recurrent input, h_{t-1} or a gated h_{t-1}), db = sum_t dg_t (dx is None unless need_dx)."""
    spec, H = REGISTRY[kind], W_ih.shape[0] // len(REGISTRY[kind].ih_blocks)
    order = GATE_ORDER[family(kind)]
    T, B, I = x.shape
    gx2, gh2 = dgx.reshape(T * B, -1), dgh.reshape(T * B, -1)
    g_ih = _blocks(gx2, order, spec.ih_blocks, H)
    dW_ih = g_ih.T @ x.reshape(T * B, I)
    dx = (g_ih @ W_ih).reshape(T, B, I) if need_dx else None
    rows, groups = [], []                       # hh blocks that share an input: one product for all of them
    for b in spec.hh_blocks:
        if groups and inputs[groups[-1][0]] is inputs[b]:
            groups[-1].append(b)
        else:
            groups.append([b])
    for g in groups:
        rows.append(_blocks(gh2, order, tuple(g), H).T @ inputs[g[0]].reshape(T * B, H))
    ones = np.ones(T * B, dtype=x.dtype)                 # sums over all steps as one BLAS product each
    db_ih = ones @ _blocks(gx2, order, spec.bias_blocks, H)
    db_hh = ones @ _blocks(gh2, order, spec.bias_blocks, H)
    return dx, dW_ih, rows[0] if len(rows) == 1 else np.concatenate(rows, axis=0), db_ih, db_hh


class Recurrence(torch.autograd.Function):
    """out, h_T, c_T = Recurrence.apply(kind, options, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh) with
    x (T, B, I), h0 / c0 (B, H) (c0 and c_T used by the LSTM only); gradients by the engine's BPTT."""

    @staticmethod
    def forward(ctx, kind, options, x, h0, c0, *params):
        xs, h0n, c0n = (_c(t.detach().numpy()) for t in (x, h0, c0))
        P = dict(zip(PARAM_NAMES, (t.detach().numpy() for t in params)))
        cell = Cell(kind, xs.shape[2], h0n.shape[1], P, dict(options))
        p = cell.spec.prepare(cell)
        run, _ = FAMILIES[family(kind)]
        hs, cs, saved = run(p, _c(p.input_projection(xs)), h0n, c0n)
        ctx.state = (kind, p, saved, xs, P["weight_ih"])
        c_T = torch.from_numpy(cs[-1].copy()) if cs is not None else x.new_zeros(0)
        if cs is None:
            ctx.mark_non_differentiable(c_T)
        return torch.from_numpy(hs[1:]), torch.from_numpy(hs[-1].copy()), c_T

    @staticmethod
    def backward(ctx, g_out, g_hT, g_cT):
        kind, p, saved, xs, W_ih = ctx.state
        _, back = FAMILIES[family(kind)]
        dcT = _c(g_cT.numpy()) if kind == "lstm" else None
        dgx, dgh, inputs, dh0, dc0 = back(p, saved, _c(g_out.numpy()), _c(g_hT.numpy()), dcT)
        dx, *dparams = param_grads(kind, xs, W_ih, dgx, dgh, inputs, need_dx=ctx.needs_input_grad[2])
        dx = torch.from_numpy(dx) if dx is not None else None
        dc0 = torch.from_numpy(dc0) if dc0 is not None else None
        return (None, None, dx, torch.from_numpy(dh0), dc0,
                *(torch.from_numpy(_c(g)) for g in dparams))


class Layer(torch.nn.Module):
    """One recurrent layer of `kind` (one direction, batch_first=False). See the module docstring."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, seed: int | None = None,
                 dtype: torch.dtype = torch.float32, **init):
        super().__init__()
        cell = make_cell(kind, input_size, hidden_size, seed=0 if seed is None else seed, **init)
        self.kind, self.input_size, self.hidden_size = kind, cell.input_size, cell.hidden_size
        self.options = dict(cell.options)
        for name in PARAM_NAMES:
            self.register_parameter(name + "_l0", torch.nn.Parameter(torch.tensor(cell.params[name], dtype=dtype)))
        if seed is None and not init:
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init from torch's random stream: every parameter U(-1/sqrt(H), 1/sqrt(H)), in nn.GRU's order,
        so after the same torch.manual_seed a GRU / LSTM / RNN layer holds exactly nn.GRU's / nn.LSTM's / nn.RNN's
        numbers."""
        k = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            torch.nn.init.uniform_(weight, -k, k)

    def extra_repr(self) -> str:
        return f"{self.kind}, {self.input_size}, {self.hidden_size}"

    def _initial(self, h0, B: int, batched: bool):
        """(h0, c0) as (B, H) tensors from nn.GRU-style h0 (1, B, H) ((1, H) unbatched) or nn.LSTM's (h0, c0)."""
        W = self.weight_hh_l0
        zeros = W.new_zeros(B, self.hidden_size)
        if h0 is None:
            return zeros, zeros
        h, c = h0 if self.kind == "lstm" else (h0, None)
        want = (1, B, self.hidden_size) if batched else (1, self.hidden_size)
        for name, v in (("h0", h), ("c0", c)):
            if v is not None and tuple(v.shape) != want:
                raise V.bad(name, tuple(v.shape), f"shape {want}")
        h = h.reshape(B, -1).to(W.dtype)
        return h, zeros if c is None else c.reshape(B, -1).to(W.dtype)

    def forward(self, x: torch.Tensor, h0=None):
        """x (T, B, I) or unbatched (T, I) -> out (T, B, H), h_T (1, B, H) (LSTM: (h_T, c_T))."""
        if x.dim() not in (2, 3) or x.shape[-1] != self.input_size or x.shape[0] < 1:
            raise V.bad("x.shape", tuple(x.shape), f"(T, B, {self.input_size}) or (T, {self.input_size}), T >= 1")
        batched = x.dim() == 3
        x = (x if batched else x.unsqueeze(1)).to(self.weight_hh_l0.dtype)
        h, c = self._initial(h0, x.shape[1], batched)
        params = [getattr(self, n + "_l0") for n in PARAM_NAMES]
        out, h_T, c_T = Recurrence.apply(self.kind, tuple(self.options.items()), x, h, c, *params)
        if not batched:
            out, h_T, c_T = out[:, 0], h_T[0], c_T[0] if c_T.numel() else c_T
        state = (h_T.unsqueeze(0), c_T.unsqueeze(0)) if self.kind == "lstm" else h_T.unsqueeze(0)
        return out, state

    def to_cell(self) -> Cell:
        """The engine's cell (float64) holding this layer's weights: record / Jacobians / analysis of it."""
        P = {n: getattr(self, n + "_l0").detach().double().numpy().copy() for n in PARAM_NAMES}
        return Cell(self.kind, self.input_size, self.hidden_size, P, dict(self.options))


def layer(kind: str, input_size: int, hidden_size: int, seed: int | None = None, **init) -> Layer:
    """A trainable layer of `kind` (see gru_core.CELL_KINDS), float32 unless dtype=torch.float64 is given.

    seed=None and no init keywords: PyTorch's own init from torch's random stream (the numbers of nn.GRU /
    nn.LSTM / nn.RNN after the same torch.manual_seed). Otherwise the engine's seeded init, the same numbers as
    `gru_core.make_cell(kind, input_size, hidden_size, seed=seed, **init)` (init, scale, update_bias, chrono, ...)."""
    return Layer(kind, input_size, hidden_size, seed=seed, **init)


def from_cell(cell: Cell, dtype: torch.dtype = torch.float32) -> Layer:
    """A trainable layer holding an engine cell's weights and options (e.g. ``gru_core.CellSpec(...).make()``)."""
    m = Layer(cell.kind, cell.input_size, cell.hidden_size, seed=0, dtype=dtype)
    m.options = dict(cell.options)
    with torch.no_grad():
        for name in PARAM_NAMES:
            getattr(m, name + "_l0").copy_(torch.from_numpy(np.asarray(cell.params[name])))
    return m


def warm_up() -> None:
    """Compile (or load from numba's on-disk cache) every kernel for float32 and float64 with a tiny run, so a page
    or a training run never waits for the compiler. Takes well under a second once the cache exists."""
    for dtype in (torch.float32, torch.float64):
        for kind in CELL_KINDS:
            m = Layer(kind, 1, 2, seed=0, dtype=dtype)
            out, _ = m(torch.zeros(2, 1, 1, dtype=dtype))
            out.sum().backward()
