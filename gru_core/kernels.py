"""The time loops of the trainable layers (gru_core.layers), compiled with numba.

At the lab's training sizes (B = 64, H = 32) a step is a few microseconds of arithmetic: a loop of numpy or torch
calls spends its time in per-call overhead (a numpy GRU step is ~12 calls, a torch one more). Here each step is one
or two BLAS products (np.dot) and one fused loop over the (B, H) elements. The loops vectorise (SIMD) because
sigmoid and tanh are written with `_exp`, plain arithmetic (a libm call per element would cost more than all the
rest) and numpy's error model (no zero-division checks). The equations are the engine's cells' (gru_core/cells/).
Forward loops save what the backward needs; backward loops run the step-by-step BPTT for dL/dh only and store
each step's pre-activation gradients, from which gru_core.layers forms every weight gradient in a few large matrix
products over all steps at once.

Shapes: gx (T, B, G*H) the input-side pre-activations in the family's gate order (engine `input_projection`),
WT_* (H, k*H) transposed recurrent blocks, W_* (k*H, H) the same blocks, h0 / c0 (B, H), gout (T, B, H) dL/dout.
`cache=True` keeps the compiled code on disk; `nogil=True` lets other threads (the app's sessions) run meanwhile.
"""
from __future__ import annotations

import numpy as np
from numba import njit

JIT = dict(cache=True, nogil=True, error_model="numpy")   # numpy's: no per-division zero checks, so loops vectorise


@njit(inline="always")
def _exp(x):
    """exp(x) for |x| <= 40 (clamped beyond: only sigmoid and tanh use it, and they are flat there) as
    (Taylor series of exp(x / 64) to degree 15)^64, relative error ~1e-14; plain arithmetic, so the compiler
    vectorises the loops that call it (a libm exp call per element would not be). NaN stays NaN."""
    y = min(max(x, -40.0), 40.0) * 0.015625
    p = 1.0 / 1307674368000.0
    for c in (87178291200.0, 6227020800.0, 479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0, 5040.0,
              720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0):
        p = p * y + 1.0 / c
    for _ in range(6):
        p = p * p
    return p if x == x else x


@njit(inline="always")
def _sig(a):
    return 1.0 / (1.0 + _exp(-a))


@njit(inline="always")
def _tanh(a):
    return 1.0 - 2.0 / (1.0 + _exp(2.0 * a))


@njit(**JIT)
def rnn_forward(gx, WT, h0, relu):
    """h_t = tanh(gx_t + W_hh h_{t-1}) (or ReLU). Returns hs (T+1, B, H), hs[0] = h0."""
    T, B, H = gx.shape
    hs = np.empty((T + 1, B, H), gx.dtype)
    hs[0] = h0
    for t in range(T):
        a = np.dot(hs[t], WT)
        for b in range(B):
            for j in range(H):
                v = gx[t, b, j] + a[b, j]
                hs[t + 1, b, j] = max(v, 0.0) if relu else _tanh(v)
    return hs


@njit(**JIT)
def lstm_forward(gx, WT, h0, c0):
    """PyTorch's LSTM (rows i, f, g, o). Returns hs, cs (T+1, B, H), the activated gates (T, B, 4H) and
    tanh(c_t) (T, B, H)."""
    T, B, G = gx.shape
    H = G // 4
    hs, cs = np.empty((T + 1, B, H), gx.dtype), np.empty((T + 1, B, H), gx.dtype)
    gates, tc = np.empty((T, B, G), gx.dtype), np.empty((T, B, H), gx.dtype)
    hs[0] = h0
    cs[0] = c0
    for t in range(T):
        a = np.dot(hs[t], WT)
        for b in range(B):
            for j in range(H):
                i = _sig(gx[t, b, j] + a[b, j])                             # input gate
                f = _sig(gx[t, b, H + j] + a[b, H + j])                     # forget gate
                g = _tanh(gx[t, b, 2 * H + j] + a[b, 2 * H + j])            # candidate
                o = _sig(gx[t, b, 3 * H + j] + a[b, 3 * H + j])             # output gate
                c = f * cs[t, b, j] + i * g                                 # cell state
                cs[t + 1, b, j] = c
                tc[t, b, j] = _tanh(c)
                hs[t + 1, b, j] = o * tc[t, b, j]
                gates[t, b, j] = i
                gates[t, b, H + j] = f
                gates[t, b, 2 * H + j] = g
                gates[t, b, 3 * H + j] = o
    return hs, cs, gates, tc


@njit(**JIT)
def gru_forward(gx, WT_h, WT_n, b_hn, h0, reset_after, wiki):
    """The GRU family (rows r, z, n). WT_h: the transposed recurrent rows that multiply h_prev itself: r, z, n
    (H, 3H) after the reset, r, z (H, 2H) before it, empty (H, 0) when the gates do not see h_prev; WT_n (H, H)
    multiplies r * h_prev before the reset. reset_after: n = tanh(gx_n + r * (W_hn h + b_hn)), else
    n = tanh(gx_n + W_hn (r * h)). wiki: the kept share is 1 - z instead of z. Returns hs (T+1, B, H),
    rz (T, B, 2H) (r, z), n (T, B, H) and u (T, B, H): W_hn h + b_hn (reset after) or r * h_prev (reset before),
    the input of the n block's recurrent product."""
    T, B, G = gx.shape
    H = G // 3
    hs, rz = np.empty((T + 1, B, H), gx.dtype), np.empty((T, B, 2 * H), gx.dtype)
    n, u = np.empty((T, B, H), gx.dtype), np.empty((T, B, H), gx.dtype)
    hs[0] = h0
    gh, gn = np.zeros((B, 3 * H), gx.dtype), np.zeros((B, H), gx.dtype)
    sgn, off = (-1.0, 1.0) if wiki else (1.0, 0.0)                          # kept share k = off + sgn * z
    for t in range(T):
        h = hs[t]
        if WT_h.shape[1] > 0:
            gh = np.dot(h, WT_h)                                            # one product for every block it has
        for b in range(B):
            for j in range(H):
                r = _sig(gx[t, b, j] + gh[b, j])                            # reset gate
                rz[t, b, j] = r
                rz[t, b, H + j] = _sig(gx[t, b, H + j] + gh[b, H + j])      # update gate
                u[t, b, j] = gh[b, 2 * H + j] + b_hn[j] if reset_after else r * h[b, j]
        if not reset_after:
            gn = np.dot(u[t], WT_n)                                         # W_hn (r * h)
        for b in range(B):
            for j in range(H):
                a = gx[t, b, 2 * H + j] + (rz[t, b, j] * u[t, b, j] if reset_after else gn[b, j])
                nn = _tanh(a)                                               # candidate
                n[t, b, j] = nn
                k = off + sgn * rz[t, b, H + j]
                hs[t + 1, b, j] = (1.0 - k) * nn + k * h[b, j]
    return hs, rz, n, u


@njit(**JIT)
def mgu_forward(gx, WT_f, WT_n, h0):
    """Minimal gated unit (rows f, n). Returns hs (T+1, B, H), f, n and u = f * h_prev (T, B, H)."""
    T, B, G = gx.shape
    H = G // 2
    hs = np.empty((T + 1, B, H), gx.dtype)
    f, n, u = np.empty((T, B, H), gx.dtype), np.empty((T, B, H), gx.dtype), np.empty((T, B, H), gx.dtype)
    hs[0] = h0
    for t in range(T):
        h = hs[t]
        gf = np.dot(h, WT_f)
        for b in range(B):
            for j in range(H):
                ff = _sig(gx[t, b, j] + gf[b, j])                           # forget gate
                f[t, b, j] = ff
                u[t, b, j] = ff * h[b, j]
        gn = np.dot(u[t], WT_n)
        for b in range(B):
            for j in range(H):
                nn = _tanh(gx[t, b, H + j] + gn[b, j])                      # candidate
                n[t, b, j] = nn
                hs[t + 1, b, j] = (1.0 - f[t, b, j]) * h[b, j] + f[t, b, j] * nn
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
def gru_backward(gout, dhT, hs, rz, n, u, W_h, W_n, reset_after, wiki):
    """W_h (3H or 2H or 0, H), W_n (H, H): the rows of gru_forward's WT_h, WT_n. Returns dgx (T, B, 3H)
    (gradients of the input-side pre-activations r, z, n), dgh (T, B, 3H) (of the recurrent-side ones: the same
    but r * dL/da_n for n after the reset; dgx itself before it) and dh0 (B, H)."""
    T, B, H = gout.shape
    dgx = np.empty((T, B, 3 * H), gout.dtype)
    dgh = np.empty((T, B, 3 * H), gout.dtype) if reset_after else dgx
    sgn, off = (-1.0, 1.0) if wiki else (1.0, 0.0)                    # kept share k = off + sgn * z
    dh = dhT.copy()
    for t in range(T - 1, -1, -1):
        go, g_t, n_t, h_t, u_t, dx_t, dh_t = gout[t], rz[t], n[t], hs[t], u[t], dgx[t], dgh[t]
        back = np.empty((B, H), gout.dtype)
        for b in range(B):
            for j in range(H):
                d = dh[b, j] + go[b, j]
                zz, nn, rr = g_t[b, H + j], n_t[b, j], g_t[b, j]
                k = off + sgn * zz
                dx_t[b, H + j] = sgn * d * (h_t[b, j] - nn) * zz * (1.0 - zz)   # through z
                da_n = d * (1.0 - k) * (1.0 - nn * nn)                          # through n
                dx_t[b, 2 * H + j] = da_n
                back[b, j] = d * k                                              # the direct path
                if reset_after:
                    dx_t[b, j] = da_n * u_t[b, j] * rr * (1.0 - rr)             # through r
                    dh_t[b, H + j] = dx_t[b, H + j]
                    dh_t[b, j] = dx_t[b, j]
                    dh_t[b, 2 * H + j] = da_n * rr
        if reset_after:
            back += np.dot(dh_t, W_h)                                           # W_hh^T [da_r; da_z; r * da_n]
        else:
            d_u = np.dot(np.ascontiguousarray(dx_t[:, 2 * H:]), W_n)            # dL/d(r * h_prev)
            for b in range(B):
                for j in range(H):
                    rr = g_t[b, j]
                    dx_t[b, j] = d_u[b, j] * h_t[b, j] * rr * (1.0 - rr)         # through r
                    back[b, j] += d_u[b, j] * rr
            if W_h.shape[0] > 0:
                back += np.dot(np.ascontiguousarray(dx_t[:, :2 * H]), W_h)
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
