"""Small linear algebra the engine needs beyond numpy: norms that neither underflow nor waste time."""
from __future__ import annotations

import functools

import numpy as np


def vector_norm(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Euclidean norm along `axis` that does not underflow or overflow: ||x|| = m ||x / m|| with m = max |x_i|.

    np.linalg.norm squares the entries, so a vector whose entries are all about 1e-162 gets norm exactly 0 (and one
    of 1e200 gets inf), although it is neither. Exactly 0 only for a zero vector; inf/NaN entries give inf/NaN."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        m = np.max(np.abs(x), axis=axis, keepdims=True)
        ok = np.isfinite(m) & (m > 0)
        scaled = np.where(ok, x / np.where(ok, m, 1.0), 0.0)
        out = np.squeeze(m, axis=axis) * np.sqrt(np.sum(scaled * scaled, axis=axis))
        bad = ~np.all(np.isfinite(x), axis=axis)
        return np.where(bad, np.linalg.norm(x, axis=axis), out)


def spectral_norm(M: np.ndarray) -> np.ndarray:
    """Largest singular value of each matrix in (..., S, S); inf where a matrix overflowed, NaN where undefined."""
    flat = M.reshape((-1,) + M.shape[-2:])
    with np.errstate(all="ignore"):
        ok = np.isfinite(np.einsum("nij->n", flat))                  # a finite sum means every entry is finite
    bad = np.flatnonzero(~ok)
    if bad.size:                                                     # the sum may overflow with finite entries
        ok[bad] = np.all(np.isfinite(flat[bad]), axis=(1, 2))
    out = np.full(flat.shape[0], np.nan)
    if ok.all():
        out[:] = top_singular_values(flat)
    elif ok.any():
        out[ok] = top_singular_values(flat[ok])
    nan = np.any(np.isnan(flat[~ok]), axis=(1, 2))
    out[np.flatnonzero(~ok)[~nan]] = np.inf                          # overflowed: inf, and no NaN anywhere
    return out.reshape(M.shape[:-2])


def top_singular_values(M: np.ndarray, block: int = 8, rtol: float = 1e-9, max_iter: int = 4) -> np.ndarray:
    """sigma_max of each matrix of a finite stack (N, S, S), exact to ~1e-13 relative.

    A full SVD of every product costs O(S^3) flops each and dominated `jacobian_norm`. Block subspace iteration on
    A = M^T M (block of 8 vectors, a few batched matmuls) then Rayleigh-Ritz gives Ritz values theta_1 >= theta_2.
    For a symmetric matrix the top Ritz value is within ||r||^2 / gap of an eigenvalue (r = A v - theta_1 v), so a
    matrix is accepted when ||r|| <= rtol * theta_1 and the Ritz gap is at least 1e-3 * theta_1 (error <= 1e-15
    relative). Matrices that do not pass (clustered spectra, e.g. the identity) get an exact LAPACK SVD.
    """
    N, S, _ = M.shape
    out = np.zeros(N)
    if S <= 2 * block:
        return np.linalg.svd(M, compute_uv=False)[:, 0] if N else out
    M, scale = _rescaled(M)
    live = np.flatnonzero(scale > 0)                                 # an all-zero matrix has sigma_max 0
    todo = _subspace_iteration(M if live.size == N else M[live], out, live, scale, block, rtol, max_iter)
    rest = live[todo]
    if rest.size:
        out[rest] = np.linalg.svd(M[rest], compute_uv=False)[:, 0] * scale[rest]
    return out


def _rescaled(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M^T M squares the entries: rescale the (rare) matrices whose Frobenius norm is near under- or overflow.
    Returns (M', scale (N,)) with M = scale * M'."""
    N = M.shape[0]
    fro = np.sqrt(np.einsum("nij,nij->n", M, M))
    odd = np.flatnonzero(~((fro > 1e-120) & (fro < 1e120)))
    scale = np.ones(N)
    if odd.size:
        scale[odd] = np.abs(M[odd]).max(axis=(1, 2))
        M = M.copy()
        M[odd] /= np.where(scale[odd] > 0, scale[odd], 1.0)[:, None, None]
    return M, scale


def _subspace_iteration(A, out, live, scale, block: int, rtol: float, max_iter: int) -> np.ndarray:
    """Fill out[live[i]] for every matrix A[i] whose top Ritz value passes the check; return the rows not accepted."""
    S = A.shape[1]
    U = np.broadcast_to(_start_block(S, block), (live.size, S, block))
    todo = np.arange(live.size)                                      # rows of A not yet accepted
    for it in range(1, max_iter + 1):
        At = np.swapaxes(A, 1, 2)
        U = np.linalg.qr(At @ (A @ (At @ (A @ U))))[0]               # two steps of subspace iteration on A^T A
        if it % 2:
            continue                                                 # check convergence after 2 and 4 rounds
        W = A @ U
        theta, Y = np.linalg.eigh(np.swapaxes(W, 1, 2) @ W)          # Rayleigh-Ritz, ascending
        v = U @ Y[:, :, -1:]                                         # top Ritz vector (n, S, 1)
        r = At @ (A @ v) - theta[:, -1, None, None] * v
        res = np.linalg.norm(r[..., 0], axis=1)
        done = (res <= rtol * theta[:, -1]) & (theta[:, -1] - theta[:, -2] >= 1e-3 * theta[:, -1])
        out[live[todo[done]]] = np.sqrt(theta[done, -1]) * scale[live[todo[done]]]
        todo, A, U = todo[~done], A[~done], U[~done]
        if todo.size == 0:
            break
    return todo


@functools.lru_cache(maxsize=8)
def _start_block(S: int, block: int) -> np.ndarray:
    """A fixed orthonormal (S, block) starting block (deterministic: results never depend on a random draw)."""
    return np.linalg.qr(np.random.default_rng(0).standard_normal((S, block)))[0]
