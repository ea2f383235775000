"""Background work on the history store: compaction, a small step at a time.

Each step runs on the store's thread (``AsyncStore.history``), moves at most about
``budget`` points into chunks and commits; while there is more to do, the next step
follows after ``pause_s``, which leaves the database to the readings and the control
loop in between. Once nothing is left, the job looks again every ``interval_s``. A step
that fails is logged and tried again at the next interval: the raw rows stay where they
are meanwhile, so nothing is lost.
"""

from __future__ import annotations

from typing import Optional

from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.logger import Logger

log = Logger()


class Compaction(Service):
    def __init__(self, history, clock, interval_s: float = 300.0, pause_s: float = 1.0, budget: int = 5000):
        self.history = history
        self.clock = clock
        self.interval_s = interval_s
        self.pause_s = pause_s
        self.budget = budget
        self._call = None
        self._step_done: Optional[Deferred] = None

    def startService(self):
        super().startService()
        self._call = self.clock.callLater(0, self._step)

    def _step(self):
        self._call = None
        self._step_done = self.history.compact_step(self.clock.seconds(), self.budget)
        self._step_done.addCallbacks(self._next_delay, self._failed)
        self._step_done.addCallback(self._finished)

    def _next_delay(self, more: bool) -> float:
        return self.pause_s if more else self.interval_s

    def _failed(self, failure) -> float:
        log.failure("history compaction failed; it is tried again in {interval_s} s", failure,
                    interval_s=self.interval_s)
        return self.interval_s

    def _finished(self, delay: float) -> None:
        self._step_done = None
        if self.running:
            self._call = self.clock.callLater(delay, self._step)

    def stopService(self):
        """Cancel the next step and wait for one under way, so the store closes after it."""
        super().stopService()
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None
        return self._step_done
