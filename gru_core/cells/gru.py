"""The GRU family: PyTorch's GRU and the variants of the reference (types 1-3) share these step functions.

PyTorch / Cho et al. 2014 mixing (mix="torch", the lab's default):  h = (1 - z) * n + z * h_prev
Chung et al. 2014 / Wikipedia mixing (mix="wiki"):                   h = (1 - z) * h_prev + z * n
so z_wiki = 1 - z_torch. Reset after the matmul (reset="after", PyTorch): n = tanh(gx_n + r * (W_hn h_prev + b_hn));
reset before (reset="before", Cho 2014 / Keras reset_after=False): n = tanh(gx_n + W_hn (r * h_prev) + b_hn).
The two mixings are the same model up to relabelling z; the two reset placements are different models.

Variants differ only in what feeds the gates r and z (x, h_prev, a bias): see gru_type1.py .. gru_type3.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Array, CellKind, RowScaled, project, row_scaled, diag, diag_mm, entries, mv, register, rows, sigmoid, vm


@dataclass
class GRUParams:
    """A GRU's weights cut into the blocks the step equations use. U_* may carry a leading batch axis."""

    H: int
    keep_sign: int            # +1: h = (1-z) n + z h_prev (torch);  -1: h = (1-z) h_prev + z n (wiki)
    reset_after: bool
    W_ih: Array               # (R, I) or (B, R, I), rows = ih_blocks
    ih_blocks: tuple
    b_x: Array                # (3H,) or (B, 3H): biases added outside the reset, blocks r, z, n
    U_r: Array | None         # (H, H) or (B, H, H); None if the gates do not see h_prev
    U_z: Array | None
    U_n: Array
    U_hh: Array | RowScaled | None  # all of weight_hh (3H, H) when the gates see h_prev and the reset comes after
    b_hn: Array               # (H,) or (B, H): the hidden bias of n (inside r * (...) when reset_after, else 0)

    def input_projection(self, x: Array) -> Array:
        """x (T, B, I) -> gx (T, B, 3H): input-side pre-activations of r, z, n (zero where a gate ignores x)."""
        if self.ih_blocks == ("r", "z", "n"):
            return project(x, self.W_ih, self.b_x)
        wx = project(x, self.W_ih)
        H = self.H
        gx = np.zeros(wx.shape[:2] + (3 * H,), dtype=x.dtype)
        for k, name in enumerate(self.ih_blocks):
            j = "rzn".index(name)
            gx[..., j * H:(j + 1) * H] = wx[..., k * H:(k + 1) * H]
        return gx + self.b_x


def _pad(b: Array, blocks: tuple, H: int) -> Array:
    """A bias with row blocks `blocks` as a full (.., 3H) vector in r, z, n order (zeros where absent)."""
    out = np.zeros(b.shape[:-1] + (3 * H,), dtype=b.dtype)
    for name in blocks:
        j = "rzn".index(name)
        out[..., j * H:(j + 1) * H] = entries(b, blocks, name, H)
    return out


def make_prepare(kind_name: str):
    def prepare(cell) -> GRUParams:
        kind, H, P = cell.spec, cell.hidden_size, cell.params
        mix, reset = cell.options.get("mix", "torch"), cell.options.get("reset", "after")
        b_ih = _pad(P["bias_ih"], kind.bias_blocks, H)
        b_hh = _pad(P["bias_hh"], kind.bias_blocks, H)
        gated_h = "r" in kind.hh_blocks
        W_hh = P["weight_hh"]
        b_hn = b_hh[..., 2 * H:] if reset == "after" else np.zeros_like(b_hh[..., 2 * H:])
        b_x = b_ih + b_hh
        if reset == "after":
            b_x = b_x.copy()
            b_x[..., 2 * H:] = b_ih[..., 2 * H:]          # b_hn stays inside r * (W_hn h + b_hn)
        return GRUParams(
            H=H, keep_sign=1 if mix == "torch" else -1, reset_after=reset == "after",
            W_ih=P["weight_ih"], ih_blocks=kind.ih_blocks, b_x=b_x,
            U_r=rows(W_hh, kind.hh_blocks, "r", H) if gated_h else None,
            U_z=rows(W_hh, kind.hh_blocks, "z", H) if gated_h else None,
            U_n=rows(W_hh, kind.hh_blocks, "n", H), b_hn=b_hn,
            U_hh=row_scaled(W_hh) if gated_h and reset == "after" else None,
        )
    return prepare


def _overridden(gate: Array, ov: Array | None) -> tuple[Array, Array | None]:
    """Apply an override (NaN = free): returns the gate and the mask of entries that still depend on their input
    (None: nothing overridden)."""
    if ov is None:
        return gate, None
    free = np.isnan(ov)
    return np.where(free, gate, ov), free.astype(gate.dtype)


def _mask(m):
    return 1.0 if m is None else m


def forward(p: GRUParams, gx: Array, h_prev: Array, c_prev, ov: dict):
    """One GRU step. gx (B, 3H), h_prev (B, H) -> h (B, H), None, cache of every gate and intermediate."""
    H = p.H
    if p.U_hh is not None:                                              # one matmul for every block: W_hh h_prev
        gh = mv(p.U_hh, h_prev)
        rz = sigmoid(gx[:, :2 * H] + gh[:, :2 * H])                      # reset and update gates together
    elif p.U_r is not None:
        rz = sigmoid(gx[:, :2 * H] + np.concatenate([mv(p.U_r, h_prev), mv(p.U_z, h_prev)], axis=-1))
    else:
        rz = sigmoid(gx[:, :2 * H])
    r, m_r = _overridden(rz[:, :H], ov.get("r"))                         # reset gate
    z, m_z = _overridden(rz[:, H:], ov.get("z"))                         # update gate
    if p.reset_after:
        hn = (gh[:, 2 * H:] if p.U_hh is not None else mv(p.U_n, h_prev)) + p.b_hn
        n = np.tanh(gx[:, 2 * H:] + r * hn)                              # candidate, reset after the matmul
    else:
        hn = None
        n = np.tanh(gx[:, 2 * H:] + mv(p.U_n, r * h_prev))               # candidate, reset before the matmul
    k = z if p.keep_sign > 0 else 1.0 - z                                # share of the old state kept
    h = (1.0 - k) * n + k * h_prev                                       # the mix
    cache = dict(r=r, z=z, n=n, h_prev=h_prev, hn=hn, k=k, m_r=m_r, m_z=m_z)
    return h, None, cache


def backward(p: GRUParams, cache: dict, dh: Array, dc):
    """Vector-Jacobian product of one step: dL/dh (B, H) -> dL/dh_prev (B, H)."""
    r, z, n, h_prev, k = cache["r"], cache["z"], cache["n"], cache["h_prev"], cache["k"]
    dk = dh * (h_prev - n)                                                 # dL/dk, k = z (torch) or 1 - z (wiki)
    da_z = (dk if p.keep_sign > 0 else -dk) * (z * (1.0 - z))              # through z
    da_n = dh * (1.0 - k) * (1.0 - n * n)                                  # through n
    if p.reset_after:
        da_r = da_n * cache["hn"] * (r * (1.0 - r))                        # through r
        d_hn = da_n * r
    else:
        d_rh = vm(da_n, p.U_n)
        da_r = d_rh * h_prev * (r * (1.0 - r))
    if cache["m_r"] is not None:                                           # overridden gates are constants
        da_r = da_r * cache["m_r"]
    if cache["m_z"] is not None:
        da_z = da_z * cache["m_z"]
    if p.U_hh is not None:                                                 # one matmul: W_hh^T [da_r; da_z; d_hn]
        return dh * k + vm(np.concatenate([da_r, da_z, d_hn], axis=-1), p.U_hh), None
    dh_prev = dh * k + (vm(d_hn, p.U_n) if p.reset_after else d_rh * r)
    if p.U_r is not None:
        dh_prev = dh_prev + vm(da_r, p.U_r) + vm(da_z, p.U_z)
    return dh_prev, None


def _weight_paths(p: GRUParams, cache: dict) -> Array:
    """The part of dh_t/dh_{t-1} (..., B, H, H) that goes through W_hr, W_hz, W_hn."""
    r, z, n, h_prev, k = cache["r"], cache["z"], cache["n"], cache["h_prev"], cache["k"]
    c_n = (1.0 - k) * (1.0 - n * n)                                      # dh/da_n
    s_r = r * (1.0 - r) * _mask(cache["m_r"])
    if p.reset_after:
        weights = diag_mm(c_n * r, p.U_n)
        if p.U_r is not None:
            weights += diag_mm(c_n * cache["hn"] * s_r, p.U_r)
    else:
        inner = diag(r)
        if p.U_r is not None:
            inner = inner + diag_mm(h_prev * s_r, p.U_r)
        weights = diag_mm(c_n, np.matmul(p.U_n, inner))
    if p.U_z is not None:
        weights += diag_mm((h_prev - n) * p.keep_sign * z * (1.0 - z) * _mask(cache["m_z"]), p.U_z)
    return weights


def jacobian_split(p: GRUParams, cache: dict) -> tuple[Array, Array]:
    """dh_t/dh_{t-1} (..., B, H, H) split into the direct path diag(k_t) and the path through the weights."""
    return diag(cache["k"]), _weight_paths(p, cache)


def jacobian(p: GRUParams, cache: dict) -> Array:
    """dh_t/dh_{t-1} = diag(k_t) + the weight paths, (..., B, H, H)."""
    J = _weight_paths(p, cache)
    idx = np.arange(p.H)
    J[..., idx, idx] += cache["k"]                                      # + diag(k_t), on the diagonal only
    return J


def gru_kind(name: str, title: str, gates_see: str, mix: str, reset: str, equations: str) -> CellKind:
    """A member of the GRU family whose gates r and z see `gates_see` (a subset of "xhb": input, h_prev, bias)."""
    gate_blocks = ("r", "z")
    return CellKind(
        name=name, title=title, gates=("r", "z", "n"),
        ih_blocks=(gate_blocks if "x" in gates_see else ()) + ("n",),
        hh_blocks=(gate_blocks if "h" in gates_see else ()) + ("n",),
        bias_blocks=(gate_blocks if "b" in gates_see else ()) + ("n",),
        prepare=make_prepare(name), forward=forward, backward=backward, jacobian=jacobian,
        jacobian_split=jacobian_split, keep_gate="z", keep_sign=1 if mix == "torch" else -1,
        overridable=("r", "z"), defaults=dict(mix=mix, reset=reset),
        torch_name="GRU" if name == "gru" else None, equations=equations,
    )


GRU = register(gru_kind(
    "gru", "GRU (PyTorch)", "xhb", mix="torch", reset="after",
    equations=r"""r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}""",
))
