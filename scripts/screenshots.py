"""Full-page screenshots of the lab in headless Chromium against a real `streamlit run` server.

    .venv/bin/python scripts/screenshots.py                                   # every page, 1920x1080 and 1280x800
    .venv/bin/python scripts/screenshots.py --pages home vanishing --sizes 1280x800 --out screenshots/
    .venv/bin/python scripts/screenshots.py --pages vanishing --query "vg_len=300&vg_cells=RNN"   # a shared link
    .venv/bin/python scripts/screenshots.py --themes light,dark               # also the dark theme
    .venv/bin/python scripts/screenshots.py --url http://127.0.0.1:8601       # reuse a running server

Files: <out>/<page>_<WxH>[_<theme>].png. Pages are discovered from app.py (st.Page("pages/<stem>.py")).
The server gets a free port from GRU_LAB_PORTS (default 8601-8619: set your own range).
Each shot waits for the script run to finish and every Plotly chart to draw. Exceptions on the page are reported.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.serve import (app_pages, chromium, page_url, running_server, wait_for_app_idle,  # noqa: E402
                           wait_for_charts)


FULL_HEIGHT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const inner = main ? main.scrollHeight : 0;
  return Math.max(inner, document.documentElement.scrollHeight, window.innerHeight) + 40;
}"""


def url_for(base: str, stem: str, query: str = "") -> str:
    return page_url(base, stem) + (f"?{query}" if query else "")


def shoot(base: str, pages: list[str], sizes: list[tuple[int, int]], out: Path, themes: list[str],
          query: str = "", settle_s: float = 0.5) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    with chromium() as browser:
        for theme in themes:
            for w, h in sizes:
                ctx = browser.new_context(viewport={"width": w, "height": h}, color_scheme=theme)
                page = ctx.new_page()
                for stem in pages:
                    t0 = time.perf_counter()
                    page.goto(url_for(base, stem, query))
                    wait_for_app_idle(page)
                    n = wait_for_charts(page, at_least=0 if query else 1)   # a linked tab may hold no chart
                    time.sleep(settle_s)  # let Plotly finish its transitions
                    wait_for_app_idle(page)
                    # Streamlit scrolls inside its main container, so a "full page" screenshot would stop at the
                    # viewport: grow the viewport to the content height first (width unchanged: no re-layout).
                    full_h = page.evaluate(FULL_HEIGHT_JS)
                    if full_h > h:
                        page.set_viewport_size({"width": w, "height": int(full_h)})
                        time.sleep(settle_s)
                    name = f"{stem}_{w}x{h}" + ("" if theme == "light" else f"_{theme}") + ".png"
                    path = out / name
                    page.screenshot(path=str(path), full_page=True)
                    exc = page.locator('[data-testid="stException"]').all_inner_texts()
                    note = f"  EXCEPTION: {exc[0][:200]!r}" if exc else ""
                    print(f"{path}  ({n} charts, {time.perf_counter() - t0:.1f} s){note}")
                    files.append(path)
                    page.set_viewport_size({"width": w, "height": h})
                ctx.close()
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", nargs="*", help="page stems (default: every page in app.py)")
    ap.add_argument("--sizes", default="1920x1080,1280x800", help="comma-separated WxH")
    ap.add_argument("--out", default=str(ROOT / "screenshots"), help="output folder")
    ap.add_argument("--themes", default="light", help="comma-separated: light,dark (browser colour scheme)")
    ap.add_argument("--query", default="", help="query string applied to every page, e.g. 'vg_len=300'")
    ap.add_argument("--url", default=None, help="base URL of a running server (default: start one)")
    args = ap.parse_args(argv)

    pages = args.pages or app_pages()
    known = app_pages()
    unknown = [p for p in pages if p not in known]
    if unknown:
        print(f"unknown page(s) {unknown}; app.py has {known}", file=sys.stderr)
        return 2
    sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.sizes.split(",") if s]
    themes = [t.strip() for t in args.themes.split(",") if t.strip()]
    out = Path(args.out)
    if args.url:
        shoot(args.url.rstrip("/"), pages, sizes, out, themes, args.query)
    else:
        with running_server("app.py", log=out / "server.log" if out.exists() else None) as base:
            shoot(base, pages, sizes, out, themes, args.query)
    return 0


if __name__ == "__main__":
    sys.exit(main())
