"""Background runs for the app: threads, the server-wide slot limit, the time limit, shared runs and their queue.

The engine trains synchronously (``gru_core.training.fit``); this module runs such work in threads for the pages,
behind ONE protocol, ``Run``, that a live run, a finished (e.g. pretrained) result and a delay sweep all implement,
so a page never branches on what it holds::

    from lab import background as bg

    class MyJob:                                 # any synchronous work, written as a Job
        def run(self, should_stop): ...          # train; call should_stop() often, end when it returns a reason
        def view(self): ...                      # a consistent copy of the result so far (called from other threads)
        def progress(self): ...                  # 0..1

    run = bg.RUNS.start(key, MyJob, session=bg.session_id())   # key: hashable of everything that decides the result
    run.state            # "queued" | "running" | "finished"
    run.queue_position   # 1, 2, ... while queued; 0 otherwise
    run.progress(), run.view(), run.seconds, run.error, run.watchers()
    bg.RUNS.touch(run, session)      # on every poll: "I am still watching"
    bg.RUNS.leave(run, session)      # Stop: this session stops watching; a run nobody watches stops
    pre = bg.RUNS.finished(("checkpoint", name), load)       # a finished result as a Run (loaded once per server)

Shared runs (one server, many students): ``start`` with a key that is already queued or running returns THAT run
(the session becomes one more watcher and follows it live); a key that finished normally is returned at once from a
bounded store (least recently used dropped first; bounded in entries and in bytes when the job's view reports
``nbytes()``). Distinct keys queue (first come, first served) for ``max_running`` slots. A watcher that has not
touched its run for ``watch_timeout`` seconds (a closed tab) stops counting; a run nobody watches stops (a queued
one never starts). Every run stops after ``max_seconds`` (so a forgotten run cannot hold a slot for ever). A run
that was stopped or failed is not kept for others: the next ``start`` with its key trains afresh.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol, runtime_checkable

MAX_RUNNING = 3                 # runs training at the same time in one server process; others queue
MAX_QUEUED = 60                 # beyond this a start is refused with a message (the server is saturated)
MAX_SECONDS = 900.0             # a run stops after 15 min even if somebody still watches it
WATCH_TIMEOUT_S = 60.0          # a session that has not polled its run for this long no longer counts
MAX_FINISHED = 24               # finished results kept for the next session that asks (LRU)
MAX_FINISHED_BYTES = 300 * 2**20
SESSION_KEY = "_lab_session_id"


class Job(Protocol):
    """Synchronous work a ``LiveRun`` runs in its thread."""

    def run(self, should_stop: Callable[[], str | None]) -> None: ...

    def view(self) -> Any: ...

    def progress(self) -> float: ...


@runtime_checkable
class Run(Protocol):
    """What a page holds and polls: a live run, a finished result or a sweep alike."""

    key: Hashable
    error: str                             # what went wrong in the job ("" if nothing)

    @property
    def note(self) -> str: ...             # why it ended early: a stop reason or the error ("" if it completed)

    @property
    def state(self) -> str: ...            # "queued" | "running" | "finished"

    @property
    def queue_position(self) -> int: ...   # 1-based while queued, else 0

    @property
    def seconds(self) -> float: ...        # seconds since it started (0 while queued)

    def progress(self) -> float: ...

    def view(self) -> Any: ...

    def watchers(self) -> int: ...

    def request_stop(self) -> None: ...


class FinishedRun:
    """A result that is already there (a pretrained checkpoint, a stored run): a ``Run`` that never changes."""

    def __init__(self, key: Hashable, result: Any, seconds: float = 0.0):
        self.key, self._result, self._seconds, self.error, self.note = key, result, float(seconds), "", ""

    state = property(lambda self: "finished")
    queue_position = property(lambda self: 0)
    seconds = property(lambda self: self._seconds)

    def progress(self) -> float:
        return 1.0

    def view(self) -> Any:
        return self._result

    def watchers(self) -> int:
        return 0

    def request_stop(self) -> None:
        pass


class LiveRun:
    """A ``Job`` run in its own thread once the board gives it a slot; watched by sessions."""

    def __init__(self, key: Hashable, job: Job, board: "Runs"):
        self.key, self.job, self.board, self.error = key, job, board, ""
        self._state, self._stop, self._started = "queued", "", None
        self._ended: float | None = None
        self._seen: dict[str, float] = {}           # session -> last time it polled
        self.completed = False                      # finished without a stop or an error (worth sharing)
        self.thread: threading.Thread | None = None

    state = property(lambda self: self._state)

    @property
    def queue_position(self) -> int:
        return self.board.position(self)

    @property
    def seconds(self) -> float:
        if self._started is None:
            return 0.0
        return (self._ended or self.board.clock()) - self._started

    @property
    def note(self) -> str:
        """Why it ended early ("" while it runs and when it completed): a stop reason or the error."""
        return self.error or self._stop

    def progress(self) -> float:
        if self._state == "queued":
            return 0.0
        return 1.0 if self._state == "finished" else min(max(float(self.job.progress()), 0.0), 1.0)

    def view(self) -> Any:
        return self.job.view()

    def watchers(self) -> int:
        """Sessions that polled this run within ``watch_timeout`` seconds."""
        now, limit = self.board.clock(), self.board.watch_timeout
        return sum(1 for t in list(self._seen.values()) if now - t <= limit)

    def request_stop(self, reason: str = "stopped by request") -> None:
        self._stop = self._stop or reason

    def should_stop(self) -> str | None:
        """The job's stop test: a request, the time limit, or nobody watching any more (remembered once said)."""
        if not self._stop and self.seconds > self.board.max_seconds:
            self._stop = f"stopped by the server's limit of {self.board.max_seconds:g} s per run"
        if not self._stop and not self.watchers():
            self._stop = "stopped because nobody is watching it any more"
        return self._stop or None

    def start(self) -> None:
        self._state, self._started = "running", self.board.clock()
        self.thread = threading.Thread(target=self._main, name=f"gru-lab-run-{id(self):x}", daemon=True)
        self.thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)

    def _main(self) -> None:
        try:
            self.job.run(self.should_stop)
            self.completed = not self._stop
        except Exception as e:  # never let a background thread die silently: the page shows it
            self.error = f"{type(e).__name__}: {e}"
        finally:
            self._ended, self._state = self.board.clock(), "finished"
            self.board.finish(self)


class ProcessJob:
    """A ``Job`` run in a child process instead of the server's thread: a training loop written in Python holds the
    GIL, and in the server it took a third of the GIL from the students' reruns (py-spy, 30 students, 10 Train
    presses); it also left its imports and allocations in the server's heap. The child (spawn: no fork of a threaded
    server) builds the job from ``make_job`` (picklable: a module-level class or a ``functools.partial`` of one), runs
    it on one torch thread and sends ``(progress, view)`` every ``every`` seconds and at the end; the server's side
    only keeps the newest. ``view()`` is None until the child's first message; ``seconds`` counts from the hand-over.
    With ``prewarm()`` a spare child (torch already imported) takes the job.
    The child calls ``job.run(should_stop=...)`` (so the engine's ``TaskRun`` is a job as it stands)."""

    def __init__(self, make_job: Callable[[], Job], every: float = 0.5):
        self.make_job, self.every = make_job, every
        self._view, self._progress, self._started, self._ended = None, 0.0, None, None

    def view(self) -> Any:
        return self._view

    def progress(self) -> float:
        return self._progress

    @property
    def seconds(self) -> float:
        if self._started is None:
            return 0.0
        return (self._ended or time.monotonic()) - self._started

    def run(self, should_stop: Callable[[], str | None]) -> None:
        proc, jobs, inbox, stop = _take_process()
        self._started = time.monotonic()
        jobs.send((self.make_job, self.every))
        try:
            while not self._receive(inbox, proc):
                if should_stop():
                    stop.set()          # the child's job sees it at its next should_stop() and ends
        finally:
            self._ended = time.monotonic()
            stop.set()
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def _receive(self, inbox, proc) -> bool:
        """Keep the child's next message (waits up to 0.25 s); True once the job has ended."""
        if not inbox.poll(0.25):
            if not proc.is_alive():
                raise RuntimeError(f"the training process ended unexpectedly (exit code {proc.exitcode})")
            return False
        try:
            kind, progress, view = inbox.recv()
        except EOFError:
            raise RuntimeError(f"the training process ended unexpectedly (exit code {proc.exitcode})") from None
        if kind == "error":
            raise RuntimeError(view)
        self._progress, self._view = progress, view
        return kind == "done"


_SPARE: tuple | None = None           # a started child waiting for its job (see prewarm)
_PREWARM: tuple[str, ...] | None = None
_SPARE_LOCK = threading.Lock()


def prewarm(modules: tuple[str, ...] = ("torch",)) -> None:
    """Keep one spare child process started, ``modules`` imported, waiting for the next ``ProcessJob`` (and a new
    spare started whenever one is taken), so a Train press does not wait for Python to start and import torch
    (seconds on a loaded machine). Idempotent; the spare is a daemon and also ends when the server's pipe closes."""
    global _SPARE, _PREWARM
    with _SPARE_LOCK:
        _PREWARM = modules
        if _SPARE is None or not _SPARE[0].is_alive():
            _SPARE = _spawn(modules)


def _spawn(modules: tuple[str, ...]) -> tuple:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")     # no fork of a threaded server
    jobs_in, jobs_out = ctx.Pipe(duplex=False)
    inbox, outbox = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    proc = ctx.Process(target=_child_main, args=(modules, jobs_in, outbox, stop), daemon=True, name="gru-lab-job")
    proc.start()
    jobs_in.close()
    outbox.close()
    return proc, jobs_out, inbox, stop


def _take_process() -> tuple:
    """The spare child if there is a live one (and a new spare behind it), else a fresh child."""
    global _SPARE
    with _SPARE_LOCK:
        spare, _SPARE = _SPARE, None
        if _PREWARM is not None:
            _SPARE = _spawn(_PREWARM)
    return spare if spare is not None and spare[0].is_alive() else _spawn(("torch",))


def _child_main(modules: tuple[str, ...], jobs, outbox, stop) -> None:
    """In the child process: import ``modules``, wait for (make_job, every), run the job; send ("view" | "done",
    progress, view) as it goes, or ("error", 0, text)."""
    import importlib

    for name in modules:
        importlib.import_module(name)
    try:
        make_job, every = jobs.recv()
    except EOFError:                       # the server went away before giving this spare a job
        return
    lock, ended = threading.Lock(), threading.Event()
    try:
        import torch

        torch.set_num_threads(1)                  # one core for the job; the other stays with the server
        job = make_job()

        def send(kind: str) -> None:
            with lock:
                outbox.send((kind, job.progress(), job.view()))

        def pump() -> None:
            while not ended.wait(every):
                send("view")

        threading.Thread(target=pump, name="gru-lab-job-views", daemon=True).start()
        job.run(should_stop=lambda: "stopped" if stop.is_set() else None)
        ended.set()
        send("done")
    except Exception as e:  # the server shows it on the run (LiveRun.error)
        ended.set()
        with lock:
            outbox.send(("error", 0.0, f"{type(e).__name__}: {e}"))


def _nbytes(run: Any) -> int:
    view = run.view()
    return int(view.nbytes()) if hasattr(view, "nbytes") else 0


class Runs:
    """The server-wide board of runs (one per process: ``RUNS``). Thread-safe."""

    def __init__(self, *, max_running: int = MAX_RUNNING, max_queued: int = MAX_QUEUED,
                 max_seconds: float = MAX_SECONDS, watch_timeout: float = WATCH_TIMEOUT_S,
                 max_finished: int = MAX_FINISHED, max_finished_bytes: int = MAX_FINISHED_BYTES,
                 clock: Callable[[], float] = time.monotonic):
        self.max_running, self.max_queued, self.max_seconds = max_running, max_queued, max_seconds
        self.watch_timeout, self.clock = watch_timeout, clock
        self.max_finished, self.max_finished_bytes = max_finished, max_finished_bytes
        self._lock = threading.RLock()
        self._live: dict[Hashable, LiveRun] = {}                  # queued or running, by key
        self._queue: list[LiveRun] = []
        self._done: OrderedDict[Hashable, Any] = OrderedDict()    # finished runs, least recently used first

    def start(self, key: Hashable, make_job: Callable[[], Job], session: str) -> Run:
        """The run for ``key``: the finished one (at once), the live one (joined as a watcher), or a new one
        (queued; it starts when a slot is free). ``make_job()`` is called only for a new run."""
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            run = self._live.get(key)
            if run is None:
                if len(self._queue) >= self.max_queued:
                    raise RuntimeError(f"the server is busy ({len(self._queue)} runs are waiting); try again soon")
                run = self._live[key] = LiveRun(key, make_job(), self)
                self._queue.append(run)
            run._seen[session] = self.clock()
            self._schedule()
            return run

    def finished(self, key: Hashable, load: Callable[[], Any], seconds: float = 0.0) -> Run:
        """A finished result as a ``Run``, made by ``load()`` once and kept in the store (e.g. a checkpoint)."""
        with self._lock:
            if key not in self._done:
                self._keep(key, FinishedRun(key, load(), seconds))
            self._done.move_to_end(key)
            return self._done[key]

    def touch(self, run: Run, session: str) -> None:
        """``session`` still watches ``run`` (call on every poll). A session that left is not added back."""
        seen = getattr(run, "_seen", None)
        if seen is not None and session in seen:
            seen[session] = self.clock()
            with self._lock:
                self._schedule()

    def leave(self, run: Run, session: str) -> None:
        """``session`` stops watching; when nobody watches any more the run stops (or leaves the queue)."""
        seen = getattr(run, "_seen", None)
        if seen is None:
            return
        seen.pop(session, None)
        if not seen:
            run.request_stop()
        with self._lock:
            self._schedule()

    def position(self, run: Run) -> int:
        with self._lock:
            return self._queue.index(run) + 1 if run in self._queue else 0

    def running(self) -> list[LiveRun]:
        with self._lock:
            return [r for r in self._live.values() if r.state == "running"]

    def _schedule(self) -> None:
        """Drop queued runs nobody watches; start queued runs while slots are free."""
        for run in [r for r in self._queue if r._stop or not r.watchers()]:
            self._queue.remove(run)
            self._live.pop(run.key, None)
            run.request_stop("stopped because nobody is watching it any more")
            run._state = "finished"
        free = self.max_running - sum(r.state == "running" for r in self._live.values())
        while free > 0 and self._queue:
            self._queue.pop(0).start()
            free -= 1

    def finish(self, run: LiveRun) -> None:
        """Called by a run's thread when it ends: free its slot, keep a completed result, start the next."""
        with self._lock:
            if self._live.get(run.key) is run:
                del self._live[run.key]
            if run.completed:
                self._keep(run.key, run)
            self._schedule()

    def _keep(self, key: Hashable, run: Any) -> None:
        self._done[key] = run
        self._done.move_to_end(key)
        while len(self._done) > self.max_finished or (
                len(self._done) > 1 and sum(_nbytes(r) for r in self._done.values()) > self.max_finished_bytes):
            self._done.popitem(last=False)


RUNS = Runs()


def session_id() -> str:
    """A random id for this browser session (kept in its session state; no private Streamlit API)."""
    import uuid

    import streamlit as st

    if SESSION_KEY not in st.session_state:
        st.session_state[SESSION_KEY] = uuid.uuid4().hex
    return st.session_state[SESSION_KEY]


# ---------------------------------------------------------------------------------------------------------------
# The page side: a session follows runs in named session-state slots (use these as button callbacks)


def follow(slot: str, key: Callable[[], Hashable], make_job: Callable[[], Job], set_state: dict | None = None,
           board: Runs | None = None) -> None:
    """``on_click`` of a Train button: leave the run this session followed in ``slot``, then start or join the
    run for ``key()`` and keep it in ``st.session_state[slot]``. ``set_state``: widget values to set as well (e.g.
    a one-click contrast that also flips a toggle). A refusal (bad settings, a full queue) lands in
    ``st.session_state[slot + "_error"]`` for the page to show."""
    import streamlit as st

    board = board or RUNS
    leave(slot, board=board)
    st.session_state.update(set_state or {})
    st.session_state.pop(slot + "_error", None)
    try:
        st.session_state[slot] = board.start(key(), make_job, session_id())
    except (ValueError, RuntimeError) as e:
        st.session_state[slot + "_error"] = str(e)


def leave(slot: str, then: Run | None = None, board: Runs | None = None) -> None:
    """``on_click`` of a Stop button: this session stops watching the run in ``slot`` (a run nobody watches
    stops); ``then``: a Run to show instead (e.g. a pretrained result)."""
    import streamlit as st

    run = st.session_state.get(slot)
    if run is not None:
        (board or RUNS).leave(run, session_id())
    if then is not None:
        st.session_state[slot] = then


def show_refusal(slot: str) -> None:
    """The refusal of this session's last start in ``slot`` (``follow``: bad settings, a full queue), if any."""
    import streamlit as st

    if slot + "_error" in st.session_state:
        st.error(st.session_state[slot + "_error"], icon=":material/error:")


def running(slot: str) -> bool:
    """Whether the run this session follows in ``st.session_state[slot]`` is still going."""
    import streamlit as st

    run = st.session_state.get(slot)
    return run is not None and run.state != "finished"


def watch(slot: str, board: Runs | None = None) -> Run | None:
    """The run in ``slot``, marked as still watched by this session (call on every poll)."""
    import streamlit as st

    run = st.session_state.get(slot)
    if run is not None:
        (board or RUNS).touch(run, session_id())
    return run


def watch_all(board: Runs | None = None) -> None:
    """Mark every run this session follows, in any slot of any page, as still watched. app.py calls it on every
    rerun, so a student who moves to another page while a run trains keeps that run."""
    import streamlit as st

    for value in list(st.session_state.values()):
        if isinstance(value, LiveRun):
            (board or RUNS).touch(value, session_id())
