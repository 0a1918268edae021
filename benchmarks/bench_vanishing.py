"""Speed of the vanishing-gradient page, as multiples of ONE engine `record` call at the same size, in one process.

    .venv/bin/python benchmarks/bench_vanishing.py                 # defaults: T=100, H=32, RNN + GRU + LSTM
    .venv/bin/python benchmarks/bench_vanishing.py --T 500 --H 128 --repeat 3

Measures (median of --repeat runs, caches cold unless said otherwise):
  reference      gru_core.record(make_cell("gru", 1, H), signal("noise", T))          (one call, no Jacobians)
  cell curves    what the page computes per setting: lab.models.vanishing.cell_curves for the three cells
                 (record + GRU Jacobian split + spectral norms + RNN parameter gradient)
  phase sweep    the phase diagram: phase_sweep for RNN and GRU (one batched call of 32 cells each + jacobian_norm)
  figures        building the five figures from those numbers
  page rerun     the real page through AppTest (app.py -> pages/vanishing.py), with the default view and with
                 the phase-diagram view chosen (only the chosen view is computed): cold = st.cache_data
                 cleared before each run, warm = same settings again (cache hits)
Absolute times depend on the machine and its load; the ratios are the result.
"""
from __future__ import annotations

import argparse
import logging
import sys

from common import ROOT, median_ms, page_rerun_ms  # noqa: E402  (benchmarks/common.py: repo on sys.path, the timer)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--H", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-app", action="store_true", help="skip the AppTest page reruns")
    args = ap.parse_args(argv)
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    import gru_core
    import lab.figures.vanishing as F
    import lab.models.vanishing as V

    s = V.Settings(steps=args.T, hidden=args.H)
    cell = gru_core.make_cell("gru", 1, args.H, seed=0)
    x = gru_core.signal("noise", args.T, 1)
    gru_core.record(cell, x)
    ref = median_ms(lambda: gru_core.record(cell, x), max(15, args.repeat))

    curves = {}

    def compute_curves():
        curves.update({k: V.cell_curves(k, s) for k in s.cells})

    phases = {}

    def compute_phase():
        phases.update({k: V.phase_sweep(k, V.phase_key(k, s)) for k in ("rnn", "gru")})

    rows = [("cell curves (RNN+GRU+LSTM)", median_ms(compute_curves, args.repeat)),
            (f"phase sweep (2 x {V.PHASE_SCALES} cells, T={V.phase_sizes(s)[0]}, H={V.phase_sizes(s)[1]})",
             median_ms(compute_phase, args.repeat))]

    def figures():
        res = V.Result(s, curves)
        F.gradient_norm_figure(res)   # with the GRU's update-gate panel
        F.unit_heatmap_figure(res)
        F.phase_figure(phases, {k: curves[k].sigma_max for k in ("rnn", "gru")})
        F.clipping_figure(V.clipping(curves["rnn"], 1.0))

    figures()
    rows.append(("four figures", median_ms(figures, args.repeat)))

    if not args.no_app:
        from streamlit.testing.v1 import AppTest

        for view in ("None", "Phase diagram"):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
            at.query_params.update({"vg_len": str(args.T), "vg_hidden": str(args.H), "vg_view": view})
            at.run()
            at.switch_page("pages/vanishing.py").run()
            if at.exception:
                print(f"page raised: {at.exception[0].message}", file=sys.stderr)
                return 1

            tab = "default view (one chart)" if view == "None" else "phase-diagram view"
            cold_ms, warm_ms = page_rerun_ms(at, args.repeat)
            rows.append((f"page rerun, cold, {tab}", cold_ms))
            rows.append((f"page rerun, warm, {tab}", warm_ms))

    print(f"T={args.T}, H={args.H}; medians of {args.repeat} runs")
    print(f"{'reference: one record(gru) call':<52} {ref:9.2f} ms")
    for name, ms in rows:
        print(f"{name:<52} {ms:9.1f} ms = {ms / ref:7.1f} x reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
