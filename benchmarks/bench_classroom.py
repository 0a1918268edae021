"""Thirty students on one server: concurrent sessions against one ``streamlit run app.py`` (localhost only).

    GRU_LAB_PORTS=8871-8899 .venv/bin/python benchmarks/bench_classroom.py        # 28 protocol + 2 Chromium, 10 train
    .venv/bin/python benchmarks/bench_classroom.py --clients browser --sessions 10 --trainers 3   # all real Chromium
    .venv/bin/python benchmarks/bench_classroom.py --profile /tmp/server.prof    # + py-spy of the server (GIL stacks)

Who the students are (``--clients``):
  mixed (default)  ``--browsers`` (2) REAL Chromium contexts (Playwright, one headless Chromium) and the rest
                   protocol clients: the protocol clients supply the load, the browsers show what a student sees on
                   the loaded server (chart drawn and all). 30 Chromium renderers on 2 cores measured the browsers,
                   not the server.
  protocol         every student a client of Streamlit's own websocket protocol (``benchmarks/st_protocol.py``: the
                   BackMsg / ForwardMsg messages the frontend exchanges, widget states, fragment ids, auto-reruns).
  browser          every student a real Chromium context.
The server does the same work for both kinds. Each student opens the lesson and moves its T slider twice (a fragment
rerun), opens the vanishing page and moves T three times (a full rerun), with 0.5-2.5 s of think time before each
move; ``--trainers`` of them then go to the lesson's training step, press Train with its defaults and follow the run
to its end. A browser student opens each page by its link (a new session); a protocol student changes page in its
session, as the navigation menu does. One warm-up session runs alone first (its server memory is the reference),
then all ``--sessions`` arrive over ``--arrive`` seconds.

Printed, per kind: slider -> updated chart p50 / p95 / max, per page. Browser: key press until the chart's data
changed in the page (the DOM). Protocol: the BackMsg sent until the ForwardMsg carrying the changed chart arrived
(and until script_finished): the server's and the network's share, without the browser's drawing. Also: errors
(exceptions on a page, browser page errors, tracebacks in the server log), where unfinished sessions were, the
server's CPU time, the load average and a CPU-contention probe (how long 10 ms of CPU took in wall time at the
server's niceness: on a shared machine the figures measure the machine too), the server's RSS after the warm-up, at
its peak and after the run, and how many training runs the Train presses started (the server log's "lesson: a new
training run" lines). Targets (issue 13): no errors, p95 < 1 s (each kind), memory after <= 1.5x after the first
session, ten Train presses = one run. ``--timeout`` (360 s) bounds the whole benchmark; a session still going then
counts as unfinished.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
from collections import Counter
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.serve import APP_IDLE_JS, LAUNCH_ARGS, running_server  # noqa: E402

START = time.perf_counter()
TRAIN_STEP = 7          # the lesson's training step (lab.models.lesson.STEPS: "train")
CHART_SIGNATURE_JS = """() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  return gd._fullData.map(t => `${t.name}:${t.x ? t.x.length : 0}:${t.y && t.y.length ? t.y[t.y.length - 1] : ''}`)
                     .join('|');
}"""


@dataclass
class Session:
    """What one student's session measured."""

    kind: str = "browser"                                     # "browser" (real Chromium) or "protocol"
    latencies: list[float] = field(default_factory=list)    # s, browser: key press -> chart data changed in the DOM;
    #                                                          protocol: BackMsg sent -> ForwardMsg with the new chart
    finished: list[float] = field(default_factory=list)     # protocol: BackMsg sent -> script_finished
    pages: list[str] = field(default_factory=list)          # the page of each latency
    at: list[float] = field(default_factory=list)           # when each move was made (s since the benchmark began)
    errors: list[str] = field(default_factory=list)
    stage: str = "arriving"                                   # what the session was doing last
    train_seconds: float | None = None
    most_watching: int = 0

    def watch(self, text: str) -> None:
        """Keep the most sessions a training progress text ("running: 12 s, 7 watching") reported."""
        if "watching" in text:
            self.most_watching = max(self.most_watching, int(text.split(",")[-1].split()[0]))


def server_pid(port: int) -> int:
    """Pid of the streamlit process serving ``port`` (from /proc)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(cmd) and str(port).encode() in cmd:
            return int(proc.name)
    raise RuntimeError(f"no streamlit process found for port {port}")


def rss_mb(pid: int) -> float:
    status = (Path("/proc") / str(pid) / "status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time (s) the process has used so far."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        s.pages.append(page.url.split("/")[-1].split("?")[0])
        s.at.append(t0 - START)


async def _train(page, base: str, s: Session) -> None:
    await _goto(page, f"{base}/lesson?lesson_step={TRAIN_STEP}")
    t0 = time.perf_counter()
    await page.get_by_role("button", name="Train (the whole class shares one run)").click()
    while time.perf_counter() - t0 < 600:
        texts = await page.locator('[data-testid="stProgress"]').all_inner_texts()
        text = texts[0] if texts else ""
        s.watch(text)
        if text.startswith("finished"):
            s.train_seconds = time.perf_counter() - t0
            return
        await asyncio.sleep(0.5)
    s.errors.append("training did not finish")


async def browser_student(browser, base: str, i: int, trains: bool, delay: float, s: Session) -> Session:
    rng = random.Random(i)
    await asyncio.sleep(delay)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(180_000)            # a loaded 2-core machine: a first page load can take a minute
    page = await ctx.new_page()
    page.on("pageerror", lambda e: s.errors.append(f"page error: {e}"))
    try:
        s.stage = "opening the lesson"
        await _goto(page, f"{base}/lesson")
        s.stage = "moving the lesson's slider"
        await _move(page, "Sequence length T", s, rng, 2)
        await _check_page(page, s, "lesson")
        s.stage = "opening the vanishing page"
        await _goto(page, f"{base}/vanishing")
        s.stage = "moving the vanishing page's slider"
        await _move(page, "Sequence length T", s, rng, 3)
        await _check_page(page, s, "vanishing")
        if trains:
            s.stage = "training"
            await _train(page, base, s)
            await _check_page(page, s, "lesson training")
        s.stage = "done"
    except Exception as e:  # noqa: BLE001  (a timeout or a missing element is an error of this session)
        s.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200]}")
    finally:
        await ctx.close()
    return s


async def _protocol_moves(tab, s: Session, rng: random.Random, label: str, chart: str, presses: int) -> None:
    for _ in range(presses):
        await asyncio.sleep(rng.uniform(0.5, 2.5))                    # think time
        s.at.append(time.perf_counter() - START)
        chart_s, finished_s = await tab.move(label, chart)
        s.latencies.append(chart_s)
        s.finished.append(finished_s)
        s.pages.append("lesson" if chart.startswith("lesson") else "vanishing")


async def _protocol_train(tab, s: Session, timeout: float) -> None:
    """Jump to the training step with the step slider, press Train, follow the shared run to its end."""
    await tab.goto("lesson")
    await tab.move("Lesson step", "lesson_chart_", to=TRAIN_STEP)
    t0 = time.perf_counter()
    await tab.press("Train (the whole class shares one run)")
    await tab.until(lambda: s.watch(tab.tab.progress) or tab.tab.progress.startswith("finished"), timeout)
    s.train_seconds = time.perf_counter() - t0


async def protocol_student(base: str, i: int, trains: bool, delay: float, s: Session) -> Session:
    """One student as a client of Streamlit's websocket protocol (benchmarks/st_protocol.py): the same actions as
    ``browser_student``, in one tab (pages changed through the navigation, as a click in the menu does)."""
    from benchmarks.st_protocol import StreamlitTab

    rng = random.Random(i)
    await asyncio.sleep(delay)
    tab = StreamlitTab(base)
    try:
        s.stage = "opening the lesson"
        await tab.open("lesson")
        await tab.first_run(timeout=180)
        s.stage = "moving the lesson's slider"
        await _protocol_moves(tab, s, rng, "Sequence length T", "lesson_chart_", 2)
        s.stage = "opening the vanishing page"
        await tab.goto("vanishing", timeout=180)
        s.stage = "moving the vanishing page's slider"
        await _protocol_moves(tab, s, rng, "Sequence length T", "vg_chart_norms", 3)
        if trains:
            s.stage = "training"
            await _protocol_train(tab, s, 600)
        s.stage = "done"
    except Exception as e:  # noqa: BLE001  (a timeout or a missing widget is an error of this session)
        s.errors.append(f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}")
    finally:
        s.errors.extend(tab.tab.errors)
        await tab.close()
    return s


def browser_indices(n: int, clients: str, browsers: int) -> set[int]:
    """Which of the students 1..n are real Chromium contexts: all (browser), none (protocol), or ``browsers`` spread
    evenly over the arrivals (mixed; with 30 and 2: students 10, a trainer, and 20)."""
    if clients == "browser":
        return set(range(1, n + 1))
    if clients == "protocol":
        return set()
    return {round(n * (j + 1) / (browsers + 1)) for j in range(browsers)}


def _py_spy(pid: int, out: Path):
    """Sample the server's stacks that hold the GIL (what the sessions queue for) while the class runs."""
    import shutil
    import subprocess

    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen([exe, "record", "--pid", str(pid), "--format", "raw", "--gil", "--rate", "50",
                             "--nonblocking", "--output", str(out)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def profile_summary(path: Path, top: int = 25) -> list[str]:
    """Share of GIL-holding samples spent inside each function (inclusive), from py-spy's raw (collapsed) output."""
    inclusive, total = Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        total += int(n)
        for frame in set(stack.split(";")):
            inclusive[frame.split(" (")[0] + " (" + frame.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1]] += int(n)
    return [f"{100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)] if total else ["no samples"]


PROBE = """
import time
while True:
    w0, c0 = time.perf_counter(), time.process_time()
    while time.process_time() - c0 < 0.01:
        pass
    print(f"{(time.perf_counter() - w0) / (time.process_time() - c0):.3f}", flush=True)
    time.sleep(0.25)
"""


def _cpu_probe(cpus: set[int] | None = None):
    """A process at the server's niceness (and on its cores) that burns 10 ms of CPU four times a second and prints
    wall / CPU time: 1.0 means a core was free for it, 5 means it waited four times as long as it ran (busy)."""
    import subprocess

    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    return subprocess.Popen([sys.executable, "-c", PROBE], stdout=subprocess.PIPE, text=True, preexec_fn=pin)


def _stretch(probe) -> list[float]:
    probe.terminate()
    out, _ = probe.communicate(timeout=10)
    return sorted(float(x) for x in out.split())


async def _sample(pid: int, peak: list[float]) -> None:
    while True:
        peak[0] = max(peak[0], rss_mb(pid))
        await asyncio.sleep(1.0)


class Meters:
    """What is measured around the class: the server's RSS (peak sampled each second), its CPU time, the load
    average, the CPU-contention probe, the benchmark's own CPU time and (``profile``) py-spy of the server."""

    def __init__(self, pid: int, profile: Path | None, cpus: set[int] | None = None):
        self.pid, self.peak = pid, [0.0]
        self.rss_first, self.cpu0, self.load0 = rss_mb(pid), cpu_seconds(pid), os.getloadavg()
        self.sampler = asyncio.ensure_future(_sample(pid, self.peak))
        self.spy = _py_spy(pid, profile) if profile else None
        self.probe = _cpu_probe(cpus)
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def stop(self) -> dict:
        out = dict(wall=time.perf_counter() - self.t0, client_cpu=time.process_time() - self.c0,
                   load=(self.load0, os.getloadavg()), server_cpu=cpu_seconds(self.pid) - self.cpu0,
                   rss_first=self.rss_first, rss_peak=self.peak[0], stretch=_stretch(self.probe))
        self.sampler.cancel()
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)
            self.spy.wait(timeout=60)
        return out


async def classroom(base: str, port: int, a: argparse.Namespace, budget: float) -> dict:
    """The warm-up session alone, then the class; every session's measurements and the server's (``Meters``)."""
    from playwright.async_api import async_playwright

    real, sessions = browser_indices(a.sessions, a.clients, a.browsers), {}
    pid = server_pid(port)
    async with async_playwright() as p:
        browser = await p.chromium.launch(headless=True, **LAUNCH_ARGS) if real else None

        def student(i: int, delay: float, in_browser: bool) -> asyncio.Future:
            s = sessions[i] = Session(kind="browser" if in_browser else "protocol")
            trains = 1 <= i <= a.trainers
            return asyncio.ensure_future(browser_student(browser, base, i, trains, delay, s) if in_browser else
                                         protocol_student(base, i, trains, delay, s))

        await student(0, 0.0, bool(real))            # the warm-up: one session alone (a browser if any is in the run)
        first, meters = sessions.pop(0), Meters(pid, a.profile, a.server_cpus)
        tasks = [student(i, a.arrive * i / a.sessions, i in real) for i in range(1, a.sessions + 1)]
        done, pending = await asyncio.wait(tasks, timeout=max(budget - (time.perf_counter() - START), 30))
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        measured = meters.stop()
        if browser is not None:
            await browser.close()
    await asyncio.sleep(3)
    return dict(first=first, sessions=list(sessions.values()), unfinished=len(pending), rss_after=rss_mb(pid),
                browsers=sorted(real), **measured)


def _percentiles(xs: list[float]) -> str:
    xs = sorted(xs)
    if not xs:
        return "no measurement"
    p = lambda q: xs[min(len(xs) - 1, int(q * len(xs)))]   # noqa: E731
    return f"{len(xs)} moves, p50 {p(0.5):.3f} s, p95 {p(0.95):.3f} s, max {xs[-1]:.3f} s"


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(0.95 * len(xs)))] if xs else float("nan")


def _latency_lines(sessions: list[Session]) -> list[str]:
    out = []
    for kind, what in (("protocol", "protocol clients, BackMsg sent -> ForwardMsg with the updated chart"),
                       ("browser", "real Chromium, key press -> chart data changed in the page")):
        group = [s for s in sessions if s.kind == kind]
        if not group:
            continue
        out.append(f"slider -> updated chart, {len(group)} {what}: "
                   f"{_percentiles([x for s in group for x in s.latencies])}")
        for page in ("lesson", "vanishing"):
            xs = [x for s in group for x, pg in zip(s.latencies, s.pages) if pg == page]
            out.append(f"    {page}: {_percentiles(xs)}")
        if kind == "protocol":
            out.append(f"    (-> script_finished: {_percentiles([x for s in group for x in s.finished])})")
    return out


def report(r: dict, log: Path, a: argparse.Namespace) -> int:
    sessions, everyone = r["sessions"], [r["first"], *r["sessions"]]
    errors = [e for s in everyone for e in s.errors]
    text = log.read_text(errors="replace") if log.exists() else ""
    tracebacks, runs = text.count("Traceback"), text.count("lesson: a new training run")
    trained = [s.train_seconds for s in sessions if s.train_seconds is not None]
    ratio = r["rss_after"] / r["rss_first"]
    n_real = len(r["browsers"])
    print(f"sessions: {a.sessions} concurrent ({a.sessions - n_real} protocol clients, {n_real} real Chromium "
          f"{r['browsers'] if 0 < n_real < a.sessions else ''}) + 1 warm-up ({r['first'].kind}), "
          f"{r['unfinished']} unfinished, wall {r['wall']:.0f} s")
    if a.server_cpus:
        print(f"cores: the server on {sorted(a.server_cpus)}, the benchmark and its clients on "
              f"{sorted(os.sched_getaffinity(0))}")
    print(f"load average (1 min) {r['load'][0][0]:.1f} at the start, {r['load'][1][0]:.1f} at the end; server CPU "
          f"{r['server_cpu']:.0f} s ({r['server_cpu'] / r['wall']:.2f} cores), benchmark process CPU "
          f"{r['client_cpu']:.1f} s")
    st = r["stretch"]
    if st:
        print(f"CPU contention: a 10 ms CPU probe at the server's niceness took {st[len(st) // 2]:.1f}x (median), "
              f"{st[int(0.9 * len(st))]:.1f}x (p90) its CPU time in wall time (1.0 = a free core)")
    print(f"errors: {len(errors)} in the sessions, {tracebacks} tracebacks in the server log")
    for e in errors[:10]:
        print(f"  - {e}")
    stuck = Counter(f"{s.kind}: {s.stage}" for s in sessions if s.stage != "done")
    if stuck:
        print("unfinished sessions were: " + ", ".join(f"{n} {what}" for what, n in stuck.items()))
    print(f"warm-up session alone: {_percentiles(r['first'].latencies)}")
    print("\n".join(_latency_lines(sessions)))
    print(f"server memory: {r['rss_first']:.0f} MB after the first session, peak {r['rss_peak']:.0f} MB, "
          f"{r['rss_after']:.0f} MB after the run ({ratio:.2f}x)")
    print(f"Train: {a.trainers} presses started {runs} training run(s); {len(trained)} sessions got the result, "
          f"press-to-result {min(trained, default=float('nan')):.1f}-{max(trained, default=float('nan')):.1f} s, "
          f"up to {max((s.most_watching for s in sessions), default=0)} sessions watching one run")
    fast = all(p95([x for s in sessions if s.kind == k for x in s.latencies]) < 1.0
               for k in {s.kind for s in sessions})
    ok = not errors and not tracebacks and not r["unfinished"] and fast and ratio <= 1.5 and runs == 1
    print("targets met" if ok else "targets NOT met")
    return 0 if ok else 1


def _cpus(text: str) -> set[int]:
    """'0' or '0,1': a set of this machine's cores, leaving at least one for the clients."""
    cores = {int(c) for c in text.split(",")}
    if not cores < os.sched_getaffinity(0):
        raise argparse.ArgumentTypeError(f"{text}: not a proper subset of the cores {sorted(os.sched_getaffinity(0))}")
    return cores


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
    ap.add_argument("--clients", choices=["mixed", "protocol", "browser"], default="mixed",
                    help="mixed: --browsers real Chromium students, the rest protocol clients; or all of one kind")
    ap.add_argument("--browsers", type=int, default=2, help="real Chromium students in a mixed run")
    ap.add_argument("--arrive", type=float, default=15.0, help="seconds over which the sessions arrive")
    ap.add_argument("--timeout", type=float, default=360.0, help="stop the whole benchmark after this many seconds")
    ap.add_argument("--train-repeats", type=int, default=1, help="first time the lesson's training alone this often")
    ap.add_argument("--server-cpus", type=_cpus, metavar="0[,1]",
                    help="run the server (and its training process) on these cores only, and this benchmark, its "
                         "browsers and protocol clients on the others: the students' devices are not the server")
    ap.add_argument("--profile", type=Path, help="py-spy the server during the class (GIL-holding stacks) into this "
                                                 "file and print where its time went (needs py-spy)")
    args = ap.parse_args(argv)
    time_lesson_training(args.train_repeats)
    log = Path(f"/tmp/bench_classroom_{int(time.time())}.log")
    from scripts.serve import free_port

    port = free_port()
    if args.server_cpus:
        os.sched_setaffinity(0, os.sched_getaffinity(0) - args.server_cpus)   # browsers and clients inherit it
    with running_server("app.py", port=port, log=log, cpus=args.server_cpus) as base:
        r = asyncio.run(classroom(base, port, args, args.timeout - 20))   # 20 s: the server's start and stop
    print(f"server log: {log}")
    if args.profile:
        print(f"server profile ({args.profile}), share of the GIL-holding samples inside each function:")
        print("\n".join(profile_summary(args.profile)))
    return report(r, log, args)


if __name__ == "__main__":
    sys.exit(main())
