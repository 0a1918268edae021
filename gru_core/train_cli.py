"""``python -m gru_core train``: train one cell on a memory task exactly as the Train page does; prints the
held-out result (one JSON object with ``--json``). Exit code 0, or 1 if training diverged, 2 for bad options."""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict

from .task_training import EVAL_SIZE, KINDS, TrainConfig, train
from .tasks import DELAY_MAX, TASKS
from .training import torch_single_thread


def _parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = argparse.ArgumentParser(prog="python -m gru_core train",
                                description="Train one cell on a long-memory task exactly as the Train page does.")
    p.add_argument("--task", choices=TASKS, default=d.task)
    p.add_argument("--delay", type=int, default=d.delay, help=f"delay D, 1..{DELAY_MAX} (default {d.delay})")
    p.add_argument("--cell", choices=KINDS, default="gru")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--steps", type=int, default=d.steps, help="training steps (default %(default)s)")
    p.add_argument("--time-budget", type=float, default=None, metavar="SEC",
                   help="also stop after SEC seconds of training")
    p.add_argument("--hidden", type=int, default=d.hidden_size, help="hidden size H (default %(default)s)")
    p.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate (default %(default)s)")
    p.add_argument("--clip", type=float, default=d.clip, help="gradient-norm clip, 0 = none (default %(default)s)")
    p.add_argument("--no-chrono", dest="chrono", action="store_false",
                   help="PyTorch default init of the update/forget gate instead of chrono init")
    p.add_argument("--update-bias", type=float, default=d.update_bias,
                   help="added to the GRU update-gate / LSTM forget-gate bias, positive = keep (default 0)")
    p.add_argument("--batch", type=int, default=d.batch_size)
    p.add_argument("--symbols", type=int, default=d.n_symbols, help="recall: K symbols (default %(default)s)")
    p.add_argument("--noise", type=float, default=d.noise, help="recall: distractor noise std (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def _config(a: argparse.Namespace) -> TrainConfig:
    return TrainConfig(task=a.task, delay=a.delay, hidden_size=a.hidden, lr=a.lr, steps=a.steps,
                       time_budget=a.time_budget, clip=a.clip, chrono=a.chrono, update_bias=a.update_bias,
                       batch_size=a.batch, seed=a.seed, n_symbols=a.symbols, noise=a.noise)


def _report(cell: str, cfg: TrainConfig, f: dict, stop_reason: str, seconds: float) -> dict:
    spec = cfg.spec
    return dict(task=cfg.task, delay=cfg.delay, cell=cell, seed=cfg.seed, steps=f["steps"],
                accuracy=f["accuracy"], loss=f["loss"], loss_name=spec.loss_name, chance_accuracy=spec.chance_accuracy,
                baseline_loss=spec.baseline_loss, seconds=round(seconds, 3), train_seconds=round(f["seconds"], 3),
                status=f["status"], message=f["message"], stop_reason=stop_reason, eval_size=EVAL_SIZE,
                config=asdict(cfg))


def cli_main(argv: list[str]) -> int:
    try:
        a = _parser().parse_args(argv)
    except SystemExit as e:
        return int(e.code or 0)
    try:
        cfg = _config(a)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    torch_single_thread()         # imports (torch takes ~2 s) are not part of the timing
    t0 = time.perf_counter()
    run = train(cfg, (a.cell,))
    seconds = time.perf_counter() - t0      # building the model, every training step, the held-out checks
    f = run.final[a.cell]
    out = _report(a.cell, cfg, f, run.stop_reason, seconds)
    if a.json:
        print(json.dumps(out))
    else:
        print(f"{a.cell} on {cfg.task} (delay {cfg.delay}): held-out accuracy {f['accuracy']:.3f} "
              f"(chance {out['chance_accuracy']:.3f}), {out['loss_name']} {f['loss']:.4g} "
              f"(baseline {out['baseline_loss']:.4g}), {f['steps']} steps in {seconds:.1f} s [{f['status']}]")
        if f["message"]:
            print(f["message"])
    return 0 if f["status"] != "diverged" else 1
