"""A student's browser tab spoken in Streamlit's own websocket protocol (no browser): what the frontend sends, read
from it (streamlit/frontend: App.tsx ``sendRerunBackMsg``, lib/src/WidgetStateManager.ts) and from the server
(streamlit/web/server/starlette/starlette_websocket.py, runtime/app_session.py).

- Connect to ``/_stcore/stream`` with subprotocol ``streamlit``; every frame is one serialized ``ForwardMsg`` one
  way, one ``BackMsg`` the other.
- First message: ``BackMsg.rerun_script`` = ``ClientState(query_string, page_name=<path>, page_script_hash="")``
  (a deep link before the page list is known); later runs name the page by its ``page_script_hash``.
- Widget states as the frontend keeps them: every slider / toggle / checkbox puts its value in the state when it
  mounts (from its delta: the server's ``value`` if ``set_value`` else the kept state else ``default``); a move
  sends all kept states with the one value changed and ``fragment_id`` = the fragment the widget was drawn in
  (``Delta.fragment_id``); a button press is ``trigger_value`` true in that one message only. After a full run,
  states of widgets that were not drawn are dropped (``removeInactive``). Widgets whose value the frontend keeps as
  an option string (radio, selectbox, segmented) are not touched by a student here and are left out: the server
  keeps their values from the previous run (``SessionState``: new, else old, else default).
- ``auto_rerun`` (a fragment's ``run_every``): rerun that fragment every ``interval`` s with ``is_auto_rerun``,
  until the next full run (``new_session`` whose run names no fragment). ``page_info_changed`` carries the query string the server writes
  (``bind="query-params"``). Cacheable messages are kept by hash and their hashes sent, so the server may answer
  with ``ref_hash``, as it does to a browser.
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
KEPT = {"slider": "double_array_value", "toggle": "bool_value", "checkbox": "bool_value"}


@dataclass
class Widget:
    id: str
    kind: str               # slider | checkbox | button | ...
    label: str
    fragment_id: str
    script_hash: str
    proto: object


@dataclass
class Tab:
    """What the tab has been shown: widgets, charts (spec text by element id), progress texts, errors."""

    widgets: dict[str, Widget] = field(default_factory=dict)
    charts: dict[str, str] = field(default_factory=dict)     # chart key -> spec (JSON), most recent last
    progress: str = ""
    errors: list[str] = field(default_factory=list)
    drawn: set[str] = field(default_factory=set)        # widget ids drawn in the current run


class StreamlitTab:
    """One student's tab: ``open`` a page, ``move`` a slider, ``press`` a button, ``goto`` another page."""

    def __init__(self, base: str):
        self.ws_url = base.replace("http", "ws", 1) + "/_stcore/stream"
        self.tab, self.states = Tab(), {}                  # states: widget id -> WidgetState proto
        self.query, self.page_hash, self.main_hash = "", "", ""
        self.pages: dict[str, str] = {}                    # url_pathname -> page_script_hash
        self.cache: dict[str, ForwardMsg] = {}
        self.finished = asyncio.Event()
        self.changed = asyncio.Event()                     # any chart or progress text changed
        self._ws = self._reader = None
        self._autoreruns: list[asyncio.Task] = []

    async def open(self, page: str, query: str = "") -> None:
        from websockets.asyncio.client import connect

        self._ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None,
                                 open_timeout=120)
        self._reader = asyncio.ensure_future(self._read())
        self.query = query
        await self._rerun(page_name=page)

    async def close(self) -> None:
        for t in self._autoreruns:
            t.cancel()
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _rerun(self, *, fragment_id: str = "", page_name: str = "", page_hash: str | None = None,
                     trigger: str | None = None, auto: bool = False, ids: set[str] | None = None) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string, cs.page_name, cs.fragment_id, cs.is_auto_rerun = self.query, page_name, fragment_id, auto
        cs.page_script_hash = self.page_hash if page_hash is None else page_hash
        for wid, st in self.states.items():
            if ids is None or wid in ids:
                cs.widget_states.widgets.add().CopyFrom(st)
        if trigger is not None:
            w = cs.widget_states.widgets.add()
            w.id, w.trigger_value = trigger, True
        cs.cached_message_hashes.extend(self.cache)
        cs.context_info.timezone, cs.context_info.locale = "UTC", "en-US"
        self.finished.clear()
        await self._ws.send(msg.SerializeToString())

    async def _read(self) -> None:
        try:
            async for frame in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(frame)
                self._handle(msg)
        except Exception as e:  # noqa: BLE001  (a dropped connection is an error of this tab)
            from websockets.exceptions import ConnectionClosedOK

            if not isinstance(e, ConnectionClosedOK):
                self.tab.errors.append(f"websocket: {type(e).__name__}: {e}")

    def _handle(self, msg: ForwardMsg) -> None:
        if msg.HasField("ref_hash"):
            ref = self.cache.get(msg.ref_hash)
            if ref is None:
                self.tab.errors.append("ref_hash for a message this tab never got")
                return
            meta = msg.metadata
            msg = ForwardMsg()
            msg.CopyFrom(ref)
            msg.metadata.CopyFrom(meta)
        elif msg.metadata.cacheable and msg.hash:
            self.cache[msg.hash] = msg
        kind = msg.WhichOneof("type")
        getattr(self, f"_on_{kind}", lambda m: None)(msg)

    def _on_new_session(self, msg: ForwardMsg) -> None:
        ns = msg.new_session
        self.page_hash, self.main_hash = ns.page_script_hash, ns.main_script_hash
        self.pages.update({p.url_pathname: p.page_script_hash for p in ns.app_pages})
        if not msg.metadata.run.fragment_ids:          # a full run (not a fragment's): as the frontend, drop the
            self._stop_autoreruns()                     # fragments' refresh timers and start a new set of widgets
            self.tab.drawn = set()

    def _on_navigation(self, msg: ForwardMsg) -> None:
        self.page_hash = msg.navigation.page_script_hash or self.page_hash
        self.pages.update({p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages})

    def _on_page_info_changed(self, msg: ForwardMsg) -> None:
        self.query = msg.page_info_changed.query_string

    def _on_page_not_found(self, msg: ForwardMsg) -> None:
        self.tab.errors.append(f"page not found: {msg.page_not_found.page_name}")

    def _on_session_event(self, msg: ForwardMsg) -> None:
        if msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.tab.errors.append("script compilation exception")

    def _on_auto_rerun(self, msg: ForwardMsg) -> None:
        self._autoreruns.append(asyncio.ensure_future(self._autorerun(msg.auto_rerun.interval,
                                                                      msg.auto_rerun.fragment_id)))

    def _on_stop_auto_rerun(self, msg: ForwardMsg) -> None:
        self._stop_autoreruns()

    def _on_script_finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            self.tab.errors.append("script finished with a compile error")
        if status == ForwardMsg.FINISHED_SUCCESSFULLY:       # a full run: forget widgets no longer drawn
            self.states = {k: v for k, v in self.states.items() if k in self.tab.drawn}
        if status in FINISHED_OK:
            self.finished.set()

    def _on_delta(self, msg: ForwardMsg) -> None:
        d = msg.delta
        if d.WhichOneof("type") != "new_element":
            return
        el = d.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.tab.errors.append(f"exception on the page: {el.exception.type}: {el.exception.message[:200]}")
        elif kind == "plotly_chart":
            key = el.plotly_chart.id.rsplit("-", 1)[-1]          # the user key ends the element id
            self.tab.charts.pop(key, None)                        # most recently drawn last
            self.tab.charts[key] = el.plotly_chart.spec
            self.changed.set()
        elif kind == "progress":
            self.tab.progress = el.progress.text
            self.changed.set()
        elif kind is not None and hasattr(getattr(el, kind), "id") and getattr(el, kind).id:
            self._mount(kind, getattr(el, kind), d.fragment_id, msg.metadata.active_script_hash)

    def _mount(self, kind: str, proto, fragment_id: str, script_hash: str) -> None:
        """A widget was drawn: keep it, and (like the frontend on mount) its value in the widget states."""
        self.tab.widgets[proto.id] = Widget(proto.id, kind, getattr(proto, "label", ""), fragment_id, script_hash,
                                            proto)
        self.tab.drawn.add(proto.id)
        field_name = KEPT.get(kind) or ("bool_value" if kind == "checkbox" else None)
        if field_name is None:
            return
        kept = self.states.get(proto.id)
        if proto.set_value or kept is None:
            value = proto.value if proto.set_value else proto.default
            self._set(proto.id, field_name, value)

    def _set(self, wid: str, field_name: str, value) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        st = WidgetState(id=wid)
        if field_name == "double_array_value":
            st.double_array_value.data.extend([float(v) for v in value])
        else:
            setattr(st, field_name, value)
        self.states[wid] = st

    def _bind(self, w: Widget, value: float) -> None:
        """A slider bound to the link (``query_param_key``): the frontend writes its value into the address bar, and
        so into the next messages' query string."""
        from urllib.parse import parse_qsl, urlencode

        from streamlit.proto.Slider_pb2 import Slider

        if w.proto.query_param_key:
            q = dict(parse_qsl(self.query, keep_blank_values=True))
            q[w.proto.query_param_key] = str(int(value)) if w.proto.data_type == Slider.INT else f"{value:g}"
            self.query = urlencode(q)

    async def _autorerun(self, interval: float, fragment_id: str) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._rerun(fragment_id=fragment_id, auto=True)

    def _stop_autoreruns(self) -> None:
        for t in self._autoreruns:
            t.cancel()
        self._autoreruns = []

    # --- what a student does -------------------------------------------------------------------------------------

    def widget(self, kind: str, label: str) -> Widget:
        found = [w for w in self.tab.widgets.values() if w.kind == kind and w.label == label and w.id in self.tab.drawn]
        if not found:
            raise LookupError(f"no {kind} labelled {label!r} on the page")
        return found[-1]

    def chart_key(self, key: str) -> str:
        """The most recently drawn chart whose key starts with ``key``."""
        found = [k for k in self.tab.charts if k.startswith(key)]
        if not found:
            raise LookupError(f"no chart with key {key!r} on the page")
        return found[-1]

    async def move(self, label: str, chart_key: str, by: int = 1, to: float | None = None,
                   timeout: float = 120) -> tuple[float, float]:
        """Move the slider ``label`` one step (``by`` steps, or ``to`` a value); seconds from the send until the
        chart ``chart_key`` arrived changed, and until the run finished."""
        w = self.widget("slider", label)
        value = to if to is not None else min(w.proto.max, self.states[w.id].double_array_value.data[0] + by * w.proto.step)
        before = self.tab.charts[self.chart_key(chart_key)]
        self._set(w.id, "double_array_value", [value])
        self._bind(w, value)
        t0 = time.perf_counter()
        await self._rerun(fragment_id=w.fragment_id)
        chart = await self.until(lambda: self.tab.charts[self.chart_key(chart_key)] != before, timeout)
        await asyncio.wait_for(self.finished.wait(), timeout)
        return chart - t0, time.perf_counter() - t0

    async def press(self, label: str, timeout: float = 120) -> None:
        w = self.widget("button", label)
        await self._rerun(fragment_id=w.fragment_id, trigger=w.id)
        await asyncio.wait_for(self.finished.wait(), timeout)

    async def goto(self, path: str, timeout: float = 120) -> float:
        """Open another page in this tab (the navigation menu); seconds until its run finished."""
        ids = {i for i, w in self.tab.widgets.items() if w.script_hash == self.main_hash}
        self.query = ""
        t0 = time.perf_counter()
        await self._rerun(page_hash=self.pages[path], ids=ids)
        await asyncio.wait_for(self.finished.wait(), timeout)
        return time.perf_counter() - t0

    async def first_run(self, timeout: float = 120) -> float:
        t0 = time.perf_counter()
        await asyncio.wait_for(self.finished.wait(), timeout)
        return time.perf_counter() - t0

    async def until(self, condition, timeout: float) -> float:
        """Wait until ``condition()`` holds after a chart/progress message; the time it first held."""
        deadline = time.perf_counter() + timeout
        while True:
            try:
                if condition():
                    return time.perf_counter()
            except LookupError:
                pass
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("the chart did not change")
            await asyncio.wait_for(self.changed.wait(), left)
