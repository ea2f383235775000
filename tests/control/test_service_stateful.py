"""Stateful property test of the control *service*: the real ControlService, dispatcher, API
and store (tests/control/rig.py) against the real relay API and output bank, driven
through readings, silence, clock jumps, target and hold changes through the API, hub
restarts, network splits (leases run out on the relay by themselves), relay reboots and
steps of the wall clock alone (hub and relay keep their timers on a monotonic one).

The invariants are checked on the relay's own record of every switch (its ``on_change``
events, timed on the monotonic clock), with the relay's minimum off time set to 0 so that
it hides no mistake of the hub's, and on this test's own record of readings, targets and
restarts. Durations are measured on the monotonic clock, freshness on the wall clock.
"""

import math
import os
import shutil
import sqlite3

import pytest
from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from twisted.internet.task import Clock

from rpymostat.core.readings import invalid_reason
from rpymostat.core.timeutil import format_time, parse_time
from tests.control.rig import COOL, HEAT, Rig

HOUR = 3600.0
EPSILON = 1e-6
CI = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
EXAMPLES, STEPS = (30, 50) if CI else (10, 40)
PHASES = tuple(Phase)[:-1]  # the explain phase traces every line: minutes on Python 3.11
DEFAULT = {"mode": "auto", "heat_setpoint": 20, "cool_setpoint": 24}

VALUES = st.one_of(
    st.integers(-400, 700).map(lambda v: v / 10),
    st.sampled_from([4.9, 5.0, 5.9, 6.0, 19.4, 19.5, 20.6, 24.4, 24.6, 35.0, 35.1, 85.0, -127.0]),
)
MS = st.integers(0, 900_000).map(lambda ms: ms / 1000)
DURATIONS = st.one_of(MS, st.integers(0, 60_000).map(lambda ms: ms / 1000),
                      st.sampled_from([5.0, 29.999, 30.0, 60.0, 90.0, 300.0, 1800.0, 3600.0]))
TARGETS = st.one_of(
    st.builds(lambda h: {"mode": "heat", "heat_setpoint": h}, st.sampled_from([5, 18, 20, 22, 35])),
    st.builds(lambda c: {"mode": "cool", "cool_setpoint": c}, st.sampled_from([5, 22, 24, 35])),
    st.just(DEFAULT), st.just({"mode": "auto", "heat_setpoint": 10, "cool_setpoint": 30}),
    st.just({"mode": "off"}), st.just({"mode": "fan"}),
)


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A migrated database with the nodes and zone, copied for each example: migrating
    costs more than a whole example."""
    folder = tmp_path_factory.mktemp("template")
    rig = Rig(f"sqlite:///{folder / 'hub.db'}", zone={"default_target": DEFAULT})
    rig.control.stopService()
    tokens = (rig.hub.admin_token, rig.hub.node_tokens)
    rig.hub.close()
    path = folder / "hub.db"
    with sqlite3.connect(path) as conn:  # no history of the template's own first tick
        conn.execute("DELETE FROM decisions")
        conn.execute("DELETE FROM switch_events")
    return path, tokens


class ServiceMachine(RuleBasedStateMachine):
    template = None
    folder = None
    steps = 0
    examples = 0
    relay_starts = 0

    @initialize(
        min_off=st.sampled_from([60, 120, 300]), min_run=st.sampled_from([60, 300]),
        max_starts=st.sampled_from([1, 2, 6]), report=st.sampled_from([5, 30]),
        lease=st.sampled_from([30, 90]), interval=st.sampled_from([5, 30]),
        changeover=st.sampled_from([30, 60]),
    )
    def boot(self, min_off, min_run, max_starts, report, lease, interval, changeover):
        type(self).examples += 1
        path = self.folder / f"hub-{self.examples}.db"
        shutil.copy(self.template[0], path)
        self.s = {"min_off_s": min_off, "min_run_s": min_run, "max_starts_per_hour": max_starts,
                  "report_interval_s": report, "lease_s": lease, "control_interval_s": interval,
                  "changeover_s": changeover}
        timer = Clock()
        timer.advance(10_000.0)
        self.rig = Rig(f"sqlite:///{path}", settings=self.s, relay_min_off_s=0, tokens=self.template[1],
                       timer=timer)
        self.rig.relay.events.clear()
        self.rig.relay.timed.clear()
        self.seen = 0
        self.hub_starts = [self.t()]
        self.modes = [(self.t(), DEFAULT["mode"])]  # (from, mode in force)
        self.default_mode, self.hold_mode = DEFAULT["mode"], None
        self.received = []  # (received at, time, value) of every accepted valid reading
        self.down_since, self.downs = None, []  # network splits: [(from, to)]
        self.wall_steps = []  # when the wall clock jumped
        self.on_at = {HEAT: None, COOL: None}
        self.off_at = {HEAT: None, COOL: None}
        self.starts = {HEAT: [], COOL: []}

    def now(self):
        """The wall clock: readings' times."""
        return self.rig.clock.seconds()

    def t(self):
        """The monotonic timer: when things happened, for durations."""
        return self.rig.timer.seconds()

    def step(self):
        type(self).steps += 1

    # -- the world -------------------------------------------------------------

    @rule(value=VALUES, age=st.sampled_from([0.0, 0.0, 1.0, 10.0]))
    def reading(self, value, age):
        self.step()
        at = self.now() - age
        self.rig.reading(value, at=at)
        at = parse_time(format_time(at)).timestamp()  # as the API carries it, to the millisecond
        if invalid_reason(value) is None and all(at > earlier for _, earlier, _ in self.received):
            self.received.append((self.t(), at, value))  # the hub keeps the first of equal times

    @rule(value=VALUES, seconds=st.integers(0, 400_000).map(lambda ms: ms / 1000))
    def sensor_reports(self, value, seconds):
        """A sensor node reporting ``value`` every report interval for ``seconds``."""
        self.step()
        until = self.now() + seconds
        while True:
            self.reading(value, 0.0)
            if self.now() + self.s["report_interval_s"] > until:
                break
            self.rig.run_for(self.s["report_interval_s"])
        self.rig.run_until(until)

    @rule(value=st.sampled_from([12.0, 17.5, 27.0]), extra=st.sampled_from([0.0, 30.0, 400.0]))
    def steady_weather(self, value, extra):
        """A sensor reporting one temperature for longer than the minimum off time: random
        readings alone seldom hold still long enough for the equipment to start."""
        self.sensor_reports(value, self.s["min_off_s"] + 2 * self.s["report_interval_s"] + extra)

    @rule(seconds=DURATIONS)
    def advance(self, seconds):
        self.step()
        self.rig.run_for(seconds)

    @precondition(lambda self: len(self.wall_steps) < 2)
    @rule(seconds=st.sampled_from([3600.0, 600.0, 45.0, -20.0, -120.0]))
    def wall_step(self, seconds):
        """The wall clock alone jumps (NTP, a person setting the date). Not back by an hour
        here: the newest reading would then be an hour ahead and nothing would run for the
        rest of the example (test_wall_step.py has that case)."""
        self.step()
        self.wall_steps.append(self.t())
        self.rig.step_wall(seconds)

    @rule(wanted=TARGETS)
    def hold(self, wanted):
        self.step()
        assert self.rig.hub.call("PUT", "/v1/zones/1/hold", {"target": wanted, "until": None}).status == 200
        self.hold_mode = wanted["mode"]
        self._mode_changed()

    @rule()
    def cancel_hold(self):
        self.step()
        reply = self.rig.hub.call("DELETE", "/v1/zones/1/hold")
        assert reply.status == (204 if self.hold_mode else 404)
        self.hold_mode = None
        self._mode_changed()

    @rule(wanted=TARGETS)
    def default_target(self, wanted):
        self.step()
        assert self.rig.hub.call("PATCH", "/v1/zones/1", {"default_target": wanted}).status == 200
        self.default_mode = wanted["mode"]
        self._mode_changed()

    def _mode_changed(self):
        self.modes.append((self.t(), self.hold_mode or self.default_mode))
        self.rig.settle()

    @precondition(lambda self: self.down_since is None)
    @rule()
    def restart(self):
        """The hub restarts (not during a network split: see docs/control.md, "Known limits")."""
        self.step()
        self.rig.restart()
        self.hub_starts.append(self.t())

    @rule()
    def split(self):
        self.step()
        if self.down_since is None:
            self.down_since = self.t()
            self.rig.partition(True)
        else:
            self.downs.append((self.down_since, self.t()))
            self.down_since = None
            self.rig.partition(False)

    @precondition(lambda self: self.down_since is None)
    @rule()
    def relay_reboots(self):
        """The relay node restarts: every output off at once, reported to the hub."""
        self.step()
        self.rig.relay.bank.boot()
        self.rig.settle()

    # -- the test's own account ------------------------------------------------

    def mode_at(self, when):
        return [mode for start, mode in self.modes if start <= when][-1]

    def newest(self, when):
        """The newest reading the hub had received by ``when`` (timer): (time, value) or None."""
        known = [(at, value) for received, at, value in self.received if received <= when]
        return max(known, default=None)

    def fresh_at(self, when, wall):
        """Whether the hub had a fresh reading at ``when`` (timer), the wall clock reading ``wall``."""
        newest = self.newest(when)
        interval = self.s["report_interval_s"]
        return newest is not None and wall < newest[0] + 3 * interval and newest[0] - wall <= interval

    def value(self, when):
        return self.newest(when)[1]

    def link_was_down(self, start, end):
        spans = self.downs + ([(self.down_since, math.inf)] if self.down_since is not None else [])
        return any(a <= end and b >= start for a, b in spans)

    @invariant()
    def equipment_rules_hold(self):
        if not hasattr(self, "rig"):
            return
        relay = self.rig.relay
        for (output_id, on, wall, reason), (_, _, when) in zip(relay.events[self.seen:], relay.timed[self.seen:]):
            other = COOL if output_id == HEAT else HEAT
            if on:
                self.check_start(output_id, other, when, wall)
                self.on_at[output_id] = when
                self.starts[output_id].append(when)
                type(self).relay_starts += 1
            elif self.on_at[output_id] is not None:
                self.check_stop(output_id, when, wall, reason)
                self.on_at[output_id], self.off_at[output_id] = None, when
        self.seen = len(relay.events)
        heat, cool = self.rig.relay.on(HEAT), self.rig.relay.on(COOL)
        assert not (heat and cool), "heat and cool on together"
        now = self.t()
        if (heat or cool) and not self.fresh_at(now, self.now()):
            # only a split can keep the hub from stopping it, and then only until the lease ends;
            # or a wall-clock step that made the reading stale, until the next tick notices
            stepped = any(now - self.s["control_interval_s"] - EPSILON <= at for at in self.wall_steps)
            assert stepped or self.link_was_down(now - self.s["lease_s"] - EPSILON, now), \
                "running on a stale reading"

    def check_start(self, output_id, other, when, wall):
        s = self.s
        last_off = self.off_at[output_id]
        assert last_off is None or when >= last_off + s["min_off_s"] - EPSILON, "minimum off time"
        assert when >= self.hub_starts[-1] + s["min_off_s"] - EPSILON, "minimum off time after start-up"
        recent = [t for t in self.starts[output_id] if when < t + HOUR]
        assert len(recent) < s["max_starts_per_hour"], "starts per hour"
        assert self.on_at[other] is None, "heat and cool together"
        assert self.off_at[other] is None or when >= self.off_at[other] + s["changeover_s"] - EPSILON, \
            "changeover"
        assert self.fresh_at(when, wall), "started without a fresh valid reading"
        if output_id == HEAT:
            assert self.value(when) <= 35.0, "heating above 35 °C"

    def check_stop(self, output_id, when, wall, reason):
        began = self.on_at[output_id]
        if reason != "command" or when >= began + self.s["min_run_s"] - EPSILON:
            return
        value = self.value(when) if self.fresh_at(when, wall) else None
        safety = (value is None or (output_id == HEAT and value > 35.0)
                  or (output_id == COOL and value < 6.0))
        # the user's off may have been decided during the run and delivered later, and a
        # network split leaves the run to the relay's lease
        user_off = self.mode_at(began) == "off" or any(
            mode == "off" for start, mode in self.modes if began <= start <= when)
        assert user_off or safety or self.link_was_down(began, when), "minimum run cut short"

    def teardown(self):
        if hasattr(self, "rig"):
            self.rig.close()


def test_service_keeps_the_equipment_rules(template, tmp_path):
    ServiceMachine.template, ServiceMachine.folder = template, tmp_path
    ServiceMachine.steps = ServiceMachine.examples = ServiceMachine.relay_starts = 0
    run_state_machine_as_test(ServiceMachine, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=STEPS, deadline=None, phases=PHASES))
    assert ServiceMachine.steps >= (EXAMPLES * STEPS) // 3
    print(f"{ServiceMachine.steps} steps, {ServiceMachine.relay_starts} relay starts")
    assert ServiceMachine.relay_starts >= EXAMPLES // 4, "the equipment hardly ever ran"
