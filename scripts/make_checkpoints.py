"""Produce the shipped pretrained checkpoints in checkpoints/ (plain-array .npz, loaded with allow_pickle=False).

    .venv/bin/python scripts/make_checkpoints.py                    # both (a few minutes each)
    .venv/bin/python scripts/make_checkpoints.py --only nochrono    # checkpoints/recall_nochrono.npz only

default:  RNN, GRU and LSTM side by side with the Train page's defaults (gru_core.task_training.TrainConfig()),
          exactly as the page and `python -m gru_core train` do -> checkpoints/recall_default.npz. The page shows
          this run until the student trains their own.
nochrono: the same run without chrono init -> checkpoints/recall_nochrono.npz: the page's one-click contrast
          ("Same run without chrono init" at the defaults) then shows its finished result at once.
A handful of snapshots is kept for the replay slider (float16; the final weights in float32).
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_core import task_training as TR  # noqa: E402

# Snapshots kept for the replay: dense where the GRU learns to hold (a few hundred steps in), sparse after.
REPLAY_STEPS = (0, 50, 100, 150, 200, 250, 300, 400, 600, 1000)
RUNS = {"default": TR.TrainConfig(), "nochrono": replace(TR.TrainConfig(), chrono=False)}


def make(name: str, cfg: TR.TrainConfig, out: Path) -> None:
    t0 = time.perf_counter()
    tr = TR.train(cfg, TR.CELLS)
    path = out / f"{cfg.task}_{name}.npz"
    TR.save_run(path, tr, snapshot_steps=REPLAY_STEPS)
    loaded = TR.load_run(path)
    for kind in TR.CELLS:
        loss, acc = TR.evaluate_params(kind, loaded.config, loaded.snapshot(kind).params)
        print(f"{name} {kind}: held-out accuracy {acc:.4f} (trainer said {tr.final[kind]['accuracy']:.4f}), "
              f"snapshots at {loaded.view()[kind].snapshot_steps}")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - t0:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=tuple(RUNS), help="make just this one")
    a = p.parse_args(argv)
    out = ROOT / "checkpoints"
    out.mkdir(exist_ok=True)
    for name, cfg in RUNS.items():
        if a.only in (None, name):
            make(name, cfg, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
