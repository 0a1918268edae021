"""Produce checkpoints/compare_table.json: held-out accuracy of every cell kind at one parameter budget, against
the delay, over a few seeds (the /compare page shows it at once, beside the live run).

    .venv/bin/python scripts/make_compare_table.py                    # the shipped table (about 10 min of CPU; longer on a busy machine)
    .venv/bin/python scripts/make_compare_table.py --delays 10 --seeds 0 --steps 50 --out /tmp/t.json   # quick

Every point trains all kinds side by side, each at the hidden size whose parameter count is closest to the
budget, on the same batches (lab.models.compare.CompareJob: gru_core.task_training's recipe, the Train page's
defaults otherwise: Adam lr 0.01, clip 1, batch 64, chrono init where the kind has a keep-gate bias).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.models import compare as M  # noqa: E402

DELAYS, SEEDS = (5, 20, 50), (0, 1)


def point(settings: M.Settings) -> tuple[dict[str, float], tuple]:
    job = M.CompareJob(settings, M.KINDS)
    job.run(lambda: None)
    views = job.view()
    return {k: float(v.final["accuracy"]) for k, v in views.items()}, job.matches


def write(a, runs: dict, matches, done: list, seconds: float, argv) -> None:
    """The table of the points done so far (a delay counts once all its seeds are done)."""
    full = [i for i, d in enumerate(a.delays) if all((d, s) in done for s in a.seeds)]
    cells = {k: {"mean": [sum(runs[k][i]) / len(runs[k][i]) for i in full], "min": [min(runs[k][i]) for i in full],
                 "max": [max(runs[k][i]) for i in full], "runs": [runs[k][i] for i in full]} for k in M.KINDS}
    settings = asdict(M.train_config(M.Settings(task=a.task, steps=a.steps)))
    for name in ("delay", "seed", "hidden_size"):
        settings.pop(name)
    out = dict(delays=[a.delays[i] for i in full], seeds=a.seeds, budget=a.budget, settings=settings,
               sizes={m.kind: {"hidden": m.hidden, "parameters": m.count} for m in matches}, cells=cells,
               seconds=round(seconds, 1), command="python scripts/make_compare_table.py " + " ".join(argv or sys.argv[1:]))
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(out, indent=1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--delays", type=int, nargs="+", default=list(DELAYS))
    p.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    p.add_argument("--budget", type=int, default=5_000)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--task", default="recall", choices=M.Settings.TASKS)
    p.add_argument("--out", type=Path, default=M.TABLE)
    a = p.parse_args(argv)
    runs = {k: [[None] * len(a.seeds) for _ in a.delays] for k in M.KINDS}
    t0, done = time.time(), []
    for i, d in enumerate(a.delays):
        for j, s in enumerate(a.seeds):
            acc, matches = point(M.Settings(task=a.task, delay=d, seed=s, budget=a.budget, steps=a.steps))
            for k in M.KINDS:
                runs[k][i][j] = acc[k]
            done.append((d, s))
            print(f"D={d} seed={s}: " + ", ".join(f"{k} {acc[k]:.3f}" for k in M.KINDS), flush=True)
            write(a, runs, matches, done, time.time() - t0, argv)     # after every point: a partial table is kept
    print(f"wrote {a.out} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
