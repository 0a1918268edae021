"""lab.background: one Run protocol for live, finished and swept work; shared runs per key; a bounded store of
finished results; a queue with positions; watchers that leave; a run nobody watches stops. Tiny jobs, no training."""
import os
import threading
import time
from functools import partial

import pytest

from lab import background as bg
from lab.background import FinishedRun, LiveRun, ProcessJob, Run, Runs


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


class Job:
    """Counts steps until released (``done``) or stopped; its view is the count."""

    made = 0

    def __init__(self, steps=10**9, nbytes=0):
        Job.made += 1
        self.steps, self.count, self.release, self._nbytes = steps, 0, threading.Event(), nbytes
        self.stopped_by = None

    def run(self, should_stop):
        while self.count < self.steps:
            why = should_stop()
            if why:
                self.stopped_by = why
                return
            if self.release.is_set():
                return
            self.count += 1
            time.sleep(0.001)

    def view(self):
        return self

    def nbytes(self):
        return self._nbytes

    def progress(self):
        return min(self.count / self.steps, 1.0)


def wait(cond, timeout=10.0):
    t0 = time.time()
    while not cond():
        assert time.time() - t0 < timeout, "timed out"
        time.sleep(0.005)


@pytest.fixture
def board():
    b = Runs(max_running=2, watch_timeout=30.0, clock=Clock())
    yield b
    for r in list(b._live.values()):
        r.request_stop()
        r.join(5)


def finish(run):
    run.job.release.set()
    run.join(5)


def test_identical_keys_share_one_run_that_every_session_follows(board):
    made = Job.made
    a = board.start("k", Job, session="s1")
    b = board.start("k", Job, session="s2")
    assert a is b and Job.made == made + 1 and a.watchers() == 2
    wait(lambda: a.job.count > 3)
    assert a.state == "running" and 0 <= a.progress() < 1


def test_a_finished_run_is_returned_at_once_from_the_store(board):
    a = board.start("k", lambda: Job(steps=5), session="s1")
    a.join(5)
    assert a.state == "finished" and a.completed and a.progress() == 1.0
    made = Job.made
    again = board.start("k", Job, session="s9")
    assert again is a and Job.made == made and again.view().count == 5


def test_the_store_drops_the_least_recently_used_result_and_is_bounded_in_bytes():
    b = Runs(max_finished=2, max_finished_bytes=1000, clock=Clock())
    for key in ("a", "b"):
        b.start(key, lambda: Job(steps=1, nbytes=100), session="s").join(5)
    b.start("a", Job, session="s")                 # a is used again: b is now the oldest
    b.start("c", lambda: Job(steps=1, nbytes=100), session="s").join(5)
    assert list(b._done) == ["a", "c"]
    b.start("big", lambda: Job(steps=1, nbytes=950), session="s").join(5)
    assert list(b._done) == ["big"]                # bytes over the budget: older results dropped
    pre = b.finished(("checkpoint", "x"), lambda: "weights")
    assert isinstance(pre, FinishedRun) and pre.view() == "weights"
    assert b.finished(("checkpoint", "x"), lambda: 1 / 0) is pre     # loaded once


def test_distinct_runs_queue_with_their_position_and_start_when_a_slot_frees(board):
    runs = [board.start(k, Job, session="s") for k in "abcd"]
    assert [r.state for r in runs] == ["running", "running", "queued", "queued"]
    assert [r.queue_position for r in runs] == [0, 0, 1, 2]
    assert runs[2].progress() == 0.0 and runs[2].seconds == 0.0
    finish(runs[0])
    wait(lambda: runs[2].state == "running")
    assert runs[3].queue_position == 1 and len(board.running()) == 2


def test_a_session_that_leaves_stops_counting_and_a_run_nobody_watches_stops(board):
    run = board.start("k", Job, session="s1")
    board.start("k", Job, session="s2")
    board.leave(run, "s1")
    assert run.watchers() == 1 and run.state == "running"
    board.touch(run, "s1")                         # a session that left is not added back by its next poll
    assert run.watchers() == 1
    board.leave(run, "s2")
    run.join(5)
    assert run.state == "finished" and run.job.stopped_by == "stopped by request" and not run.completed
    assert "k" not in board._done                  # a stopped run is not shared: the next start trains afresh
    assert board.start("k", Job, session="s3") is not run


def test_a_closed_tab_stops_counting_after_the_watch_timeout_and_the_run_stops(board):
    run = board.start("k", Job, session="s1")
    wait(lambda: run.job.count > 0)
    board.clock.t += 20
    board.touch(run, "s1")
    board.clock.t += 20                            # 20 s since the last poll: still watching
    assert run.watchers() == 1 and run.state == "running"
    board.clock.t += 15                            # 35 s: gone
    run.join(5)
    assert run.job.stopped_by == "stopped because nobody is watching it any more" and run.note


def test_a_queued_run_nobody_watches_never_starts(board):
    busy = [board.start(k, Job, session="s") for k in "ab"]
    q = board.start("q", Job, session="gone")
    board.leave(q, "gone")
    assert q.state == "finished" and q.queue_position == 0 and q.job.count == 0
    finish(busy[0])
    assert "q" not in board._live


def test_every_run_stops_at_the_time_limit_with_a_note():
    b = Runs(max_seconds=10, clock=Clock())
    run = b.start("k", Job, session="s")
    wait(lambda: run.job.count > 0)
    b.clock.t += 11
    b.touch(run, "s")
    run.join(5)
    assert run.job.stopped_by == "stopped by the server's limit of 10 s per run" and run.note == run.job.stopped_by


def test_an_error_in_a_job_is_kept_on_the_run_and_frees_the_slot(board):
    class Broken(Job):
        def run(self, should_stop):
            raise RuntimeError("out of memory")

    run = board.start("k", Broken, session="s")
    run.join(5)
    assert run.error == "RuntimeError: out of memory" and run.state == "finished" and board.running() == []


def test_live_and_finished_runs_implement_one_protocol(board):
    live = board.start("k", Job, session="s")
    for r in (live, FinishedRun("p", "result")):
        assert isinstance(r, Run)
        for name in ("state", "queue_position", "seconds", "note", "error"):
            getattr(r, name)
        r.progress(), r.view(), r.watchers(), r.request_stop()
    assert isinstance(live, LiveRun)


def test_watch_all_keeps_a_run_followed_on_another_page_watched(board, monkeypatch):
    """app.py calls watch_all on every rerun: a student who trains on one page and moves to another keeps the run."""
    import streamlit as st

    import lab.background as bg

    run = board.start("k", Job, session="s1")
    wait(lambda: run.job.count > 0)
    monkeypatch.setattr(st, "session_state", {"tr_run": run, "other": 3}, raising=False)
    monkeypatch.setattr(bg, "session_id", lambda: "s1")
    for _ in range(4):                             # 4 x 20 s on other pages, each rerun calls watch_all
        board.clock.t += 20
        bg.watch_all(board)
    assert run.watchers() == 1 and run.state == "running"
    board.clock.t += 35                            # no rerun for 35 s (the tab closed): the run stops
    run.join(5)
    assert run.job.stopped_by == "stopped because nobody is watching it any more"


class CountJob:
    """Counts to ``steps`` (or fails at step 3); its view says which process counted and how far."""

    def __init__(self, steps=10, fail=False):
        self.steps, self.fail, self.count, self.stopped = steps, fail, 0, False

    def run(self, should_stop):
        for i in range(self.steps):
            if should_stop():
                self.stopped = True
                return
            if self.fail and i == 3:
                raise ValueError("boom")
            self.count = i + 1
            time.sleep(0.01)

    def view(self):
        return {"pid": os.getpid(), "count": self.count, "stopped": self.stopped}

    def progress(self):
        return self.count / self.steps


def test_a_process_job_runs_in_a_child_process_and_the_run_keeps_its_final_view(board):
    run = board.start("p", lambda: ProcessJob(partial(CountJob, 10), every=0.05), "s1")
    run.join(120)
    view = run.view()
    assert view["pid"] != os.getpid() and view["count"] == 10 and not view["stopped"]
    assert run.state == "finished" and run.completed and run.progress() == 1.0 and run.error == ""


def test_a_process_job_stops_when_the_run_is_asked_to(board):
    run = board.start("p", lambda: ProcessJob(partial(CountJob, 10**6), every=0.05), "s1")
    wait(lambda: run.view() is not None and run.view()["count"] > 0, timeout=120)
    run.request_stop("teacher")
    run.join(60)
    assert run.view()["stopped"] and not run.completed and run.note == "teacher"


def test_an_error_in_a_process_job_is_kept_on_the_run(board):
    run = board.start("p", lambda: ProcessJob(partial(CountJob, 10, fail=True), every=0.05), "s1")
    run.join(120)
    assert "ValueError: boom" in run.error and not run.completed


def test_prewarm_keeps_a_spare_child_that_takes_the_next_process_job_and_is_replaced(board):
    bg.prewarm()
    spare = bg._SPARE[0]
    run = board.start("p", lambda: ProcessJob(partial(CountJob, 5), every=0.05), "s1")
    run.join(120)
    assert run.view()["pid"] == spare.pid and run.completed
    assert bg._SPARE is not None and bg._SPARE[0].pid != spare.pid and bg._SPARE[0].is_alive()
