"""Produce the shipped pretrained checkpoint(s) in checkpoints/ (plain-array .npz, loaded with allow_pickle=False).

    .venv/bin/python scripts/make_checkpoints.py            # checkpoints/recall_default.npz (a few minutes)

Trains RNN, GRU and LSTM side by side with the Train page's defaults (gru_core.task_training.TrainConfig()), exactly as
the page and `python -m gru_core train` do, and keeps a handful of snapshots for the page's replay slider
(float16; the final weights in float32). The Train page shows this run until the student trains their own.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_core import task_training as TR  # noqa: E402

# Snapshots kept for the replay: dense where the GRU learns to hold (a few hundred steps in), sparse after.
REPLAY_STEPS = (0, 50, 100, 150, 200, 250, 300, 400, 600, 1000)


def main() -> int:
    out = ROOT / "checkpoints"
    out.mkdir(exist_ok=True)
    cfg = TR.TrainConfig()
    t0 = time.perf_counter()
    tr = TR.train(cfg, TR.CELLS)
    path = out / f"{cfg.task}_default.npz"
    TR.save_run(path, tr, snapshot_steps=REPLAY_STEPS)
    loaded = TR.load_run(path)
    for kind in TR.CELLS:
        loss, acc = TR.evaluate_params(kind, loaded.config, loaded.snapshot(kind).params)
        print(f"{kind}: held-out accuracy {acc:.4f} (trainer said {tr.final[kind]['accuracy']:.4f}), "
              f"snapshots at {loaded.view()[kind].snapshot_steps}")
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB) in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
