"""Server-side rerun time of a page, as a multiple of one engine `record` call, measured in one process.

    .venv/bin/python benchmarks/bench_rerun.py --page vanishing                 # defaults: T=100, H=32, gru
    .venv/bin/python benchmarks/bench_rerun.py --page vanishing --query vg_len=300 --ref-T 300
    .venv/bin/python benchmarks/bench_rerun.py --page home --ref-kind rnn --ref-jacobian

Runs the real app.py through AppTest (no browser), switches to the page, and times full script reruns:
  cold  every engine cache cleared before the run (what the first student with new settings waits for),
  warm  same settings again (cache hits: what a rerun costs when nothing changed).
Reference: one `gru_core.record(make_cell(kind, 1, H), signal("noise", T))` call (plus `.jacobian_norm` with
--ref-jacobian). AppTest adds a few ms of polling per run; a trivial one-slider app measures about 5 ms here.
"""
from __future__ import annotations

import argparse
import sys

from common import ROOT, median_ms, page_rerun_ms  # noqa: E402  (benchmarks/common.py: repo on sys.path, the timer)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--page", default="vanishing")
    ap.add_argument("--query", nargs="*", default=[], help="key=value URL parameters for the page")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--ref-kind", default="gru")
    ap.add_argument("--ref-T", type=int, default=100)
    ap.add_argument("--ref-H", type=int, default=32)
    ap.add_argument("--ref-jacobian", action="store_true", help="reference also computes jacobian_norm")
    args = ap.parse_args(argv)

    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from streamlit.testing.v1 import AppTest

    import gru_core
    from scripts.serve import app_pages

    cell = gru_core.make_cell(args.ref_kind, 1, args.ref_H, seed=0)
    x = gru_core.signal("noise", args.ref_T, 1)

    def ref():
        tr = gru_core.record(cell, x)
        if args.ref_jacobian:
            tr.jacobian_norm  # noqa: B018  (computed on access)

    ref()
    ref_ms = median_ms(ref, max(args.repeat, 15))

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for kv in args.query:
        k, _, v = kv.partition("=")
        at.query_params[k] = v
    at.run()
    if args.page != app_pages()[0]:
        at.switch_page(f"pages/{args.page}.py").run()
    if at.exception:
        print(f"page {args.page} raised: {at.exception[0].message}", file=sys.stderr)
        return 1

    cold_ms, warm_ms = page_rerun_ms(at, args.repeat)
    ref_name = f"record({args.ref_kind}, T={args.ref_T}, H={args.ref_H}{', +jacobian_norm' if args.ref_jacobian else ''})"
    print(f"reference {ref_name:<44} {ref_ms:8.2f} ms")
    print(f"page {args.page:<10} cold rerun (caches cleared)            {cold_ms:8.1f} ms  = {cold_ms / ref_ms:6.1f} x reference")
    print(f"page {args.page:<10} warm rerun (cache hits)                {warm_ms:8.1f} ms  = {warm_ms / ref_ms:6.1f} x reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
