"""Input signals for demos, (T, I), deterministic from a seed."""
from __future__ import annotations

import numpy as np

from . import validate as V

SIGNALS = ("impulse", "step", "sine", "noise", "tokens")


def signal(name: str, steps: int, input_size: int = 1, *, seed: int = 0, at: int = 0, amplitude: float = 1.0,
           period: float = 20.0) -> np.ndarray:
    """A demo input of shape (steps, input_size).

    impulse: `amplitude` at step `at` (every channel), 0 elsewhere; step: `amplitude` from step `at` on;
    sine: amplitude * sin(2 pi t / period + phase), channel c phase-shifted by 2 pi c / input_size;
    noise: white Gaussian noise N(0, amplitude^2); tokens: random one-hot tokens over a vocabulary of input_size.
    """
    V.one_of("signal", name, SIGNALS)
    T = V.int_in("steps", steps, 1, V.MAX_STEPS)
    I = V.int_in("input_size", input_size, 1, V.MAX_INPUT)
    at = V.int_in("at", at, 0, T - 1)
    amplitude = V.finite_float("amplitude", amplitude, -1e6, 1e6)
    period = V.finite_float("period", period, 1e-3, 1e6)
    seed = V.int_in("seed", seed, 0, 2**32 - 1)
    t = np.arange(T, dtype=float)[:, None]
    if name == "impulse":
        return np.where(t == at, amplitude, 0.0) * np.ones((1, I))
    if name == "step":
        return np.where(t >= at, amplitude, 0.0) * np.ones((1, I))
    if name == "sine":
        return amplitude * np.sin(2 * np.pi * t / period + 2 * np.pi * np.arange(I) / I)
    rng = np.random.default_rng(seed)
    if name == "noise":
        return amplitude * rng.standard_normal((T, I))
    return amplitude * np.eye(I)[rng.integers(0, I, T)]
