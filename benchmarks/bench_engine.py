"""Engine speed as ratios against the idiomatic PyTorch way, measured in one process (issue: the engine).

    .venv/bin/python benchmarks/bench_engine.py [--repeats 15]

Reference: a GRUCell stepped in a Python loop with retain_grad() on every h_t, one thread, float64, then backward.
Prints the median time of each and the ratios; the targets are
  1. forward + every dL/dh_t (T=200, H=64, I=8, B=1): engine at least 4x faster than the reference
  2. every ||dh_T/dh_t|| (T=200, H=64): engine (record + norms) faster than the reference's gradients alone
  3. a sweep of 64 settings (T=200, H=32) in one call: no slower than the reference run once with batch 64
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

import os, sys  # noqa: E401
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import gru_core  # noqa: E402

torch.set_num_threads(1)


def paired(ref, eng, repeats: int) -> tuple[float, float]:
    """Median times of `ref` and `eng`, run alternately so that load from other processes hits both alike."""
    ref(), eng()                                   # warm up
    a, b = [], []
    for _ in range(repeats):
        for fn, times in ((ref, a), (eng, b)):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b)


def torch_loop(cell_module, x: torch.Tensor):
    """The idiomatic reference: step a GRUCell, retain_grad() on every h_t, backward the last-step loss."""
    h = torch.zeros(x.shape[1], cell_module.hidden_size, dtype=torch.float64)
    hs = []
    for t in range(x.shape[0]):
        h = cell_module(x[t], h)
        h.retain_grad()
        hs.append(h)
    (0.5 * (hs[-1] ** 2).sum()).backward()
    return [h.grad for h in hs]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    R = args.repeats
    rows = []

    # 1. forward + every dL/dh_t
    cell = gru_core.make_cell("gru", 8, 64, seed=0)
    x = gru_core.signal("noise", 200, 8, seed=0)
    ref = cell.to_torch(cell_module=True)
    xt = torch.from_numpy(x[:, None, :])
    t_ref, t_eng = paired(lambda: torch_loop(ref, xt), lambda: gru_core.record(cell, x), R)
    rows.append(("forward + all dL/dh_t, T=200 H=64 I=8 B=1", t_ref, t_eng, t_ref / t_eng, ">= 4"))

    # 2. every ||dh_T/dh_t||
    cell1 = gru_core.make_cell("gru", 1, 64, seed=0)
    x1 = gru_core.signal("noise", 200, 1, seed=0)
    ref1 = cell1.to_torch(cell_module=True)
    x1t = torch.from_numpy(x1[:, None, :])
    t_ref1, t_norm = paired(lambda: torch_loop(ref1, x1t), lambda: gru_core.record(cell1, x1).jacobian_norm, R)
    rows.append(("all ||dh_T/dh_t||, T=200 H=64 (record + norms)", t_ref1, t_norm, t_ref1 / t_norm, "> 1"))

    # 3. a sweep of 64 settings in one call vs the reference once with batch 64
    scales = np.linspace(0.1, 3.0, 64)
    stack = gru_core.stack_cells([gru_core.make_cell("gru", 1, 32, seed=0, init="orthogonal", scale=s)
                                  for s in scales])
    ref64 = gru_core.make_cell("gru", 1, 32, seed=0).to_torch(cell_module=True)
    x64 = torch.from_numpy(np.random.default_rng(0).standard_normal((200, 64, 1)))
    t_ref64, t_sweep = paired(lambda: torch_loop(ref64, x64), lambda: gru_core.record(stack, x1), R)
    rows.append(("sweep of 64 settings, T=200 H=32 vs torch batch 64", t_ref64, t_sweep, t_ref64 / t_sweep, ">= 1"))

    print(f"{'benchmark':58s} {'torch ms':>9s} {'engine ms':>10s} {'speed-up':>9s}  target")
    for name, a, b, ratio, target in rows:
        print(f"{name:58s} {a * 1e3:9.2f} {b * 1e3:10.2f} {ratio:8.2f}x  {target}")


if __name__ == "__main__":
    main()
