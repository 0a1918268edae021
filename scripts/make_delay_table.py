"""Produce checkpoints/accuracy_vs_delay.json: held-out accuracy against delay for RNN, GRU and LSTM.

    .venv/bin/python scripts/make_delay_table.py                       # the shipped table (about 15-30 min here)
    .venv/bin/python scripts/make_delay_table.py --delays 10 50 --seeds 0 --out /tmp/t.json   # a quick one
    .venv/bin/python scripts/make_delay_table.py --reuse     # keep the points already in the table (same settings)

Every point is one run with the Train page's defaults (gru_core.task_training.TrainConfig()) except the delay and seed:
the same recipe as the page and `python -m gru_core train`. The page draws the mean over seeds with min-max bars.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_core import task_training as TR  # noqa: E402

DELAYS = (2, 5, 10, 25, 50, 100, 150, 200)
SEEDS = (0, 1, 2)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--delays", type=int, nargs="+", default=list(DELAYS))
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--steps", type=int, default=TR.TrainConfig().steps)
    p.add_argument("--out", type=Path, default=ROOT / "checkpoints" / "accuracy_vs_delay.json")
    p.add_argument("--reuse", action="store_true",
                   help="reuse (delay, seed) points already in --out when it was made with the same settings "
                        "(training is deterministic: one thread, seeded data and weights)")
    a = p.parse_args(argv)
    base = replace(TR.TrainConfig(), steps=a.steps)
    acc = {k: [[None] * len(a.seeds) for _ in a.delays] for k in TR.CELLS}
    old, prev_seconds = {}, 0.0
    if a.reuse and a.out.exists():
        prev = json.loads(a.out.read_text())
        cfg_prev = {k: v for k, v in prev["config"].items() if k not in ("delay", "seed")}
        cfg_now = {k: v for k, v in asdict(base).items() if k not in ("delay", "seed")}
        if cfg_prev == cfg_now:
            prev_seconds = float(prev.get("seconds", 0.0))
            for i, d in enumerate(prev["delays"]):
                for j, s in enumerate(prev["seeds"]):
                    old[(d, s)] = {k: prev["cells"][k]["runs"][i][j] for k in TR.CELLS}
        else:
            print("--reuse: the table was made with other settings; recomputing everything")
    t0 = time.perf_counter()
    for i, d in enumerate(a.delays):
        for j, s in enumerate(a.seeds):
            if (d, s) in old:
                for k in TR.CELLS:
                    acc[k][i][j] = old[(d, s)][k]
                print(f"D={d} seed={s}: reused", flush=True)
                continue
            tr = TR.train(replace(base, delay=d, seed=s), TR.CELLS)
            for k in TR.CELLS:
                acc[k][i][j] = tr.final[k]["accuracy"]
            print(f"D={d} seed={s}: " + ", ".join(f"{k} {acc[k][i][j]:.3f}" for k in TR.CELLS)
                  + f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
    cells = {k: {"mean": [sum(v) / len(v) for v in acc[k]], "min": [min(v) for v in acc[k]],
                 "max": [max(v) for v in acc[k]], "runs": acc[k]} for k in TR.CELLS}
    cfg = asdict(base)
    cfg.pop("delay")
    cfg.pop("seed")
    table = dict(delays=a.delays, seeds=a.seeds, cells=cells, chance=base.spec.chance_accuracy,
                 config={**cfg, "delay": base.delay, "seed": 0}, eval_size=TR.EVAL_SIZE,
                 seconds=round(prev_seconds + time.perf_counter() - t0, 1),   # training time of every point
                 produced_by="scripts/make_delay_table.py")
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(table, indent=1))
    print(f"wrote {a.out} in {table['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
