"""Class predictions: every student's choice for a question, counted server-wide, one vote per browser session.

Usage::

    from lab import votes
    votes.CLASS.vote(("lesson", "rnn_forgets"), session_id, "square")   # a new choice replaces the old one
    votes.CLASS.counts(("lesson", "rnn_forgets"))                        # {"square": 12, "half": 3}
    votes.CLASS.reset(("lesson", "rnn_forgets"))                         # the teacher starts the question afresh

No sign-in: a voter is a random id kept in the browser session (``lab.background.session_id``). One process serves
every session, so the module-level ``CLASS`` tally is shared by the whole class. Memory is bounded: at most
``max_polls`` questions (the least recently used dropped first) and ``max_voters`` voters per question (beyond it
new voters are not counted; a voter already counted can still change their choice).
"""
from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Hashable

MAX_POLLS = 64
MAX_VOTERS = 500
MAX_CHOICE_CHARS = 40


class Tally:
    """Thread-safe counts of choices per poll, one vote per voter and poll."""

    def __init__(self, max_polls: int = MAX_POLLS, max_voters: int = MAX_VOTERS) -> None:
        if max_polls < 1 or max_voters < 1:
            raise ValueError(f"max_polls and max_voters must be >= 1, got {max_polls}, {max_voters}")
        self.max_polls, self.max_voters = max_polls, max_voters
        self._polls: OrderedDict[Hashable, dict[str, str]] = OrderedDict()   # poll -> voter -> choice
        self._lock = threading.Lock()

    def vote(self, poll: Hashable, voter: str, choice: str) -> bool:
        """Count ``voter``'s ``choice`` for ``poll`` (replacing their earlier one). False when not counted (the
        poll already has ``max_voters`` other voters)."""
        choice = str(choice)[:MAX_CHOICE_CHARS]
        with self._lock:
            ballots = self._polls.get(poll)
            if ballots is None:
                ballots = self._polls[poll] = {}
                while len(self._polls) > self.max_polls:
                    self._polls.popitem(last=False)
            self._polls.move_to_end(poll)
            if voter not in ballots and len(ballots) >= self.max_voters:
                return False
            ballots[voter] = choice
            return True

    def withdraw(self, poll: Hashable, voter: str) -> None:
        """Remove ``voter``'s vote for ``poll`` (nothing if they had none)."""
        with self._lock:
            self._polls.get(poll, {}).pop(voter, None)

    def counts(self, poll: Hashable) -> dict[str, int]:
        """choice -> number of voters who chose it (empty for an unknown poll)."""
        with self._lock:
            return dict(Counter(self._polls.get(poll, {}).values()))

    def choice_of(self, poll: Hashable, voter: str) -> str | None:
        with self._lock:
            return self._polls.get(poll, {}).get(voter)

    def reset(self, poll: Hashable) -> None:
        """Forget every vote for ``poll``."""
        with self._lock:
            self._polls.pop(poll, None)

    def polls(self) -> int:
        with self._lock:
            return len(self._polls)


CLASS = Tally()
