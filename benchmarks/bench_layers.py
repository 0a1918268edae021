"""The lab's trainable layers (gru_core.layer) against PyTorch's fused nn.GRU / nn.LSTM / nn.RNN, in one run.

    .venv/bin/python benchmarks/bench_layers.py [--repeats 40] [--steps 104] [--batch 64] [--input 6] [--hidden 32]

One thread (torch and BLAS), float32, this thread's CPU time by default (--clock wall for elapsed time), forward + backward of a loss on the last output, every module timed in turn
within each round so that load from other processes hits all alike; prints the median milliseconds of each and its
ratio to nn.GRU and nn.LSTM. Targets (issue 10): the GRU layer at least 2.5x faster than nn.GRU; stretch: no slower
than nn.LSTM.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import common  # noqa: E402,F401  (the repo on sys.path)
import torch  # noqa: E402

from lab.models.compare import step_times  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=40)
    ap.add_argument("--steps", type=int, default=104)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--input", type=int, default=6)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                    help="cpu: this thread's CPU time (default; steady on a shared machine), wall: elapsed time")
    a = ap.parse_args()
    torch.set_num_threads(1)
    clock = time.thread_time if a.clock == "cpu" else time.perf_counter
    ms = step_times(a.input, a.hidden, steps=a.steps, batch=a.batch, repeats=a.repeats, clock=clock)
    print(f"T={a.steps} B={a.batch} I={a.input} H={a.hidden}, float32, one thread, {a.clock} time, "
          f"median of {a.repeats} rounds")
    print(f"| module | forward+backward ms | nn.GRU / it | it / nn.LSTM |\n|---|---|---|---|")
    for name, t in ms.items():
        print(f"| {name} | {t:.2f} | {ms['nn.GRU'] / t:.2f}x | {t / ms['nn.LSTM']:.2f} |")


if __name__ == "__main__":
    main()
