"""Slider-to-chart latency in real Chromium: a lab page against the trivial one-slider app, same run.

    .venv/bin/python benchmarks/bench_latency.py                       # --page vanishing, its first slider/chart
    .venv/bin/python benchmarks/bench_latency.py --page home --slider "GRU update-gate bias" --presses 20
    .venv/bin/python benchmarks/bench_latency.py --page vanishing --query "vg_len=300" --chart 1
    .venv/bin/python benchmarks/bench_latency.py --all-controls            # every control of every page: a table
    .venv/bin/python benchmarks/bench_latency.py --all-controls --root /tmp/base --pages home train   # another tree
    .venv/bin/python benchmarks/bench_latency.py --all-controls --root /tmp/before .   # before and after, one run

One measurement = focus the slider, press ArrowRight (or ArrowLeft, alternating so the value stays in range), and
wait (requestAnimationFrame polling in the page) until the chart's data differs from before. The clock is the
browser's performance.now(), read just before the key press and once the new data is seen. Both apps run as real
`streamlit run` servers on this machine at the same time, each in its own tab of one browser, and the presses
alternate between them so both see the same machine load. Target: lab median
<= 1.5 x trivial median. The ratio is the result; the absolute numbers depend on the machine and its load.
``--all-controls``: every keyed control of every page of app.py in turn, each against the trivial app's slider
(benchmarks/controls_latency.py says how a control is moved and what is timed). With several trees all are served at
once and each page is open in one tab per tree: every control is moved in one tree, then in the next, move by
move, each followed by a move of the trivial app's slider, so the trees see the same load.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.controls_latency import compare, measure_tabs, table  # noqa: E402
from scripts.serve import (app_pages, chromium, page_url, running_server, slider_input,  # noqa: E402
                           wait_for_app_idle, wait_for_charts)

SIGNATURE_JS = """(i) => {
  const gd = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')][i];
  if (!gd || !gd._fullData) return null;
  let s = 0, n = 0;
  for (const t of gd._fullData) for (const k of ['y', 'z', 'customdata', 'x']) {
    const v = t[k]; if (!v || v.length === undefined) continue;
    for (const e of v) { if (typeof e === 'number' && isFinite(e)) { s += e * (n % 7 + 1); } n++; }
  }
  return s + ':' + n;
}"""

class Target:
    """One page in its own tab: a slider to press and a chart that must change."""

    def __init__(self, page, url: str, slider: str | int, chart: int):
        self.page, self.url, self.slider, self.chart = page, url, slider, chart
        page.goto(url)
        wait_for_app_idle(page)
        wait_for_charts(page)
        if page.locator('[data-testid="stPlotlyChart"]').count() <= chart:
            raise SystemExit(f"{url}: no chart #{chart} on the page")
        self.n = 0

    def press_once(self) -> float:
        """Press the slider's arrow key once; ms from the key press to the frame where the chart data changed."""
        page = self.page
        page.bring_to_front()
        inp = slider_input(page, self.slider)
        inp.focus()
        value, lo, hi = (float(inp.get_attribute(a)) for a in ("value", "min", "max"))
        key = "ArrowRight" if (self.n % 2 == 0 and value < hi) or value <= lo else "ArrowLeft"
        self.n += 1
        before = page.evaluate(SIGNATURE_JS, self.chart)
        t_press = page.evaluate("() => performance.now()")
        page.keyboard.press(key)  # trusted key events (React Aria's slider listens to those)
        page.wait_for_function(f"([i, b]) => ({SIGNATURE_JS})(i) !== b", arg=[self.chart, before], polling="raf",
                               timeout=60_000)
        t_seen = page.evaluate("() => performance.now()")
        wait_for_app_idle(page)
        return t_seen - t_press


def summary(name: str, ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=10) if len(ms) >= 10 else [min(ms)] * 9
    return (f"{name:<28} median {statistics.median(ms):7.1f} ms   p10 {q[0]:7.1f}   p90 {q[-1]:7.1f}   "
            f"n={len(ms)}")


def all_controls(args) -> int:
    """Every control of every page (or of --pages) of each --root, each interleaved with the trivial app's slider
    in the same browser and run; prints one table per tree and, with two trees, the per-page comparison."""
    roots = [Path(r).resolve() for r in args.root]
    w, h = (int(v) for v in args.viewport.split("x"))
    with chromium() as browser, running_server("benchmarks/trivial_app.py") as triv_base:
        ctx = browser.new_context(viewport={"width": w, "height": h})
        triv = ctx.new_page()
        triv.goto(triv_base + "/")
        wait_for_charts(triv)
        rows = _tree_rows(ctx, triv, roots, args)
        ctx.close()
    for root in roots:
        print(f"\n== {root} ==")
        print(table([r for r in rows if r["tree"] == root.name]))
    if len(roots) == 2:
        print("\n" + compare(rows, roots[0].name, roots[1].name))
    return 0


def _tree_rows(ctx, triv, roots: list[Path], args) -> list[dict]:
    """Every tree served at once; each page open in one tab per tree that has it, and its controls' moves alternated
    between those tabs (``measure_tabs``); a page that does not load is a row, the others still run."""
    pages = {root.name: app_pages(root / "app.py") for root in roots}
    stems = list(dict.fromkeys(s for root in reversed(roots) for s in pages[root.name]))
    out = []
    with contextlib.ExitStack() as stack:
        bases = {root.name: stack.enter_context(running_server("app.py", cwd=root)) for root in roots}
        for stem in [s for s in (args.pages or stems) if s in stems]:
            labs = {}
            try:
                for name in [n for n in bases if stem in pages[n]]:
                    labs[name] = ctx.new_page()
                    labs[name].goto(f"{bases[name]}/{'' if stem == pages[name][0] else stem}")
                    wait_for_app_idle(labs[name])
                    wait_for_charts(labs[name])
                measured = measure_tabs(labs, triv, args.presses or 4)
            except Exception as e:  # noqa: BLE001  (a page that does not load is reported; the others still run)
                measured = [dict(tree=n, key="(page)", kind="--", first=None, lab=None, triv=None, note=_why(e))
                            for n in labs]
            for r in measured:
                out.append({"page": stem, **r})
                print(f"  {r['tree']} {stem} {r['key']}: lab {r['lab']} trivial {r['triv']} {r['note']}", flush=True)
            for tab in labs.values():
                tab.close()
    return out


def _why(e: Exception) -> str:
    first = (str(e).splitlines() or [""])[0]
    return f"{type(e).__name__}: {first[:80]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all-controls", action="store_true", help="every control of every page: a table")
    ap.add_argument("--root", nargs="+", default=[str(ROOT)],
                    help="--all-controls: the app's folder(s) (default this repo); two = before and after, one run")
    ap.add_argument("--pages", nargs="*", help="--all-controls: page stems (default every page of app.py)")
    ap.add_argument("--page", default="vanishing", help="lab page stem (default vanishing)")
    ap.add_argument("--slider", default="0", help="slider label text or index on the lab page (default 0)")
    ap.add_argument("--chart", type=int, default=0, help="index of the chart that must update (default 0)")
    ap.add_argument("--query", default="", help="query string for the lab page, e.g. 'vg_len=100'")
    ap.add_argument("--presses", type=int, help="presses per control (default 15; --all-controls: 4)")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--viewport", default="1280x800")
    args = ap.parse_args(argv)
    if args.all_controls:
        return all_controls(args)
    slider: str | int = int(args.slider) if args.slider.isdigit() else args.slider
    w, h = (int(v) for v in args.viewport.split("x"))

    results: dict[str, list[float]] = {}
    with chromium() as browser, running_server("benchmarks/trivial_app.py") as triv_base, \
            running_server("app.py") as lab_base:
        ctx = browser.new_context(viewport={"width": w, "height": h})
        url = page_url(lab_base, args.page)
        if args.query:
            url += ("&" if "?" in url else "?") + args.query
        targets = {"trivial app": Target(ctx.new_page(), triv_base + "/", 0, 0),
                   f"lab: {args.page}": Target(ctx.new_page(), url, slider, args.chart)}
        # Interleave the two apps press by press, so both see the same machine load (2 shared cores).
        for n in range(args.warmup + (args.presses or 15)):
            for name, t in targets.items():
                ms = t.press_once()
                if n >= args.warmup:
                    results.setdefault(name, []).append(ms)
                time.sleep(0.15)
        ctx.close()

    for name, ms in results.items():
        print(summary(name, ms))
    triv, lab = (statistics.median(v) for v in results.values())
    ratio = lab / triv
    print(f"ratio lab/trivial = {ratio:.2f}  (target <= 1.5: {'OK' if ratio <= 1.5 else 'OVER'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
