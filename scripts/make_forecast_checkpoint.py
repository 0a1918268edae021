"""Produce checkpoints/forecast_co2.npz: RNN, GRU and LSTM trained with the forecast page's defaults on the monthly
Mauna Loa CO2 series (gru_core.training's plain-array checkpoint: loaded with allow_pickle=False).

    .venv/bin/python scripts/make_forecast_checkpoint.py        # about a minute on 2 cores

The page shows this run at once while its settings are the defaults; any other setting trains live.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gru_core import series as S  # noqa: E402
from gru_core.training import torch_single_thread  # noqa: E402
from lab.models import forecast as M  # noqa: E402


def main() -> int:
    torch_single_thread()            # one thread, as the app trains: the same numbers as the page
    settings = M.Settings()
    data = S.load(settings.series)
    job = M.ForecastJob(data, settings)
    t0 = time.perf_counter()
    job.run(lambda: None)
    seconds = time.perf_counter() - t0
    M.CHECKPOINT.parent.mkdir(exist_ok=True)
    M.save_checkpoint(M.CHECKPOINT, settings, data, job.fit)
    res = M.assemble(data, settings, M.compute_baselines(data, settings.horizon), M.load_checkpoint()[2])
    for row in M.metrics_rows(res):
        print(row)
    print(f"wrote {M.CHECKPOINT} ({M.CHECKPOINT.stat().st_size / 1024:.0f} KB); training took {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
