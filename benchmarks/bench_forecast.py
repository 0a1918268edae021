"""Forecast page benchmark (ratios, not tests): on monthly Mauna Loa CO2 with the page's defaults,

* accuracy: each network's held-out MASE against seasonal naive's and against ETS's (ratio < 1: the network wins);
* speed: the time to train the default model (RNN, GRU, LSTM side by side, as the page does) against a bare PyTorch
  loop over the same networks, batches and steps in the same process (the training library's overhead), and the
  GRU alone against that bare loop's GRU share.

    .venv/bin/python benchmarks/bench_forecast.py [--seeds 0 1 2] [--steps 300]

Several seeds: the MASE of a small network on 24 held-out months varies from seed to seed; the table shows each.
"""
from __future__ import annotations

import argparse
import time

from common import ROOT  # noqa: F401  (puts the repo on sys.path)

from gru_core import forecaster as F
from gru_core import series as S
from gru_core.training import torch_single_thread
from lab.models import forecast as M


def bare_loop_seconds(settings: M.Settings, data: S.Series) -> dict[str, float]:
    """Seconds per kind of a plain Adam loop over the same networks and batches (no history, no evaluation)."""
    torch = torch_single_thread()
    problem = settings.problem(data)
    batches, loss_fn, _ = F.training_pieces(problem, settings.fit_config())
    out = {}
    for kind, H in settings.hidden().items():
        net = F.build_network(kind, H, settings.horizon, settings.seed)
        opt = torch.optim.Adam(net.parameters(), lr=settings.lr)
        t0 = time.perf_counter()
        for s in range(settings.steps):
            loss, _ = loss_fn(net, batches(s))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
            opt.step()
        out[kind] = time.perf_counter() - t0
    return out


def one_seed(seed: int, steps: int) -> None:
    settings = M.Settings(seed=seed, steps=steps)
    data = S.load(settings.series)
    base = M.compute_baselines(data, settings.horizon)
    job = M.ForecastJob(data, settings)
    t0 = time.perf_counter()
    job.run(lambda: None)
    train_s = time.perf_counter() - t0
    res = M.assemble(data, settings, base, job.view())
    bare = bare_loop_seconds(settings, data)
    mase = {k: m["MASE"] for k, m in res.metrics.items()}
    print(f"seed {seed}: MASE " + ", ".join(f"{M.MODEL_LABELS[k]} {v:.3f}" for k, v in sorted(mase.items())))
    for k in M.KINDS:
        print(f"  {M.MODEL_LABELS[k]:5s} MASE / seasonal naive = {mase[k] / mase['naive']:.3f}   "
              f"MASE / ETS = {mase[k] / mase['ets']:.3f}")
    gru_s = job.fit.runs["gru"].seconds
    print(f"  training the default model (3 networks, {steps} steps): {train_s:.1f} s; bare PyTorch loop "
          f"{sum(bare.values()):.1f} s; ratio {train_s / sum(bare.values()):.2f}x; GRU alone {gru_s:.1f} s = "
          f"{gru_s / bare['gru']:.2f}x its bare loop ({bare['gru']:.1f} s)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--steps", type=int, default=M.Settings().steps)
    args = ap.parse_args()
    for seed in args.seeds:
        one_seed(seed, args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
