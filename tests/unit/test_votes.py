"""lab.votes.Tally: counting per poll, one vote per session (a new choice replaces the old one), reset, and bounded
memory (questions and voters), also under concurrent voting."""
from __future__ import annotations

import threading

import pytest

from lab.votes import Tally


def test_counts_each_choice_per_poll():
    t = Tally()
    for voter, choice in [("a", "x"), ("b", "x"), ("c", "y")]:
        assert t.vote("q1", voter, choice)
    t.vote("q2", "a", "z")
    assert t.counts("q1") == {"x": 2, "y": 1}
    assert t.counts("q2") == {"z": 1}
    assert t.counts("unknown") == {}


def test_one_vote_per_session_and_a_new_choice_replaces_the_old():
    t = Tally()
    t.vote("q", "s1", "x")
    t.vote("q", "s1", "x")
    assert t.counts("q") == {"x": 1}
    t.vote("q", "s1", "y")
    assert t.counts("q") == {"y": 1} and t.choice_of("q", "s1") == "y"
    t.withdraw("q", "s1")
    assert t.counts("q") == {}


def test_reset_forgets_one_poll_only():
    t = Tally()
    t.vote("q1", "a", "x")
    t.vote("q2", "a", "x")
    t.reset("q1")
    assert t.counts("q1") == {} and t.counts("q2") == {"x": 1}
    t.vote("q1", "a", "y")
    assert t.counts("q1") == {"y": 1}


def test_memory_is_bounded_in_polls_and_voters():
    t = Tally(max_polls=3, max_voters=2)
    for i in range(10):
        t.vote(f"q{i}", "a", "x")
    assert t.polls() == 3 and t.counts("q0") == {} and t.counts("q9") == {"x": 1}
    assert t.vote("q9", "b", "x") and not t.vote("q9", "c", "x")
    assert t.vote("q9", "a", "y")            # a counted voter can still change their mind
    assert t.counts("q9") == {"x": 1, "y": 1}
    t.vote("q9", "a", "y" * 1000)            # a long choice text is cut, not stored whole
    assert max(len(c) for c in t.counts("q9")) <= 40


def test_concurrent_votes_are_all_counted():
    t = Tally(max_voters=1000)

    def student(i: int) -> None:
        for _ in range(20):
            t.vote("q", f"s{i}", "x" if i % 3 else "y")

    threads = [threading.Thread(target=student, args=(i,)) for i in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert t.counts("q") == {"x": 20, "y": 10}


def test_bounds_must_be_positive():
    with pytest.raises(ValueError):
        Tally(max_polls=0)
