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


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--delays", type=int, nargs="+", default=list(DELAYS))
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--steps", type=int, default=TR.TrainConfig().steps)
    p.add_argument("--out", type=Path, default=ROOT / "checkpoints" / "accuracy_vs_delay.json")
    p.add_argument("--reuse", action="store_true",
                   help="reuse (delay, seed) points already in --out when it was made with the same settings "
                        "(training is deterministic: one thread, seeded data and weights)")
    return p.parse_args(argv)


def _previous(path: Path, base: TR.TrainConfig) -> tuple[dict, float]:
    """(delay, seed) -> {kind: accuracy} already in the table at ``path`` if made with the same settings."""
    prev = json.loads(path.read_text())
    same = lambda cfg: {k: v for k, v in cfg.items() if k not in ("delay", "seed")}  # noqa: E731
    if same(prev["config"]) != same(asdict(base)):
        print("--reuse: the table was made with other settings; recomputing everything")
        return {}, 0.0
    old = {(d, s): {k: prev["cells"][k]["runs"][i][j] for k in TR.CELLS}
           for i, d in enumerate(prev["delays"]) for j, s in enumerate(prev["seeds"])}
    return old, float(prev.get("seconds", 0.0))


def _point(base: TR.TrainConfig, d: int, s: int, old: dict) -> dict[str, float]:
    """Held-out accuracy of every cell at delay d, seed s (reused when already computed)."""
    if (d, s) in old:
        print(f"D={d} seed={s}: reused", flush=True)
        return old[(d, s)]
    tr = TR.train(replace(base, delay=d, seed=s), TR.CELLS)
    acc = {k: tr.final[k]["accuracy"] for k in TR.CELLS}
    print(f"D={d} seed={s}: " + ", ".join(f"{k} {acc[k]:.3f}" for k in TR.CELLS), flush=True)
    return acc


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    base = replace(TR.TrainConfig(), steps=a.steps)
    old, prev_seconds = _previous(a.out, base) if a.reuse and a.out.exists() else ({}, 0.0)
    t0 = time.perf_counter()
    points = [[_point(base, d, s, old) for s in a.seeds] for d in a.delays]
    runs = {k: [[p[k] for p in row] for row in points] for k in TR.CELLS}
    cells = {k: {"mean": [sum(v) / len(v) for v in runs[k]], "min": [min(v) for v in runs[k]],
                 "max": [max(v) for v in runs[k]], "runs": runs[k]} for k in TR.CELLS}
    cfg = {k: v for k, v in asdict(base).items() if k not in ("delay", "seed")}
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
