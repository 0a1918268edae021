"""The GRU family side by side: settings, compute and results of the /compare page."""
from __future__ import annotations

import statistics
import time

import torch

import gru_core

KINDS = ("rnn", "gru", "lstm", "gru_type1", "gru_type2", "gru_type3", "mgu")
TORCH_MODULES = {"nn.RNN": torch.nn.RNN, "nn.GRU": torch.nn.GRU, "nn.LSTM": torch.nn.LSTM}


def _fwd_bwd(module, x):
    def run():
        out, _ = module(x)
        out[-1].sum().backward()
    return run


def step_times(input_size: int, hidden_size: int, steps: int = 104, batch: int = 64, repeats: int = 15,
               kinds=KINDS, seed: int = 0) -> dict[str, float]:
    """Median milliseconds of one forward + backward pass (loss on the last output) of PyTorch's fused modules
    ("nn.RNN", "nn.GRU", "nn.LSTM") and the lab's layer of every kind, float32, x (steps, batch, input_size).
    Each round times every module once, in turn, so that load from elsewhere hits all of them alike."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, batch, input_size, generator=g)
    runs = {name: _fwd_bwd(cls(input_size, hidden_size), x) for name, cls in TORCH_MODULES.items()}
    runs.update({kind: _fwd_bwd(gru_core.layer(kind, input_size, hidden_size, seed=seed), x) for kind in kinds})
    times = {name: [] for name in runs}
    for r in range(repeats + 1):
        for name, run in runs.items():
            t = time.perf_counter()
            run()
            if r:                                   # round 0 warms up
                times[name].append((time.perf_counter() - t) * 1000)
    return {name: statistics.median(ts) for name, ts in times.items()}
