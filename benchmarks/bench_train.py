"""Training benchmarks for the Train page (issue 5). Not a test: prints numbers, asserts nothing.

    .venv/bin/python benchmarks/bench_train.py            # both parts (a few minutes on 2 shared cores)
    .venv/bin/python benchmarks/bench_train.py --part targets|overhead|page

targets:  with the page's defaults (gru_core.task_training.TrainConfig()) at delay 100, the GRU's held-out accuracy after
          1,000 steps (target >= 95%, about 20 s at most) and the RNN's with the same steps (target < 60%).
overhead: the page's training loop (a shared lab.background run of the page's TrainJob, polled once a second by a
          thread that does
          what the page does per poll: copy the curves, build both curve figures, and run the engine analysis of
          each new 100-step snapshot) against a plain PyTorch loop doing the same steps on the same batches with
          the same model and optimiser. Reported as a ratio of wall-clock times measured alternately in this one
          process (target <= 1.1x), so load from other processes hits both sides alike.
page:     the real thing: a `streamlit run` server and headless Chromium on this machine, the Train page with
          only the GRU and 400 steps, Train clicked; the page's own "Finished: N steps in S s" against the plain
          loop in this process, alternately. The browser renders on the same 2 cores here (in a classroom it runs
          on the student's machine), so this is an upper bound.
"""
from __future__ import annotations

import argparse
import math
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from gru_core import task_training as TR  # noqa: E402


def first_step_at(history, level: float) -> int | None:
    for s, a in zip(history.eval_step, history.eval_acc):
        if a >= level:
            return s
    return None


def part_targets(seeds: list[int]) -> None:
    print("== targets: page defaults, delayed recall D=100, 1000 steps ==")
    for seed in seeds:
        cfg = replace(TR.TrainConfig(), seed=seed)
        for kind in ("gru", "rnn", "lstm"):
            t0 = time.perf_counter()
            tr = TR.train(cfg, (kind,))
            wall = time.perf_counter() - t0
            f = tr.final[kind]
            hit = first_step_at(tr.runs[kind].history, 0.95)
            print(f"seed {seed} {kind:4s}: held-out accuracy {f['accuracy']:.3f} after {f['steps']} steps, "
                  f"{wall:.1f} s wall ({f['seconds']:.1f} s in training steps); "
                  f">=95% on the live held-out check first at step {hit}", flush=True)


def plain_loop(cfg: TR.TrainConfig, kind: str) -> float:
    """The reference: the same model, batches, Adam and clipping, nothing else."""
    torch.set_num_threads(1)
    model = TR.build_model(kind, cfg)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr)
    spec = cfg.spec
    t0 = time.perf_counter()
    for s in range(cfg.steps):
        b = cfg.batch(s)
        out = model(torch.from_numpy(b.x))
        loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(b.y))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, cfg.clip)
        opt.step()
    return time.perf_counter() - t0


def page_loop(cfg: TR.TrainConfig, kind: str, poll_s: float = 1.0) -> float:
    """The page's loop: a background run on the board + a poller doing the page's per-poll work."""
    from lab.background import Runs
    from lab.figures.training import training_curves
    from lab.models import train as M

    board = Runs(watch_timeout=3600.0)
    run = board.start(("bench", cfg, kind), lambda: M.TrainJob(cfg, (kind,)), session="bench")

    def poll() -> None:
        board.touch(run, "bench")
        v = run.view()
        training_curves(**M.curve_args(v, "accuracy")).to_plotly_json()
        training_curves(**M.curve_args(v, "loss")).to_plotly_json()
        m = v.models[kind]
        snap = m.snapshots[M.snapshot_for(m, 100, M.total_steps(v), live=True)]
        M.cell_inside(cfg, kind, snap.step, 0, snap.params)

    done = threading.Event()

    def poller_main() -> None:
        while not done.wait(poll_s):
            poll()

    t0 = time.perf_counter()
    poller = threading.Thread(target=poller_main, daemon=True)
    poller.start()
    run.join()
    wall = time.perf_counter() - t0
    done.set()
    poller.join()
    return wall


def part_overhead(steps: int, rounds: int, kind: str) -> None:
    cfg = replace(TR.TrainConfig(), steps=steps)
    print(f"== overhead: {kind}, D={cfg.delay}, {steps} steps, {rounds} alternating rounds ==")
    plain, page = [], []
    plain_loop(replace(cfg, steps=20), kind)  # warm-up
    for r in range(rounds):
        plain.append(plain_loop(cfg, kind))
        page.append(page_loop(cfg, kind))
        print(f"round {r + 1}: plain {plain[-1]:.2f} s, page loop {page[-1]:.2f} s, "
              f"ratio {page[-1] / plain[-1]:.3f}", flush=True)
    ratios = [b / a for a, b in zip(plain, page)]
    print(f"median plain {statistics.median(plain):.2f} s, median page loop {statistics.median(page):.2f} s, "
          f"median ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}); "
          f"ratio of sums {sum(page) / sum(plain):.3f}")


def part_page(steps: int, rounds: int) -> None:
    import os
    import re

    os.environ.setdefault("GRU_LAB_PORTS", "8661-8679")
    from scripts.serve import chromium, page_url, running_server, wait_for_app_idle, wait_for_charts

    cfg = replace(TR.TrainConfig(), steps=steps)
    print(f"== page: real server + Chromium, GRU only, D={cfg.delay}, {steps} steps, {rounds} alternating rounds ==")
    ratios = []
    with running_server("app.py") as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.set_default_timeout(600_000)
        page.goto(page_url(base, "train", tr_steps=steps, tr_cells="GRU"))
        wait_for_app_idle(page)
        wait_for_charts(page)
        for r in range(rounds):
            plain = plain_loop(cfg, "gru")
            page.locator('[data-testid="stButton"] button').filter(has_text=re.compile("Train$")).first.click()
            page.wait_for_function("() => document.body.innerText.includes('Training: step')")
            page.wait_for_function("() => document.body.innerText.includes('Finished:')")
            txt = page.inner_text('[data-testid="stMain"]')
            secs = float(re.search(rf"Finished: {steps} steps in ([0-9.]+) s", txt).group(1))
            ratios.append(secs / plain)
            print(f"round {r + 1}: plain loop {plain:.2f} s, page {secs:.2f} s, ratio {ratios[-1]:.3f}", flush=True)
    print(f"median ratio {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--part", choices=("targets", "overhead", "page", "all"), default="all")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--steps", type=int, default=400, help="steps per overhead round")
    p.add_argument("--rounds", type=int, default=4)
    p.add_argument("--cell", default="gru")
    a = p.parse_args(argv)
    torch.set_num_threads(1)          # as the page and the CLI train
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, defaults {TR.TrainConfig()}")
    if a.part in ("targets", "all"):
        part_targets(a.seeds)
    if a.part in ("overhead", "all"):
        part_overhead(a.steps, a.rounds, a.cell)
    if a.part in ("page", "all"):
        part_page(a.steps, a.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
