"""The control loop's state machine (``LOOP_STATES``): when it ticks, ticks again, holds
the leases and stops, walked transition by transition on the in-memory hub, with the
control service's store calls held until the test lets each one run."""

from __future__ import annotations

import pytest

from rpymostat.core.errors import Unavailable
from rpymostat.hub.control import LOOP_STATES, ControlService, Loop
from rpymostat.hub.store.aio import AsyncStore
from tests.control.test_tick_race import Held
from tests.hubkit import Hub
from tests.machines import walked


class Unreadable:
    """The raw store, whose zones cannot be read while ``bench.failing``."""

    def __init__(self, store, bench):
        self.store, self.bench = store, bench

    def list_zones(self):
        if self.bench.failing:
            raise Unavailable("the database is locked")
        return self.store.list_zones()

    def __getattr__(self, name):
        return getattr(self.store, name)


class Bench:
    def __init__(self, tmp_path):
        self.held = Held()
        self.failing = False
        self.hub = Hub(f"sqlite:///{tmp_path / 'hub.db'}", control=self._control)
        self.control = self.hub.api.control

    def _control(self, api):
        return ControlService(api, clock=api.clock, http=None,
                              store=AsyncStore(Unreadable(api.store.store, self), self.held.run))

    @property
    def phase(self) -> Loop:
        return self.control.phase

    def change(self, kind: str = "zones") -> None:
        """The API reports a change; the tick it asks for comes at the next turn."""
        self.control.changed(kind)
        self.hub.clock.advance(0)

    def step(self, count: int | None = None) -> None:
        """Let ``count`` held store calls run (all of them, and those they lead to, when None)."""
        for _ in range(count if count is not None else 100):
            if not self.held.calls:
                return
            self.held.step()

    def alarms(self) -> list[str]:
        return [a.code for a in self.control.service_alarms()]

    def close(self) -> None:
        self.hub.close()


@pytest.fixture
def bench(tmp_path):
    b = Bench(tmp_path)
    yield b
    b.close()


def starting_then_ticking_then_waiting(b: Bench):
    b.change()  # before the start: the first tick reads everything anyway
    assert b.phase is Loop.STOPPED and b.held.calls == []
    b.control.startService()
    assert b.phase is Loop.STARTING
    b.change()
    assert b.phase is Loop.STARTING
    b.step(2)  # the zones and the switch history
    assert b.phase is Loop.TICKING
    b.change()
    assert b.phase is Loop.TICKING_AGAIN
    b.change()
    b.step()
    assert b.phase is Loop.WAITING
    interval = b.hub.api.settings["control_interval_s"]
    assert b.control._wakeup.getTime() == b.hub.clock.seconds() + interval
    b.hub.clock.advance(interval)  # a tick with nothing to read: done at once, the next one set
    assert b.phase is Loop.WAITING
    assert b.control._wakeup.getTime() == b.hub.clock.seconds() + interval


def a_failed_tick_holds_until_one_works(b: Bench):
    b.control.startService()
    b.step()
    assert b.phase is Loop.WAITING
    b.failing = True
    b.change()
    b.step()
    assert b.phase is Loop.HELD and b.alarms() == ["control_failed"]
    b.change("readings")  # the configuration is read again after a failure
    assert b.phase is Loop.TICKING
    b.change()
    b.step(1)
    assert b.phase is Loop.TICKING  # failed again, and ticked again at once for the change
    assert b.alarms() == ["control_failed"]
    b.failing = False
    b.step()
    assert b.phase is Loop.WAITING and b.alarms() == []


def a_stop_in_any_phase(b: Bench):
    b.control.stopService()
    assert b.phase is Loop.STOPPED
    b.control.startService()
    b.control.stopService()
    b.step()  # the history read in flight ends unheard
    assert b.phase is Loop.STOPPED
    b.control.startService()
    b.step(2)
    assert b.phase is Loop.TICKING  # the first tick reads the configuration
    b.control.stopService()
    b.step()  # the tick in flight ends unheard
    assert b.phase is Loop.STOPPED and not b.control._wakeup
    b.control.startService()
    b.step()
    assert b.phase is Loop.WAITING
    b.control.stopService()
    assert b.phase is Loop.STOPPED and not b.control._wakeup
    b.control.startService()
    b.step()
    b.change()
    b.change()
    assert b.phase is Loop.TICKING_AGAIN
    b.control.stopService()
    b.step()
    assert b.phase is Loop.STOPPED and not b.control._wakeup


def a_history_it_cannot_read_at_start_is_read_again(b: Bench):
    b.failing = True
    b.control.startService()
    b.step()
    assert b.phase is Loop.STARTING and b.alarms() == ["control_failed"]
    b.change()
    assert b.held.calls == [], "no tick before the history is read"
    b.hub.clock.advance(b.hub.api.settings["control_interval_s"])
    b.step()
    assert b.phase is Loop.STARTING
    b.failing = False
    b.hub.clock.advance(b.hub.api.settings["control_interval_s"])
    b.step()
    assert b.phase is Loop.WAITING and b.alarms() == []


def a_stop_while_the_history_is_read_again(b: Bench):
    b.failing = True
    b.control.startService()
    b.step()
    b.control.stopService()
    b.hub.clock.advance(b.hub.api.settings["control_interval_s"])
    assert b.phase is Loop.STOPPED and b.held.calls == []


def a_stop_while_held(b: Bench):
    b.control.startService()
    b.step(2)
    b.failing = True
    b.step()
    assert b.phase is Loop.HELD
    b.control.stopService()
    assert b.phase is Loop.STOPPED and not b.control._wakeup


def a_stop_while_a_tick_fails(b: Bench):
    b.control.startService()
    b.step(2)
    b.failing = True
    b.control.stopService()
    b.step()
    assert b.phase is Loop.STOPPED and b.alarms() == ["control_failed"]


SCENARIOS = [starting_then_ticking_then_waiting, a_failed_tick_holds_until_one_works, a_stop_in_any_phase,
             a_history_it_cannot_read_at_start_is_read_again, a_stop_while_the_history_is_read_again,
             a_stop_while_held, a_stop_while_a_tick_fails]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_scenario(scenario, bench):
    scenario(bench)


def test_every_transition_is_walked(tmp_path):
    with walked(LOOP_STATES) as seen:
        for i, scenario in enumerate(SCENARIOS):
            (tmp_path / str(i)).mkdir()
            b = Bench(tmp_path / str(i))
            try:
                scenario(b)
            finally:
                b.close()
    assert set(LOOP_STATES) - seen == set()


def test_held_store_calls_run_in_order(bench):
    """The bench's own premise: nothing reaches the store until the test lets it."""
    bench.control.startService()
    assert [call[0].__name__ for call in bench.held.calls] == ["list_zones"]
    assert bench.phase is Loop.STARTING
