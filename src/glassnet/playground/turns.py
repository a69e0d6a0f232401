"""Turns: the sessions of one process compute one at a time, answers first.

Every tab's session has a thread of its own, and the threads of a process share one GIL.  Left to
the GIL, fifteen training threads each get a fifteenth of the CPU all the time: a piece of work
that needs 5 ms of CPU takes 75 ms of wall time, a control change waits for every other thread's
slices, and a training step charged by the wall clock looks fifteen times dearer than it is.

So a session computes only while it holds the process's turn (:meth:`Turns.turn`), for one piece
of work at a time (a training slice, a frame, the answer to a message), and the others sleep
without touching the GIL.  When a turn ends it goes to the waiting session with the most urgent
claim:

* ``ANSWER``: a session with a message in its inbox (a control change the learner waits for), at
  once, whatever it asked the turn for;
* ``FRAME``:  a frame that is due (frames before training: every tab keeps moving), also a session
  waiting to train whose next frame has come due (it is granted the turn for the frame);
* ``TRAIN``:  a training slice (one that has waited ``AGING`` s is served among the frames, so a
  crowd that only just manages its frames still trains, unless that session's own frames fall
  behind: frames first);

first come, first served within a class.  A session's pieces are short (one training step, one
frame, one message's answer: each well under 50 ms of CPU), so an answer waits for at most one
piece of another session.  A turn not handed on within ``WAIT_LIMIT`` s (a session stuck on a
bug) is taken anyway: the process slows to the GIL's sharing, it never stops.
"""
from __future__ import annotations

import itertools
import threading
import time
from contextlib import contextmanager

ANSWER, FRAME, TRAIN = 0, 1, 2
AGING = 2.0          # seconds after which a waiting training slice counts as a frame
WAIT_LIMIT = 2.0     # seconds after which a waiting session computes without its turn


class _Waiter:
    __slots__ = ("claim", "seq", "since", "event", "urgent", "due", "ages", "granted")

    def __init__(self, claim, seq, urgent, due, ages):
        self.claim, self.seq, self.since, self.urgent, self.due = claim, seq, time.perf_counter(), urgent, due
        self.ages = ages
        self.event = threading.Event()
        self.granted = claim

    def rank(self, now: float) -> tuple:
        """(class it is served in, arrival, what it is granted the turn for)."""
        claim = self.claim
        if claim > ANSWER and self.urgent is not None and self.urgent():
            return ANSWER, self.seq, ANSWER
        if claim == TRAIN:
            if self.ages and now - self.since >= AGING:
                return FRAME, self.seq, TRAIN
            if self.due is not None and now >= self.due:
                return FRAME, self.seq, FRAME
        return claim, self.seq, claim


class Turns:
    """One process's turn (see the module docstring); ``with turns.turn(FRAME, urgent): ...``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._holder = None                # the thread holding the turn (None: free)
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()
        self.handed = 0                    # turns handed from one session to another (for tests)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def held(self) -> bool:
        return self._holder is threading.current_thread()

    @contextmanager
    def turn(self, claim: int = FRAME, urgent=None, due: float | None = None, ages: bool = True):
        """Hold the turn for the block, which gets what the turn was granted for (ANSWER, FRAME or
        TRAIN).  ``claim``: ANSWER, FRAME or TRAIN; ``urgent``: a function saying whether the
        session now has a message to answer (it then goes first, granted ANSWER); ``due``: when a
        TRAIN claim's next frame is due (from then on it waits as a frame, granted FRAME; a TRAIN
        claim that waited ``AGING`` s is served as a frame but granted TRAIN, unless ``ages`` is
        false: a session whose frames fall behind trains only when no frame waits).  Re-entrant: a
        thread that holds the turn keeps it."""
        me = threading.current_thread()
        if self._holder is me:
            yield claim
            return
        waiter = None
        with self._lock:
            if self._holder is None and not self._waiting:
                self._holder = me
            else:
                waiter = _Waiter(claim, next(self._seq), urgent, due, ages)
                self._waiting.append(waiter)
        owned = True
        if waiter is not None:
            if waiter.event.wait(WAIT_LIMIT):
                self._holder = me            # handed over by _release (already set there)
            else:
                with self._lock:             # stuck holder: compute anyway, without the turn
                    if waiter in self._waiting:
                        self._waiting.remove(waiter)
                        owned = False
                    else:                    # handed over just now
                        self._holder = me
        try:
            yield claim if waiter is None else waiter.granted
        finally:
            if owned:
                self._release()

    def _release(self) -> None:
        with self._lock:
            if not self._waiting:
                self._holder = None
                return
            now = time.perf_counter()
            rank, nxt = min(((w.rank(now), w) for w in self._waiting), key=lambda r: r[0][:2])
            nxt.granted = rank[2]
            self._waiting.remove(nxt)
            self._holder = _Handed            # the next one sets itself as holder when it wakes
            self.handed += 1
            nxt.event.set()

    def others_waiting(self, claim: int = FRAME) -> bool:
        """Whether a session waits with a claim at least as urgent as ``claim`` (a long piece of work
        may stop early for it)."""
        now = time.perf_counter()
        return any(w.rank(now)[0] <= claim for w in list(self._waiting))


class _Handed:
    """The holder between a turn's hand-over and the next session's waking (nobody may take it)."""
