"""Thirty students on one server: concurrent browser sessions against one ``streamlit run app.py`` (localhost only).

    GRU_LAB_PORTS=8841-8869 .venv/bin/python benchmarks/bench_classroom.py            # 30 sessions, 10 press Train
    .venv/bin/python benchmarks/bench_classroom.py --sessions 10 --trainers 3 --timeout 300

What it drives: REAL browser contexts (one headless Chromium, one context per student, Playwright's async API), so
each session is a real Streamlit websocket session rendering real charts. First one session runs alone (the warm-up
whose server memory is the reference), then all sessions at once, arriving over ``--arrive`` seconds. Each session
opens the lesson, moves its slider twice, opens the vanishing page and moves its sequence-length slider three times,
with 0.5-2.5 s of think time between actions; ``--trainers`` of them then open the lesson's training step and press
Train with its defaults and wait for the result.

Measured and printed: errors (exceptions on a page, page errors in the browser, tracebacks in the server log);
slider-to-updated-chart time (key press until the chart's data changed in the DOM) p50 / p95 / max; the server's
resident memory after the warm-up session and after the run; how many training runs the Train presses started (the
server log's "lesson: a new training run" lines) and how long the shared run took. Targets (issue 13): no errors,
p95 < 1 s, memory after <= 1.5x after the first session, ten Train presses = one run. The whole benchmark stops after
``--timeout`` seconds (a session that has not finished counts as an error).
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.serve import APP_IDLE_JS, LAUNCH_ARGS, running_server  # noqa: E402

CHART_SIGNATURE_JS = """() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  return gd._fullData.map(t => `${t.name}:${t.x ? t.x.length : 0}:${t.y && t.y.length ? t.y[t.y.length - 1] : ''}`)
                     .join('|');
}"""


@dataclass
class Session:
    """What one student's session measured."""

    latencies: list[float] = field(default_factory=list)    # seconds, slider key press -> chart data changed
    errors: list[str] = field(default_factory=list)
    train_seconds: float | None = None
    most_watching: int = 0


def server_rss_mb(port: int) -> float:
    """Resident memory (MB) of the streamlit process serving ``port`` (from /proc)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            if b"streamlit" in b" ".join(cmd) and str(port).encode() in cmd:
                status = (proc / "status").read_text()
                kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
                return kb / 1024
        except (OSError, StopIteration):
            continue
    raise RuntimeError(f"no streamlit process found for port {port}")


async def _goto(page, url: str) -> None:
    """Open ``url``; readiness is the app's own (script run over, charts drawn), not the browser's load event."""
    await page.goto(url, wait_until="commit")
    await _idle(page)


async def _idle(page) -> None:
    await page.wait_for_function(APP_IDLE_JS, timeout=300_000)
    await page.wait_for_function("""() => { const c = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
                                   return c.length > 0 && c.every(x => x.querySelector('.main-svg')); }""",
                                 timeout=300_000)


async def _check_page(page, s: Session, where: str) -> None:
    n = await page.locator('[data-testid="stException"]').count()
    if n:
        s.errors.append(f"{where}: {n} exception element(s) on the page")


async def _move(page, label: str, s: Session, rng: random.Random, presses: int) -> None:
    """Press ArrowRight on the slider ``label`` ``presses`` times with think time; time each until the chart
    changed."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label).first.locator('input[type="range"]')
    for _ in range(presses):
        await asyncio.sleep(rng.uniform(0.5, 2.5))                    # think time
        before = await page.evaluate(CHART_SIGNATURE_JS)
        await slider.focus()
        t0 = time.perf_counter()
        await page.keyboard.press("ArrowRight")
        await page.wait_for_function(f"(b) => ({CHART_SIGNATURE_JS})() !== b", arg=before, polling="raf",
                                     timeout=60_000)
        s.latencies.append(time.perf_counter() - t0)


async def _train(page, base: str, s: Session) -> None:
    await _goto(page, f"{base}/lesson?lesson_step=7")
    t0 = time.perf_counter()
    await page.get_by_role("button", name="Train (the whole class shares one run)").click()
    while time.perf_counter() - t0 < 600:
        texts = await page.locator('[data-testid="stProgress"]').all_inner_texts()
        text = texts[0] if texts else ""
        if "watching" in text:
            s.most_watching = max(s.most_watching, int(text.split(",")[-1].split()[0]))
        if text.startswith("finished"):
            s.train_seconds = time.perf_counter() - t0
            return
        await asyncio.sleep(0.5)
    s.errors.append("training did not finish")


async def student(browser, base: str, i: int, trains: bool, delay: float) -> Session:
    s, rng = Session(), random.Random(i)
    await asyncio.sleep(delay)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(180_000)            # a loaded 2-core machine: a first page load can take a minute
    page = await ctx.new_page()
    page.on("pageerror", lambda e: s.errors.append(f"page error: {e}"))
    try:
        await _goto(page, f"{base}/lesson")
        await _move(page, "Sequence length T", s, rng, 2)
        await _check_page(page, s, "lesson")
        await _goto(page, f"{base}/vanishing")
        await _move(page, "Sequence length T", s, rng, 3)
        await _check_page(page, s, "vanishing")
        if trains:
            await _train(page, base, s)
            await _check_page(page, s, "lesson training")
    except Exception as e:  # noqa: BLE001  (a timeout or a missing element is an error of this session)
        s.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    finally:
        await ctx.close()
    return s


async def classroom(base: str, port: int, n: int, trainers: int, arrive: float, timeout: float) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(headless=True, **LAUNCH_ARGS)
        first = await student(browser, base, 0, False, 0.0)
        rss_first = server_rss_mb(port)
        t0 = time.perf_counter()
        tasks = [asyncio.ensure_future(student(browser, base, i, i <= trainers, arrive * i / n))
                 for i in range(1, n + 1)]
        done, pending = await asyncio.wait(tasks, timeout=timeout)
        for t in pending:
            t.cancel()
        sessions = [t.result() for t in done]
        wall = time.perf_counter() - t0
        await browser.close()
    await asyncio.sleep(3)
    return dict(first=first, sessions=sessions, unfinished=len(pending), rss_first=rss_first,
                rss_after=server_rss_mb(port), wall=wall)


def report(r: dict, log: Path, n: int, trainers: int) -> int:
    sessions = r["sessions"]
    lat = sorted(x for s in [r["first"], *sessions] for x in s.latencies)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")   # noqa: E731
    errors = [e for s in [r["first"], *sessions] for e in s.errors]
    text = log.read_text(errors="replace") if log.exists() else ""
    tracebacks = text.count("Traceback")
    runs = text.count("lesson: a new training run")
    trained = [s.train_seconds for s in sessions if s.train_seconds is not None]
    ratio = r["rss_after"] / r["rss_first"]
    print(f"sessions: {n} concurrent real Chromium contexts (+1 warm-up), {r['unfinished']} unfinished, "
          f"wall {r['wall']:.0f} s")
    print(f"errors: {len(errors)} in the sessions, {tracebacks} tracebacks in the server log")
    for e in errors[:10]:
        print(f"  - {e}")
    print(f"slider -> updated chart: {len(lat)} moves, p50 {p(0.5):.3f} s, p95 {p(0.95):.3f} s, max {lat[-1]:.3f} s"
          if lat else "slider -> updated chart: no measurement")
    print(f"server memory: {r['rss_first']:.0f} MB after the first session, {r['rss_after']:.0f} MB after the run "
          f"({ratio:.2f}x)")
    print(f"Train: {trainers} presses started {runs} training run(s); {len(trained)} sessions got the result, "
          f"press-to-result {min(trained, default=float('nan')):.1f}-{max(trained, default=float('nan')):.1f} s, "
          f"up to {max((s.most_watching for s in sessions), default=0)} sessions watching one run")
    ok = (not errors and not tracebacks and not r["unfinished"] and lat and p(0.95) < 1.0 and ratio <= 1.5
          and runs == 1)
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


def time_lesson_training(repeats: int = 1) -> list[float]:
    """Seconds of the lesson's training run (RNN + GRU on its default task, lab.models.lesson.TRAIN) in this process,
    one torch thread, as the server runs it (target: within 15 s)."""
    import torch

    from gru_core.task_training import TaskRun
    from lab.models import lesson as L

    torch.set_num_threads(1)
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run = TaskRun(L.TRAIN, L.TRAIN_CELLS).run()
        out.append(time.perf_counter() - t0)
        acc = {k: f"{v['accuracy']:.0%}" for k, v in run.final.items()}
        print(f"lesson training ({L.TRAIN.steps} steps, delay {L.TRAIN.delay}, H {L.TRAIN.hidden_size}): "
              f"{out[-1]:.1f} s, held-out accuracy {acc}", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--trainers", type=int, default=10, help="sessions that press Train in the lesson")
    ap.add_argument("--arrive", type=float, default=15.0, help="seconds over which the sessions arrive")
    ap.add_argument("--timeout", type=float, default=900.0, help="stop the benchmark after this many seconds")
    ap.add_argument("--train-repeats", type=int, default=1, help="first time the lesson's training alone this often")
    args = ap.parse_args(argv)
    time_lesson_training(args.train_repeats)
    log = Path(f"/tmp/bench_classroom_{int(time.time())}.log")
    from scripts.serve import free_port

    port = free_port()
    with running_server("app.py", port=port, log=log) as base:
        r = asyncio.run(classroom(base, port, args.sessions, args.trainers, args.arrive, args.timeout))
    print(f"server log: {log}")
    return report(r, log, args.sessions, args.trainers)


if __name__ == "__main__":
    sys.exit(main())
