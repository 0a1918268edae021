"""Every control of every page against the trivial app: the `--all-controls` mode of bench_latency.py.

A control is every keyed widget on a page as it first loads (Streamlit puts the class ``st-key-<key>`` on it):
sliders, toggles, number inputs, segmented controls / pills, radios, select boxes, text inputs and tabs that run
only the open tab (a click on another tab; the benchmark moves to the next tab and back). Buttons are
triggers (Train, presets) and are not moved. One "move" per kind: a slider's arrow key, a toggle click, a number
input's arrow key, a click on another option (select box: open it first, the clock starts at the option's click),
text typed + Enter. Moves alternate direction, so after the first two the values are ones seen before (cached).
Closed expanders are opened first, so the controls inside them are measured too.

The clock: the browser's performance.now() just before the move, and the time of the LAST change to the page
(a MutationObserver on the whole document) once the run is over and nothing changed for QUIET_MS. That is "the page
has finished updating", the same definition for the trivial app's slider, whose presses interleave with the lab's.
"""
from __future__ import annotations

import statistics
import time

from scripts.serve import slider_input, wait_for_app_idle

QUIET_MS = 350
CAP_MS = 20_000
KINDS = ("stSlider", "stCheckbox", "stNumberInput", "stButtonGroup", "stRadio", "stSelectbox", "stTextInput",
         "stTabs")

DISCOVER_JS = """(kinds) => {
  const out = [];
  for (const el of document.querySelectorAll('[class*="st-key-"]')) {
    const key = [...el.classList].find(c => c.startsWith('st-key-'));
    const kind = kinds.find(k => el.dataset.testid === k) || kinds.find(k => el.querySelector(`[data-testid="${k}"]`));
    if (!key || !kind || el.closest('[data-testid="stExpander"] details:not([open])')) continue;
    if (kind !== 'stTabs' && el.querySelector(`[class*="st-key-"]`)) continue;   // a container; its widgets are listed
    if (el.getBoundingClientRect().width === 0) continue;          // hidden (a closed tab or popover)
    out.push({key: key.slice(7), kind});
  }
  return out;
}"""

ARM_JS = """() => {
  if (!window.__benchObserver) {
    window.__benchObserver = new MutationObserver(records => {
      window.__benchLast = performance.now();
      if (records.some(r => r.attributeName === 'data-test-script-state'
                       && (r.oldValue === 'running' || r.target.getAttribute(r.attributeName) === 'running')))
        window.__benchRan = true;
    });
    window.__benchObserver.observe(document.documentElement,
        {subtree: true, childList: true, attributes: true, characterData: true, attributeOldValue: true});
  }
  window.__benchLast = 0;
  window.__benchRan = false;
  return performance.now();
}"""

SETTLED_JS = """([t0, quiet, cap]) => {
  const now = performance.now();
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = app && app.getAttribute('data-test-script-state') === 'notRunning';
  return (window.__benchLast > t0 && idle && now - window.__benchLast > quiet) || now - t0 > cap;
}"""


def settle_ms(page, move) -> float | None:
    """Run ``move()`` and return ms from just before it to the last page change (None: no script run followed)."""
    t0 = page.evaluate(ARM_JS)
    move()
    page.mouse.move(1, 1)                      # no Plotly hover label under a pointer left on a chart
    page.wait_for_function(SETTLED_JS, arg=[t0, QUIET_MS, CAP_MS], polling="raf", timeout=CAP_MS + 10_000)
    last, ran = page.evaluate("() => [window.__benchLast, window.__benchRan]")
    return last - t0 if ran and last > t0 else None


def _slider(page, box, n: int) -> None:
    inp = box.locator('input[type="range"]').first
    inp.focus()
    value, lo, hi = (float(inp.get_attribute(a)) for a in ("value", "min", "max"))
    page.keyboard.press("ArrowRight" if (n % 2 == 0 and value < hi) or value <= lo else "ArrowLeft")


def _number(page, box, n: int) -> None:
    """Arrow up / down in the focused field (the + / - buttons only show on hover)."""
    box.get_by_test_id("stNumberInputField").focus()
    page.keyboard.press("ArrowUp" if n % 2 == 0 else "ArrowDown")


OPTIONS = '[data-testid="stRadioOption"], button[data-variant]'
TABS = '[role="tab"]'


def _choice(page, box, n: int, state: dict, options: str = OPTIONS) -> None:
    """Click another option or tab (even moves) and back to the first one chosen (odd moves)."""
    if "home" not in state:
        picked = box.evaluate("""(b, sel) => [...b.querySelectorAll(sel)].map(e => ['data-selected', 'aria-checked',
            'aria-pressed', 'aria-selected'].some(a => e.getAttribute(a) === 'true'))""", options)
        state["home"] = picked.index(True) if True in picked else 0
        state["other"] = next((i for i, p in enumerate(picked) if not p), len(picked) - 1)
    box.locator(options).nth(state["other"] if n % 2 == 0 else state["home"]).click()


def _select(page, box, n: int, state: dict):
    box.locator('button[aria-haspopup="listbox"]').click()
    options = page.locator('[role="option"]')
    options.first.wait_for()
    if "home" not in state:
        texts = options.all_inner_texts()
        current = box.locator('input[role="combobox"]').input_value()
        state["home"] = next((i for i, t in enumerate(texts) if t.strip() == current.strip()), 0)
        state["other"] = 1 if state["home"] == 0 else 0
    return options.nth(state["other"] if n % 2 == 0 else state["home"])


def _text(page, box, n: int, state: dict) -> None:
    inp = box.locator("input").first
    state.setdefault("home", inp.input_value())
    inp.fill(state["home"] + ("x" if n % 2 == 0 else ""))
    inp.press("Enter")


class Control:
    """One keyed control on one page, moved back and forth."""

    def __init__(self, page, key: str, kind: str):
        self.page, self.key, self.kind, self.n, self.state = page, key, kind, 0, {}

    def move_ms(self) -> float | None:
        page, box, n = self.page, self.page.locator(f".st-key-{self.key}").first, self.n
        self.n += 1
        page.bring_to_front()
        if self.kind == "stSelectbox":
            option = _select(page, box, n, self.state)     # opening the list is not timed
            return settle_ms(page, option.click)
        moves = {"stSlider": lambda: _slider(page, box, n), "stNumberInput": lambda: _number(page, box, n),
                 "stCheckbox": lambda: box.locator("label").first.click(),
                 "stButtonGroup": lambda: _choice(page, box, n, self.state),
                 "stRadio": lambda: _choice(page, box, n, self.state),
                 "stTabs": lambda: _choice(page, box, n, self.state, TABS),
                 "stTextInput": lambda: _text(page, box, n, self.state)}
        return settle_ms(page, moves[self.kind])


def trivial_move(page, n: int) -> float | None:
    page.bring_to_front()
    return settle_ms(page, lambda: _slider(page, page.locator(".st-key-freq").first, n))


def open_expanders(page) -> int:
    """Open every closed expander of the page (a student opens them too: the forecast's training settings live in
    one), so their controls are measured as well. Returns how many were opened."""
    opened = 0
    for _ in range(20):
        summary = page.locator('[data-testid="stExpander"] details:not([open]) > summary')
        if summary.count() == 0:
            break
        summary.first.click()
        opened += 1
        wait_for_app_idle(page)
    page.wait_for_timeout(300)
    return opened


def discover(page) -> list[tuple[str, str]]:
    """(key, kind) of every visible keyed control, once two looks 0.5 s apart agree (the page has drawn)."""
    open_expanders(page)
    seen = None
    for _ in range(10):
        wait_for_app_idle(page)
        now = [(c["key"], c["kind"]) for c in page.evaluate(DISCOVER_JS, list(KINDS))]
        if now == seen:
            return now
        seen = now
        page.wait_for_timeout(500)
    return seen


def measure_tabs(labs: dict[str, object], triv_page, presses: int) -> list[dict]:
    """The same page open in one tab per tree (``labs``: tree name -> page; one tree or more). Every control the
    trees all have is moved 1 + presses times in each tree, the trees alternating move by move and each move
    followed by one of the trivial app's slider, so all see the same load and the same browser. Rows: tree, key,
    kind, first (ms), lab / trivial medians (ms), note."""
    names = list(labs)
    found = {n: dict(discover(labs[n])) for n in names}
    rows = []
    for key in [k for k in found[names[0]] if all(k in found[n] for n in names)]:
        ctls = {n: Control(labs[n], key, found[n][key]) for n in names}
        ms = {n: ([], []) for n in names}
        note = ""
        try:
            first = {n: ctls[n].move_ms() for n in names}
            for i in range(presses):
                for n in names:
                    ms[n][0].append(ctls[n].move_ms())
                    ms[n][1].append(trivial_move(triv_page, i))
                    time.sleep(0.1)
            for n in names:
                if ctls[n].n % 2:
                    ctls[n].move_ms()
                wait_for_app_idle(labs[n])
        except Exception as e:  # noqa: BLE001  (a control that cannot be moved is reported, not fatal)
            first, note = {n: None for n in names}, f"{type(e).__name__}: {(str(e).splitlines() or [''])[0][:60]}"
            for n in names:
                labs[n].keyboard.press("Escape")
        for n in names:
            rows.append(dict(tree=n, key=key, kind=found[n][key][2:], first=first[n], lab=_median(ms[n][0]),
                             triv=_median(ms[n][1]), note=note))
    return rows


def _median(ms: list[float | None]) -> float | None:
    ok = [m for m in ms if m is not None]
    return statistics.median(ok) if ok else None


def table(rows: list[dict]) -> str:
    """The printed table (page, control, kind, first ms, lab ms, trivial ms, ratio) and a summary line."""
    fmt = "{:<14} {:<22} {:<12} {:>9} {:>8} {:>10} {:>6}  {}"
    lines = [fmt.format("page", "control", "kind", "first ms", "lab ms", "trivial ms", "ratio", "note")]
    ratios = []
    for r in rows:
        ratio = _ratio(r)
        ratios += [ratio] if ratio else []
        cells = [f"{v:.0f}" if v else "-" for v in (r["first"], r["lab"], r["triv"])]
        note = r["note"] or ("no rerun (disabled?)" if r["lab"] is None else "")
        lines.append(fmt.format(r["page"], r["key"], r["kind"], *cells, f"{ratio:.2f}" if ratio else "-", note))
    if ratios:
        over = sum(q > 1.5 for q in ratios)
        lines.append(f"{len(ratios)} controls: median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f}, "
                     f"{over} over 1.5x")
    return "\n".join(lines)


def _ratio(r: dict) -> float | None:
    return r["lab"] / r["triv"] if r["lab"] and r["triv"] else None


def compare(rows: list[dict], before: str, after: str) -> str:
    """Per page: controls and median (max) ratio in each tree; then the controls present in both trees."""
    lines = ["| page | controls before | median ratio before (max) | controls after | median ratio after (max) |",
             "| --- | --- | --- | --- | --- |"]
    cell = lambda qs: (f"{len(qs)}", f"{statistics.median(qs):.2f} ({max(qs):.2f})" if qs else "-")   # noqa: E731
    for page in dict.fromkeys(r["page"] for r in rows):
        qs = {t: [q for r in rows if r["page"] == page and r["tree"] == t and (q := _ratio(r))] for t in (before, after)}
        lines.append("| " + " | ".join([page, *cell(qs[before]), *cell(qs[after])]) + " |")
    by = {t: {(r["page"], r["key"]): _ratio(r) for r in rows if r["tree"] == t and _ratio(r)} for t in (before, after)}
    both = sorted(set(by[before]) & set(by[after]))
    if both:
        b, a = ([by[t][k] for k in both] for t in (before, after))
        lines.append(f"\nSame controls in both trees: {len(both)}; median ratio before {statistics.median(b):.2f}, "
                     f"after {statistics.median(a):.2f}; over 1.5x: before {sum(q > 1.5 for q in b)}, "
                     f"after {sum(q > 1.5 for q in a)}.")
    allq = {t: list(by[t].values()) for t in (before, after)}
    lines.append(f"All controls: before {len(allq[before])} (over 1.5x: {sum(q > 1.5 for q in allq[before])}), "
                 f"after {len(allq[after])} (over 1.5x: {sum(q > 1.5 for q in allq[after])}).")
    return "\n".join(lines)
