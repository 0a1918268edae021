"""Recording a run: every gate, every hidden state, exact dL/dh_t by hand-derived BPTT, Jacobians on demand."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import validate as V
from .cell import Cell
from .linalg import spectral_norm, vector_norm

LOSSES = ("last", "all")


@dataclass
class Trace:
    """A recorded run of `cell` over x. Shapes: T steps, B batch, H hidden, I input; S = H (2H for the LSTM).

    h (T, B, H) h_1..h_T; h0 (B, H); gates[name] (T, B, H) (LSTM: also "c", the cell state); grad_h (T, B, H) the
    total dL/dh_t; grad_h0 (B, H) dL/dh_0; loss (B,); nonfinite_from (B,) the first step index whose h is not finite
    (-1: all finite). jacobian_norm (T, B), step_jacobians (T, B, S, S) and jacobian_split (GRU family) are
    computed on first access."""

    kind: str
    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray
    gates: dict[str, np.ndarray]
    grad_h: np.ndarray
    grad_h0: np.ndarray
    loss: np.ndarray
    loss_name: str
    nonfinite_from: np.ndarray
    cell: Cell = field(repr=False)
    _params: object = field(repr=False)
    _caches: list = field(repr=False)

    @property
    def steps(self) -> int:
        return self.h.shape[0]

    @property
    def finite(self) -> bool:
        """True when every h_t and every dL/dh_t is finite."""
        return bool(np.all(self.nonfinite_from < 0) and np.all(np.isfinite(self.grad_h)))

    @property
    def grad_norm(self) -> np.ndarray:
        """||dL/dh_t||_2, (T, B), without underflow (see `vector_norm`)."""
        return vector_norm(self.grad_h)

    @cached_property
    def _stacked_caches(self) -> dict:
        """The per-step caches as arrays with a leading step axis (T, B, H) (None / scalars kept as they are)."""
        first = self._caches[0]
        return {k: (v if v is None or np.isscalar(v) else np.stack([c[k] for c in self._caches]))
                for k, v in first.items()}

    def _jacobians(self, t0: int, t1: int) -> np.ndarray:
        """Step Jacobians of steps t0..t1-1, (t1 - t0, B, S, S), built in one vectorised call."""
        block = {k: (v if v is None or np.isscalar(v) else v[t0:t1]) for k, v in self._stacked_caches.items()}
        with np.errstate(all="ignore"):
            return self.cell.spec.jacobian(self._params, block)

    def _require_room(self, what: str) -> None:
        """Refuse a full (T, B, S, S) stack of Jacobians beyond the size limit (jacobian_norm works in blocks)."""
        T, B = self.h.shape[:2]
        S = self.cell.hidden_size * self.cell.spec.n_state
        if T * B * S * S > V.MAX_ELEMENTS:
            raise V.bad(what, f"T*B*S*S = {T}*{B}*{S}*{S}",
                        f"at most {V.MAX_ELEMENTS:,} values; use jacobian_norm, which works in blocks")

    @cached_property
    def step_jacobians(self) -> np.ndarray:
        """dstate_t/dstate_{t-1} for t = 1..T, (T, B, S, S) (entry 0 is dh_1/dh_0)."""
        self._require_room("step_jacobians")
        return self._jacobians(0, self.steps)

    @cached_property
    def jacobian_split(self) -> dict[str, np.ndarray]:
        """GRU family: the step Jacobians split into "direct" = diag(k_t) (k = z with PyTorch mixing, the share of
        h_{t-1} kept) and "weights" = the paths through W_hr, W_hz, W_hn; each (T, B, H, H)."""
        split = self.cell.spec.jacobian_split
        if split is None:
            raise ValueError(f"jacobian_split: got a {self.kind!r} trace; allowed: the GRU family")
        self._require_room("jacobian_split")
        with np.errstate(all="ignore"):
            direct, weights = split(self._params, self._stacked_caches)
        return dict(direct=direct, weights=weights)

    @cached_property
    def jacobian_norm(self) -> np.ndarray:
        """||dh_T/dh_t||_2 for t = 1..T (largest singular value of J_T ... J_{t+1}), (T, B); the last entry is 1.
        For the LSTM the state is (h, c). NaN (undefined) for a batch row whose forward pass overflowed; inf where
        the product itself overflows."""
        T, B = self.h.shape[:2]
        S = self.cell.hidden_size * self.cell.spec.n_state
        # Step Jacobians are built a few steps at a time (a block that stays in the CPU cache); the products are
        # kept until one batched top-singular-value call, or handed over block by block when they would not fit.
        steps_per_block = max(1, 2 ** 15 // (B * S * S))
        keep_all = T * B * S * S <= V.MAX_ELEMENTS // 4
        products = np.empty((T, B, S, S)) if keep_all else None
        out = np.empty((T, B))
        P = np.broadcast_to(np.eye(S), (B, S, S)).copy()              # dh_T/dh_T = I
        with np.errstate(all="ignore"):
            for t1 in range(T, 0, -steps_per_block):
                t0 = max(0, t1 - steps_per_block)
                J = self._jacobians(t0, t1)
                block = products[t0:t1] if keep_all else np.empty((t1 - t0, B, S, S))
                for t in range(t1 - 1, t0 - 1, -1):
                    block[t - t0] = P
                    P = P @ J[t - t0]                                 # dh_T/dh_{t-1} = dh_T/dh_t  dh_t/dh_{t-1}
                if not keep_all:
                    out[t0:t1] = spectral_norm(block)
            if keep_all:                                              # dh_T/dh_T = I has norm 1 exactly
                out[:-1], out[-1] = spectral_norm(products[:-1]), 1.0
        out[:-1, self.nonfinite_from >= 0] = np.nan                   # undefined: the path crosses an overflowed state
        return out


def _override_arrays(cell: Cell, override, shape) -> list[dict]:
    if not override:
        return [{}] * shape[0]
    allowed = cell.spec.overridable
    arrs = {}
    for g, v in override.items():
        V.one_of("override gate", g, allowed)
        try:
            arrs[g] = np.broadcast_to(np.asarray(v, dtype=float), shape)
        except ValueError:
            raise V.bad(f"override[{g!r}]", f"shape {np.shape(v)}", f"broadcastable to {shape}") from None
        vals = arrs[g][~np.isnan(arrs[g])]
        if vals.size and (vals.min() < 0 or vals.max() > 1):
            raise V.bad(f"override[{g!r}]", f"values in [{vals.min()}, {vals.max()}]", "values in [0, 1] or NaN")
    return [{g: a[t] for g, a in arrs.items()} for t in range(shape[0])]


def record(cell: Cell, x, loss="last", h0=None, c0=None, override: dict | None = None) -> Trace:
    """Run `cell` over x (T, I) or (T, B, I) and record every gate, h_t and the exact dL/dh_t.

    loss: "last" (L = 0.5 * sum(h_T**2)), "all" (L = sum_t 0.5 * sum(h_t**2)) or an array broadcastable to
    (T, B, H) of direct gradients g_t (the linear loss L = sum_t <g_t, h_t>). h0, c0: (B, H) or (H,), default 0.
    override: gate -> array broadcastable to (T, B, H), NaN = not overridden; an overridden gate is a constant.
    Overflow is kept: h may hold inf/nan from `nonfinite_from` on.
    """
    spec = cell.spec
    dtype = cell.params["weight_hh"].dtype
    x = V.sequence(x, cell.input_size, cell.batch, dtype)
    T, B, _ = x.shape
    H = cell.hidden_size
    if T * B * H > V.MAX_ELEMENTS:
        raise V.bad("x", f"T*B*H = {T}*{B}*{H}", f"at most {V.MAX_ELEMENTS:,} recorded values per array")
    h_prev = _initial("h0", h0, B, H, dtype)
    c_prev = _initial("c0", c0, B, H, dtype) if spec.n_state == 2 else None
    if isinstance(loss, str):
        V.one_of("loss", loss, LOSSES)

    p = spec.prepare(cell)
    ovs = _override_arrays(cell, override, (T, B, H))
    with np.errstate(all="ignore"):
        hs, gates, caches = _forward(spec, p, x, h_prev, c_prev, ovs, H)
        g, L, loss_name = _direct_gradients(loss, hs)
        grad, dh = _backward(spec, p, caches, hs, g)
    h0_arr = h_prev
    bad_step = ~np.all(np.isfinite(hs), axis=2)                                  # (T, B)
    nonfinite_from = np.where(bad_step.any(axis=0), bad_step.argmax(axis=0), -1)
    return Trace(kind=cell.kind, x=x, h0=h0_arr, h=hs, gates=gates, grad_h=grad, grad_h0=dh, loss=L,
                 loss_name=loss_name, nonfinite_from=nonfinite_from, cell=cell, _params=p, _caches=caches)


def _forward(spec, p, x: np.ndarray, h_prev: np.ndarray, c_prev, ovs, H: int):
    """The forward pass over x (T, B, I): h (T, B, H), every gate (T, B, H) and the per-step backward caches."""
    T, B, _ = x.shape
    hs = np.empty((T, B, H), dtype=x.dtype)
    gates = {name: np.empty((T, B, H), dtype=x.dtype) for name in spec.gates}
    caches = []
    gx = p.input_projection(x)
    for t in range(T):
        h_prev, c_prev, cache = spec.forward(p, gx[t], h_prev, c_prev, ovs[t])
        hs[t] = h_prev
        for name, arr in gates.items():
            arr[t] = cache[name]
        caches.append(cache)
    return hs, gates, caches


def _direct_gradients(loss, hs: np.ndarray):
    """(g, L, name): g_t the direct part of dL/dh_t (through h_t alone; None when only g_T = h_T is non-zero)."""
    if isinstance(loss, str) and loss == "last":
        return None, 0.5 * np.sum(hs[-1] ** 2, axis=-1), "last"
    if isinstance(loss, str):                                    # "all"
        return hs, 0.5 * np.sum(hs ** 2, axis=(0, 2)), "all"
    try:
        g = np.broadcast_to(np.asarray(loss, dtype=hs.dtype), hs.shape)
    except ValueError:
        raise V.bad("loss", f"an array of shape {np.shape(loss)}",
                    f"'last', 'all' or an array broadcastable to {hs.shape}") from None
    return g, np.sum(g * hs, axis=(0, 2)), "custom"


def _backward(spec, p, caches: list, hs: np.ndarray, g):
    """BPTT: the total dL/dh_t (T, B, H) and dL/dh_0 (B, H)."""
    T = hs.shape[0]
    grad = np.empty_like(hs)
    dh = hs[-1].copy() if g is None else g[-1].copy()
    dc = np.zeros_like(dh) if spec.n_state == 2 else None
    for t in range(T - 1, -1, -1):
        grad[t] = dh
        dh_prev, dc = spec.backward(p, caches[t], dh, dc)
        dh = dh_prev + g[t - 1] if t > 0 and g is not None else dh_prev
    return grad, dh


def _initial(name: str, v, B: int, H: int, dtype) -> np.ndarray:
    if v is None:
        return np.zeros((B, H), dtype=dtype)
    v = np.asarray(v, dtype=dtype)
    try:
        v = np.broadcast_to(v, (B, H)).copy()
    except ValueError:
        raise V.bad(name, f"shape {v.shape}", f"(H,) = ({H},) or (B, H) = ({B}, {H})") from None
    if not np.all(np.isfinite(v)):
        raise V.bad(name, "non-finite values", "finite numbers only")
    return v


def step(cell: Cell, x_t, h_prev, c_prev=None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One step of `cell`: x_t (B, I) or (I,), h_prev (B, H) or (H,) -> h (B, H) and every gate (B, H).
    LSTM: pass c_prev too; the gates dict then holds "c"."""
    spec = cell.spec
    dtype = cell.params["weight_hh"].dtype
    x = V.sequence(np.atleast_2d(np.asarray(x_t, dtype=dtype))[None], cell.input_size, cell.batch, dtype)
    h_prev = np.atleast_2d(np.asarray(h_prev, dtype=dtype))
    B = max(x.shape[1], h_prev.shape[0])
    h_prev = _initial("h_prev", h_prev, B, cell.hidden_size, dtype)
    if spec.n_state == 2:
        c_prev = _initial("c_prev", c_prev, B, cell.hidden_size, dtype)
    p = spec.prepare(cell)
    with np.errstate(all="ignore"):
        gx = p.input_projection(np.broadcast_to(x, (1, B, cell.input_size)))[0]
        h, c, cache = spec.forward(p, gx, h_prev, c_prev, {})
    return h, {name: cache[name] for name in spec.gates}


def step_source(kind: str, *, fast: bool = False) -> str:
    """The source of one step of `kind`: by default the reference step (`gru_core.reference`, one line per equation,
    PyTorch's names and gate order: what the step-through page shows); fast=True gives the speed-tuned step that
    `record` runs (fused matmuls, batches, overrides). Both give the same numbers (a test pins it to 1e-12)."""
    from . import reference
    from .cells import REGISTRY
    V.one_of("kind", kind, tuple(REGISTRY))
    if fast or kind not in reference.STEPS:
        return inspect.getsource(REGISTRY[kind].forward)
    return inspect.getsource(reference.STEPS[kind])
