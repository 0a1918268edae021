"""Argument checks shared by the engine: every bad input is a ValueError naming the argument, the value and what
is allowed."""
from __future__ import annotations

import numpy as np

MAX_STEPS = 5000
MAX_HIDDEN = 1024
MAX_INPUT = 1024
MAX_BATCH = 4096
MAX_ELEMENTS = 50_000_000        # T * B * H: one recorded array of at most 400 MB in float64


def bad(name: str, got, allowed: str) -> ValueError:
    return ValueError(f"{name}: got {got!r}; allowed: {allowed}")


def int_in(name: str, value, lo: int, hi: int) -> int:
    """An integer in [lo, hi] (bools and non-integral floats refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise bad(name, value, f"an integer from {lo} to {hi}")
    if not lo <= value <= hi:
        raise bad(name, value, f"an integer from {lo} to {hi}")
    return int(value)


def one_of(name: str, value, allowed) -> str:
    if value not in allowed:
        raise bad(name, value, "one of " + ", ".join(repr(a) for a in allowed))
    return value


def finite_float(name: str, value, lo: float = -np.inf, hi: float = np.inf) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise bad(name, value, f"a finite number from {lo} to {hi}") from None
    if not np.isfinite(v) or not lo <= v <= hi:
        raise bad(name, value, f"a finite number from {lo} to {hi}")
    return v


def sequence(x, input_size: int, batch: int | None, dtype) -> np.ndarray:
    """x (T, I) or (T, B, I) -> a finite float array (T, B, I) within the size limits."""
    try:
        x = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError):
        raise bad("x", type(x).__name__, "a numeric array of shape (T, I) or (T, B, I)") from None
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3:
        raise bad("x", f"an array of shape {x.shape}", "shape (T, I) or (T, B, I)")
    T, B, I = x.shape
    if I != input_size:
        raise bad("x", f"shape {x.shape}", f"last axis = the cell's input_size {input_size}")
    int_in("x: number of steps T", T, 1, MAX_STEPS)
    if batch is not None and B != batch:
        if B != 1:
            raise bad("x", f"batch of {B}", f"1 or the cell stack's {batch}")
        x = np.broadcast_to(x, (T, batch, I))
    int_in("x: batch size B", x.shape[1], 1, MAX_BATCH)
    if not np.all(np.isfinite(x)):
        t = int(np.argwhere(~np.isfinite(x))[0][0])
        raise bad("x", f"a non-finite value at step {t}", "finite numbers only")
    return x
