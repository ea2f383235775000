"""The compaction job: small steps on the hub's clock until nothing is left, then a look
every interval; a failing step is logged and tried again."""

import pytest
from twisted.internet.defer import Deferred, fail
from twisted.internet.task import Clock
from twisted.logger import capturedLogs

from rpymostat.hub.history_jobs import Compaction
from rpymostat.hub.store.aio import AsyncCalls
from rpymostat.hub.store.schema import history_chunks, history_raw
from tests.history.conftest import T0, count_rows

DAY = 86400.0


def test_steps_follow_each_other_while_there_is_more_then_wait_an_interval(history):
    history.append([(f"sensor/{s}", T0 + 60 * i, 20.0) for s in "abc" for i in range(2 * 1440)])
    clock = Clock()
    clock.advance(T0 + 2 * DAY + 3600)
    job = Compaction(AsyncCalls(history), clock, interval_s=300, pause_s=1, budget=1000)
    job.startService()
    clock.advance(0)
    assert count_rows(history, history_chunks) == 1, "one day of one series per step of 1000 points"
    for _ in range(5):
        clock.advance(1)
    assert count_rows(history, history_chunks) == 6 and count_rows(history, history_raw) == 0
    assert clock.getDelayedCalls()[0].getTime() == clock.seconds() + 300
    history.append([("sensor/a", T0 + 30, 1.0)])
    clock.advance(299)
    assert count_rows(history, history_raw) == 1
    clock.advance(1)
    assert count_rows(history, history_raw) == 0, "a late point is merged into its day at the next look"
    job.stopService()
    assert clock.getDelayedCalls() == []


class Failing:
    def __init__(self):
        self.calls = 0

    def compact_step(self, now, budget):
        self.calls += 1
        return fail(RuntimeError("database is locked")) if self.calls == 1 else Deferred()


@pytest.mark.logs_errors("history compaction failed; it is tried again in 300 s")
def test_a_failed_step_is_logged_and_tried_again_and_stopping_waits_for_a_step_under_way():
    clock, store = Clock(), Failing()
    job = Compaction(store, clock, interval_s=300)
    with capturedLogs() as events:
        job.startService()
        clock.advance(0)
    (failure,) = [e["log_failure"] for e in events if e.get("log_failure")]
    assert failure.check(RuntimeError)
    clock.advance(300)
    assert store.calls == 2
    stopped = job.stopService()
    assert isinstance(stopped, Deferred) and not stopped.called, "stopping waits for the step under way"
