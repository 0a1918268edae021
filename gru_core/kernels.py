"""The time loops of the trainable layers (gru_core.layers): forward in numpy, backward compiled with numba.

At the lab's training sizes (B = 64, H = 32) a step is a few microseconds of arithmetic, so the cost is per-call
overhead and transcendentals. Forward loops are numpy calls writing in place (`out=`): numpy's SIMD tanh is ~50x
faster per element than the scalar libm tanh a compiled loop calls; sigmoid(a) = 0.5 + 0.5 tanh(a / 2) lets one
tanh serve a whole block of gates.
Backward loops have no transcendentals: numba fuses each step into one or two BLAS products (np.dot) and one loop
over the (B, H) elements, where numpy would need ~15 calls. The equations are the engine's cells'
(gru_core/cells/). Forward loops save what the backward needs; backward loops run the step-by-step BPTT for dL/dh
only and store each step's pre-activation gradients, from which gru_core.layers forms every weight gradient in a
few large matrix products over all steps at once.

Shapes: gx (T, B, G*H) the input-side pre-activations in the family's gate order (engine `input_projection`),
WT_* (H, k*H) transposed recurrent blocks, W_* (k*H, H) the same blocks, h0 / c0 (B, H), gout (T, B, H) dL/dout.
`cache=True` keeps the compiled code on disk; `nogil=True` lets other threads (the app's sessions) run meanwhile.
"""
from __future__ import annotations

import numpy as np
from numba import njit

JIT = dict(cache=True, nogil=True)


def _halved(a, cols):
    """A copy of `a` (..., C) with columns `cols` (a slice) times 1/2: a sigmoid gate's pre-activation halved once for
    all steps, so that each step's sigmoid(a) = 0.5 + 0.5 tanh(a / 2) is one tanh of a block and two updates."""
    scale = np.ones(a.shape[-1], a.dtype)
    scale[cols] = 0.5
    return a * scale


def _from_tanh(t):
    """sigmoid(a) in place from t = tanh(a / 2)."""
    t *= 0.5
    t += 0.5


def _mix(h_prev, n, keep, out, tmp):
    """out = (1 - keep) * n + keep * h_prev, as n + keep * (h_prev - n)."""
    np.subtract(h_prev, n, out=tmp)
    np.multiply(tmp, keep, out=tmp)
    np.add(n, tmp, out=out)


def rnn_forward(gx, WT, h0, relu):
    """h_t = tanh(gx_t + W_hh h_{t-1}) (or ReLU). Returns hs (T+1, B, H), hs[0] = h0."""
    T, B, H = gx.shape
    hs = np.empty((T + 1, B, H), gx.dtype)
    hs[0] = h0
    for t in range(T):
        a = np.matmul(hs[t], WT, out=hs[t + 1])
        a += gx[t]
        np.maximum(a, 0, out=a) if relu else np.tanh(a, out=a)
    return hs


def lstm_forward(gx, WT, h0, c0):
    """PyTorch's LSTM (rows i, f, g, o). Returns hs, cs (T+1, B, H), the activated gates (T, B, 4H) and
    tanh(c_t) (T, B, H)."""
    T, B, G = gx.shape
    H = G // 4
    gx, WT = _halved(gx, np.r_[0:2 * H, 3 * H:4 * H]), _halved(WT, np.r_[0:2 * H, 3 * H:4 * H])   # i, f, o
    hs, cs = np.empty((T + 1, B, H), gx.dtype), np.empty((T + 1, B, H), gx.dtype)
    gates, tc = np.empty((T, B, G), gx.dtype), np.empty((T, B, H), gx.dtype)
    hs[0], cs[0] = h0, c0
    tmp = np.empty((B, H), gx.dtype)
    for t in range(T):
        a = np.matmul(hs[t], WT, out=gates[t])
        a += gx[t]
        np.tanh(a, out=a)
        i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
        _from_tanh(a[:, :2 * H]), _from_tanh(o)                                       # i, f, o = sigmoid(...)
        np.multiply(f, cs[t], out=cs[t + 1])
        cs[t + 1] += np.multiply(i, g, out=tmp)                                       # c = f c_prev + i g
        np.multiply(o, np.tanh(cs[t + 1], out=tc[t]), out=hs[t + 1])                  # h = o tanh(c)
    return hs, cs, gates, tc


def gru_forward(gx, WT_rz, WT_n, b_hn, h0, reset_after, wiki):
    """The GRU family (rows r, z, n). WT_rz (H, 2H) is empty (H, 0) when the gates do not see h_prev.
    reset_after: n = tanh(gx_n + r * (W_hn h + b_hn)), else n = tanh(gx_n + W_hn (r * h)). wiki: the kept share is
    1 - z instead of z. Returns hs (T+1, B, H), rz (T, B, 2H) (r, z), n (T, B, H) and u (T, B, H): W_hn h + b_hn (reset after) or
    r * h_prev (reset before), the input of the n block's recurrent product."""
    T, B, G = gx.shape
    H = G // 3
    gx, WT_rz = _halved(gx, slice(0, 2 * H)), WT_rz * 0.5
    see_h = WT_rz.shape[1] > 0
    WT = np.concatenate([WT_rz, WT_n], axis=1) if reset_after else WT_rz
    hs, rz = np.empty((T + 1, B, H), gx.dtype), np.empty((T, B, 2 * H), gx.dtype)
    n, u, tmp = np.empty((T, B, H), gx.dtype), np.empty((T, B, H), gx.dtype), np.empty((B, H), gx.dtype)
    hs[0] = h0
    for t in range(T):
        h, a = hs[t], rz[t]
        gh = np.matmul(h, WT) if see_h else None
        np.add(gx[t, :, :2 * H], gh[:, :2 * H], out=a) if see_h else np.copyto(a, gx[t, :, :2 * H])
        np.tanh(a, out=a)
        _from_tanh(a)                                                                  # r, z = sigmoid(...)
        r, z = a[:, :H], a[:, H:]
        if reset_after:
            np.add(gh[:, 2 * H:], b_hn, out=u[t])                                      # W_hn h + b_hn
            np.multiply(r, u[t], out=n[t])
        else:
            np.matmul(np.multiply(r, h, out=u[t]), WT_n, out=n[t])                    # W_hn (r * h)
        n[t] += gx[t, :, 2 * H:]
        np.tanh(n[t], out=n[t])                                                        # candidate
        _mix(n[t], h, z, hs[t + 1], tmp) if wiki else _mix(h, n[t], z, hs[t + 1], tmp)
    return hs, rz, n, u


def mgu_forward(gx, WT_f, WT_n, h0):
    """Minimal gated unit (rows f, n). Returns hs (T+1, B, H), f, n and u = f * h_prev (T, B, H)."""
    T, B, G = gx.shape
    H = G // 2
    gx, WT_f = _halved(gx, slice(0, H)), WT_f * 0.5
    hs, f, n, u = (np.empty((T + (k == 0), B, H), gx.dtype) for k in range(4))
    hs[0] = h0
    tmp = np.empty((B, H), gx.dtype)
    for t in range(T):
        h = hs[t]
        np.tanh(np.add(gx[t, :, :H], np.matmul(h, WT_f), out=f[t]), out=f[t])
        _from_tanh(f[t])                                                               # forget gate
        np.matmul(np.multiply(f[t], h, out=u[t]), WT_n, out=n[t])
        n[t] += gx[t, :, H:]
        np.tanh(n[t], out=n[t])                                                        # candidate
        _mix(n[t], h, f[t], hs[t + 1], tmp)                                            # (1 - f) h + f n
    return hs, f, n, u


@njit(**JIT)
def rnn_backward(gout, dhT, hs, W, relu):
    """Returns da (T, B, H) (gradient of the pre-activation) and dh0 (B, H)."""
    T, B, H = gout.shape
    da = np.empty((T, B, H), gout.dtype)
    dh = dhT.copy()
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                h = hs[t + 1, b, j]
                slope = (1.0 if h > 0 else 0.0) if relu else 1.0 - h * h
                da[t, b, j] = (dh[b, j] + gout[t, b, j]) * slope
        dh = np.dot(da[t], W)
    return da, dh


@njit(**JIT)
def lstm_backward(gout, dhT, dcT, cs, gates, tcs, W):
    """Returns da (T, B, 4H), dh0, dc0."""
    T, B, H = gout.shape
    da = np.empty((T, B, 4 * H), gout.dtype)
    dh, dc = dhT.copy(), dcT.copy()
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                i, f, g, o = gates[t, b, j], gates[t, b, H + j], gates[t, b, 2 * H + j], gates[t, b, 3 * H + j]
                tc = tcs[t, b, j]
                d_h = dh[b, j] + gout[t, b, j]
                d_c = dc[b, j] + d_h * o * (1.0 - tc * tc)
                da[t, b, j] = d_c * g * i * (1.0 - i)
                da[t, b, H + j] = d_c * cs[t, b, j] * f * (1.0 - f)
                da[t, b, 2 * H + j] = d_c * i * (1.0 - g * g)
                da[t, b, 3 * H + j] = d_h * tc * o * (1.0 - o)
                dc[b, j] = d_c * f
        dh = np.dot(da[t], W)
    return da, dh, dc


@njit(**JIT)
def gru_backward(gout, dhT, hs, rz, n, u, W_rz, W_n, reset_after, wiki):
    """Returns dgx (T, B, 3H) (gradients of the input-side pre-activations r, z, n), dgh (T, B, 3H) (of the
    recurrent-side ones: the same but r * dL/da_n for n after the reset; dgx itself before it) and dh0 (B, H)."""
    T, B, H = gout.shape
    dgx = np.empty((T, B, 3 * H), gout.dtype)
    dgh = np.empty((T, B, 3 * H), gout.dtype) if reset_after else dgx
    sgn, off = (-1.0, 1.0) if wiki else (1.0, 0.0)                    # kept share k = off + sgn * z
    dh = dhT.copy()
    for t in range(T - 1, -1, -1):
        go, g_t, n_t, h_t, u_t = gout[t], rz[t], n[t], hs[t], u[t]
        d_rz, da_n, d_hn, back = (np.empty((B, 2 * H), gout.dtype), np.empty((B, H), gout.dtype),
                                  np.empty((B, H), gout.dtype), np.empty((B, H), gout.dtype))
        for b in range(B):
            for j in range(H):
                d = dh[b, j] + go[b, j]
                zz, nn = g_t[b, H + j], n_t[b, j]
                k = off + sgn * zz
                d_rz[b, H + j] = sgn * d * (h_t[b, j] - nn) * zz * (1.0 - zz)   # through z
                da_n[b, j] = d * (1.0 - k) * (1.0 - nn * nn)                    # through n
                back[b, j] = d * k                                              # the direct path
        if reset_after:
            for b in range(B):
                for j in range(H):
                    rr = g_t[b, j]
                    d_rz[b, j] = da_n[b, j] * u_t[b, j] * rr * (1.0 - rr)        # through r
                    d_hn[b, j] = da_n[b, j] * rr
            back += np.dot(d_hn, W_n)
            dgh[t, :, :2 * H] = d_rz
            dgh[t, :, 2 * H:] = d_hn
        else:
            d_u = np.dot(da_n, W_n)                                             # dL/d(r * h_prev)
            for b in range(B):
                for j in range(H):
                    rr = g_t[b, j]
                    d_rz[b, j] = d_u[b, j] * h_t[b, j] * rr * (1.0 - rr)         # through r
                    back[b, j] += d_u[b, j] * rr
        if W_rz.shape[0] > 0:
            back += np.dot(d_rz, W_rz)
        dgx[t, :, :2 * H] = d_rz
        dgx[t, :, 2 * H:] = da_n
        dh = back
    return dgx, dgh, dh


@njit(**JIT)
def mgu_backward(gout, dhT, hs, f, n, W_f, W_n):
    """Returns da (T, B, 2H) (pre-activations f, n) and dh0 (B, H)."""
    T, B, H = gout.shape
    da = np.empty((T, B, 2 * H), gout.dtype)
    d = np.empty((B, H), gout.dtype)
    da_n = np.empty((B, H), gout.dtype)
    da_f = np.empty((B, H), gout.dtype)
    dh = dhT.copy()
    for t in range(T - 1, -1, -1):
        for b in range(B):
            for j in range(H):
                d[b, j] = dh[b, j] + gout[t, b, j]
                da_n[b, j] = d[b, j] * f[t, b, j] * (1.0 - n[t, b, j] ** 2)
        d_u = np.dot(da_n, W_n)                                              # dL/d(f * h_prev)
        for b in range(B):
            for j in range(H):
                ff, hp = f[t, b, j], hs[t, b, j]
                da_f[b, j] = (d[b, j] * (n[t, b, j] - hp) + d_u[b, j] * hp) * ff * (1.0 - ff)
                d[b, j] = d[b, j] * (1.0 - ff) + d_u[b, j] * ff
        dh = d + np.dot(da_f, W_f)
        da[t, :, :H] = da_f
        da[t, :, H:] = da_n
    return da, dh
