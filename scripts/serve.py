"""Start a real ``streamlit run`` server and drive it with Playwright in Debian's Chromium.

Used by tests/e2e/conftest.py, scripts/screenshots.py and benchmarks/bench_latency.py::

    from scripts.serve import running_server, chromium, wait_for_app_idle
    with running_server("app.py", port=None) as base_url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(base_url + "/vanishing?vg_len=200"); wait_for_app_idle(page)
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
LAUNCH_ARGS = {"executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
# Port range of this tool (team brief: H1 8601-8619). Override with env GRU_LAB_PORTS="8621-8639".
DEFAULT_PORTS = os.environ.get("GRU_LAB_PORTS", "8601-8619")


def app_pages(app: Path = ROOT / "app.py") -> list[str]:
    """Page stems in navigation order, read from app.py's st.Page("pages/<stem>.py", ...) calls."""
    import re

    return re.findall(r'st\.Page\(\s*["\']pages/([A-Za-z0-9_]+)\.py["\']', app.read_text())


def page_url(base: str, stem: str, **params) -> str:
    """URL of a page (the default page is the bare base URL) with query parameters (lists repeat the key)."""
    from urllib.parse import urlencode

    pages = app_pages()
    path = "" if pages and stem == pages[0] else stem
    q = urlencode(params, doseq=True)
    return f"{base}/{path}" + (f"?{q}" if q else "")


def free_port(ports: str = DEFAULT_PORTS) -> int:
    """First port of the range 'a-b' nobody listens on."""
    a, b = (int(p) for p in ports.split("-"))
    for port in range(a, b + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


def wait_healthy(base_url: str, timeout: float = 90.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode} before answering /_stcore/health")
        try:
            with urllib.request.urlopen(base_url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url}/_stcore/health did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def running_server(app: str = "app.py", port: int | None = None, *, cwd: Path = ROOT,
                   log: Path | None = None, extra_args: list[str] | None = None,
                   cpus: set[int] | None = None) -> Iterator[str]:
    """Run ``streamlit run app`` headless on a free port; yields the base URL; stops the server (by its pid).
    cpus: the CPU cores the server (and every process it starts) may run on; None = any."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", app, "--server.headless", "true",
           "--server.port", str(port), "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
           *(extra_args or [])]
    out = open(log, "w") if log else subprocess.DEVNULL
    pin = (lambda: os.sched_setaffinity(0, cpus)) if cpus else None
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
                            preexec_fn=pin)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


@contextlib.contextmanager
def chromium(headless: bool = True):
    """A Playwright Chromium browser using /usr/bin/chromium (no browser download)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(headless=headless, **LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


APP_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app) return false;
  if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const conn = app.getAttribute('data-test-connection-state');
  if (conn && conn !== 'CONNECTED') return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return !!document.querySelector('[data-testid="stMain"]');
}"""


def wait_for_app_idle(page, timeout: float = 60_000) -> None:
    """Wait until the script run is over (stApp notRunning, connected) and no skeleton placeholder is left.

    A fast rerun may never visibly flip to 'running': after an interaction, wait for the change you expect
    (chart data, a text) rather than relying on this alone."""
    page.wait_for_function(APP_IDLE_JS, timeout=timeout)


def wait_for_charts(page, timeout: float = 60_000, at_least: int = 1) -> int:
    """Wait until the page shows at least one figure, a Plotly chart or a drawn picture (stImage: the step-through
    page's cell diagram), and every Plotly chart has drawn (.main-svg); returns how many Plotly charts.
    (Every lab page has a figure; 'at least one' also waits out a run that ended in st.rerun before drawing.
    ``at_least=0``: a view that may hold none, such as a tab of equations.)"""
    page.wait_for_function("""(least) => {
      const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
      const figures = charts.length + document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"]').length;
      return figures >= least && charts.every(c => c.querySelector('.main-svg'));
    }""", arg=at_least, timeout=timeout)
    return page.locator('[data-testid="stPlotlyChart"]').count()


CHART_DATA_JS = """(i) => {
  const divs = [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')];
  const gd = divs[i];
  if (!gd || !gd._fullData) return null;
  const arr = v => (v == null ? null : (typeof v === 'object' && v.length !== undefined ? Array.from(v) : v));
  const mat = v => (v == null ? null : Array.from(v, r => Array.from(r)));
  return gd._fullData.map(t => ({name: t.name ?? null, type: t.type ?? null, x: arr(t.x), y: arr(t.y),
                                 customdata: arr(t.customdata), z: t.z ? mat(t.z) : null,
                                 meta: t.meta ?? null, visible: t.visible}));
}"""


def chart_data(page, i: int = 0) -> list[dict] | None:
    """Traces of the i-th Plotly chart on the page as plain lists, read from the DOM (the plot div's
    ``_fullData``, where Plotly has decoded the typed arrays): name, type, x, y, customdata, z, meta."""
    return page.evaluate(CHART_DATA_JS, i)


def slider_input(page, label_or_index: str | int):
    """The ``input[type=range]`` of a slider, by its label text or its index among stSlider elements."""
    sliders = page.locator('[data-testid="stSlider"]')
    s = sliders.nth(label_or_index) if isinstance(label_or_index, int) else sliders.filter(
        has_text=label_or_index).first
    return s.locator('input[type="range"]').first


def move_slider(page, label_or_index: str | int, presses: int) -> None:
    """Focus a slider and press ArrowRight (presses > 0) or ArrowLeft (presses < 0) that many times."""
    inp = slider_input(page, label_or_index)
    inp.focus()
    key = "ArrowRight" if presses > 0 else "ArrowLeft"
    for _ in range(abs(presses)):
        page.keyboard.press(key)


def location(page) -> str:
    """The address bar as the user sees it (``page.url`` misses Streamlit's history.replaceState updates)."""
    return page.evaluate("location.href")


def python() -> str:
    return sys.executable
