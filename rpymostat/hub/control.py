"""The control loop: the Twisted service around the pure control core (DESIGN §6).

When it runs:

- every ``control_interval_s`` (a hub setting, read at each tick);
- at once (coalesced into one tick with ``callLater(0)``) when the API reports a change:
  readings, rules, holds, outputs, zones, sensors, nodes or settings;
- at the exact instant a guard timer runs out (a decision's ``recheck_at``) or the
  schedule changes (its ``next_change``), so that a minimum off time ends, or a dead
  sensor stops a heater, on time rather than a tick later.

What one tick does, per zone: the newest readings from :class:`rpymostat.hub.live.Live` (no
database reads for them), the schedule's current target (``HubAPI.zone_plan``, the same
loading code the schedule routes use, cached until the schedule's next change or an API
change), the zone's settings (``settings.for_zone``), its equipment history →
``decide()`` → the commands go to the :class:`rpymostat.hub.dispatch.Dispatcher`, the history
moves on with ``apply``, and the decision is logged. The configuration (zones, outputs,
nodes) is read from the store only after the API said it changed.

Two clocks (``rpymostat.runtime.monotonic``): ``clock`` is wall time, for schedules, readings,
the decision log and the switch events' times; ``timer`` is monotonic, for the guard's
timers (the equipment history is kept on it), the wake-ups and the dispatcher's leases,
so that a stepped wall clock neither shortens an off time nor lengthens a run.

Restart safety: the equipment history is rebuilt from the ``switch_events`` table (last
on and off per function, starts in the last hour) with ``restarted()``, so the minimum
off time also counts from start-up. Each event keeps the timer's reading and the boot of
the machine, so a hub restarted in the same boot reads it on its timer exactly, however
the wall clock moved; events of an earlier boot map by wall time. Readings come from
Live, loaded from the database at start: a reading taken before the restart counts only
while it is fresh by its own time stamp, exactly as it would have without the restart,
and the start-up minimum off time (at least 60 s) outlasts the freshness of most of them.

What a tick writes (decisions, switch events) stays queued until its transaction
commits, and is marked logged only then: a write that fails is tried again at the next
tick (``history_unwritten`` once it keeps failing), and a zone deleted meanwhile costs
only its own rows (``record_control``). A tick that fails in any other way raises
``control_failed``, and the dispatcher stops renewing leases, so that the outputs go off
rather than run on without a decision, until a tick succeeds: a database it cannot read
(``Unavailable``) is a warning, anything else (a bug, a plugin that raises) an error.

When the loop ticks is one state machine (:data:`LOOP_STATES`): STOPPED, STARTING (the
switch history is read), WAITING (the next tick is set), TICKING, TICKING_AGAIN (a change
came during the tick: one more follows) and HELD (the last tick failed).

The decision log keeps a decision when it differs from the zone's last logged one in
action, commands, alarms, what the guard changed, the target or its rule, or the relays'
problems; and at least every ``LOG_EVERY_S`` while nothing changes, so that the log also
shows the temperatures of a quiet evening. Every change of what the equipment does is
therefore logged with its reason, and a zone writes at most 144 quiet rows a day.
"""

from __future__ import annotations

import enum
from typing import Callable

import attrs
from twisted.application.service import Service
from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger
from twisted.python.failure import Failure

from rpymostat.core.control.aggregation import Aggregate, Mean
from rpymostat.core.control.decide import (
    Alarm,
    Decision,
    Equipment,
    FunctionState,
    Inputs,
    Settings,
    apply,
    decide,
    restarted,
    switched_off,
)
from rpymostat.core.control.guard import FUNCTIONS, HOUR
from rpymostat.core.errors import Unavailable
from rpymostat.core.machine import Machine
from rpymostat.core.readings import Reading
from rpymostat.core.schedule.timeline import current_state
from rpymostat.core.settings import for_zone
from rpymostat.core.target import Target
from rpymostat.core.timeutil import format_optional, from_timestamp, to_timestamp
from rpymostat.hub.dispatch import Dispatcher
from rpymostat.hub.status import basic_zone_status
from rpymostat.runtime.monotonic import timer_time, wall_time
from rpymostat.runtime.plugins import GROUPS, load_all

log = Logger()
LOG_EVERY_S = 600.0
CONFIG_KINDS = frozenset({"nodes", "sensors", "outputs", "zones", "settings"})
PLAN_KINDS = frozenset({"zones", "settings", "rules", "hold"})
REPORT_RESOLUTION_S = 0.001
UNWRITTEN_ALARM_AFTER = 3  # failed writes in a row before ``history_unwritten`` is raised


@attrs.frozen
class Lost:
    """A relay found off (or possibly off) against the hub's belief, and why (``when``
    on the wall clock, for the log)."""

    function: str
    output_id: str
    when: float
    why: str

    def text(self) -> str:
        words = {"lease_lost": "its lease ran out without renewal",
                 "start_failed": "the relay did not confirm the start",
                 "refused": "the relay refused (its own minimum off time)",
                 "no_node": "the output has no relay node",
                 "no_tls": "its relay node serves HTTPS and this hub runs without TLS",
                 "reported_off": "the relay reported it off",
                 "stop_unconfirmed": "the relay did not confirm the stop; counted off from "
                                     "the end of its lease"}.get(self.why, self.why)
        return f"{self.function} ({self.output_id}) off: {words}"


@attrs.frozen
class ZoneView:
    """A zone's last decision and what came with it, for the API. ``decided_at`` and
    ``next_check`` (the next guard timer or schedule change) are wall-clock times;
    ``recheck_at`` is the guard's timer on the monotonic clock."""

    zone_id: int
    decision: Decision
    aggregate: Aggregate
    target: Target
    alarms: tuple[Alarm, ...]
    decided_at: float
    next_check: float | None
    recheck_at: float | None


@attrs.frozen
class _Unlogged:
    """A decision waiting for its commit; ``signature`` and ``at`` (monotonic) become the
    zone's last logged ones then."""

    zone_id: int
    row: dict
    signature: tuple
    at: float


@attrs.frozen
class _Schedule:
    target: Target
    rule_id: object
    rule_name: str | None
    why: str
    until: float | None


@attrs.define
class _Zone:
    """What the control service keeps of one zone from one tick to the next."""

    equipment: Equipment  # the guard's history, on the timer
    schedule: _Schedule | None = None  # the target in force until the schedule's next change; None: load it
    view: ZoneView | None = None  # the last decision, for the API; None: none yet
    logged: tuple[tuple, float] | None = None  # the last committed log entry's signature and (monotonic) time
    lost: list[Lost] = attrs.field(factory=list)  # relay events, for the next decision's log entry


class _MissingPlugin:
    """Stands in for a decision plugin that is not installed: ``decide`` turns its
    failure into "all off" with a ``plugin_error`` alarm."""

    settings_schema: dict = {}

    def __init__(self, name: str):
        self.name = name

    def propose(self, inputs):
        raise LookupError(f"no decision plugin {self.name!r} is installed")


class Loop(enum.Enum):
    STOPPED = "stopped"
    STARTING = "starting"  # rebuilding the guard's history from the switch events
    WAITING = "waiting"  # the next tick is set on the clock
    TICKING = "ticking"
    TICKING_AGAIN = "ticking again"  # something changed during the tick: one more after it
    HELD = "held"  # the last tick failed: no lease is renewed until one succeeds


class LoopEvent(enum.Enum):
    START = "start"
    STARTED = "started"
    RUN = "run"  # a change the API reported, a guard timer, a schedule change, the interval
    TICKED = "ticked"
    FAILED = "failed"
    STOP = "stop"


LOOP_STATES = {
    (Loop.STOPPED, LoopEvent.START): (Loop.STARTING, "load_history"),
    (Loop.STARTING, LoopEvent.STARTED): (Loop.TICKING, "tick"),
    (Loop.STARTING, LoopEvent.FAILED): (Loop.STARTING, "retry_history"),
    (Loop.WAITING, LoopEvent.RUN): (Loop.TICKING, "tick"),
    (Loop.HELD, LoopEvent.RUN): (Loop.TICKING, "tick"),
    (Loop.TICKING, LoopEvent.RUN): (Loop.TICKING_AGAIN, None),
    (Loop.TICKING, LoopEvent.TICKED): (Loop.WAITING, "plan_wakeup"),
    (Loop.TICKING, LoopEvent.FAILED): (Loop.HELD, "plan_wakeup"),
    (Loop.TICKING_AGAIN, LoopEvent.RUN): (Loop.TICKING_AGAIN, None),
    (Loop.TICKING_AGAIN, LoopEvent.TICKED): (Loop.TICKING, "tick"),
    (Loop.TICKING_AGAIN, LoopEvent.FAILED): (Loop.TICKING, "tick"),
    # Changes before the first tick are in it; a tick in flight at a stop ends unheard.
    (Loop.STOPPED, LoopEvent.RUN): (Loop.STOPPED, None),
    (Loop.STARTING, LoopEvent.RUN): (Loop.STARTING, None),
    (Loop.STOPPED, LoopEvent.STARTED): (Loop.STOPPED, None),
    (Loop.STOPPED, LoopEvent.TICKED): (Loop.STOPPED, None),
    (Loop.STOPPED, LoopEvent.FAILED): (Loop.STOPPED, None),
    **{(state, LoopEvent.STOP): (Loop.STOPPED, "halt") for state in Loop},
}


def equipment_from_history(rows: list[dict], zone_ids, now: float,
                           guard_now: float | None = None) -> dict[int, Equipment]:
    """Each zone's equipment as its switch events left it, restarted at ``now``.

    The equipment is kept on the guard's clock, which reads ``guard_now`` at ``now`` (the
    same when None). Events of the boot the guard's clock counts in bring their time on
    it (``*_monotonic``, see ``switch_history``) and keep it exactly. The others carry
    only wall-clock times, which map by the difference of the clocks now: a time later
    than ``now`` (the wall clock was set back while the hub was down) counts as ``now``,
    so an off then weighs as a fresh one and a run found going counts its minimum run
    from start-up at the latest.
    """
    offset = 0.0 if guard_now is None else now - guard_now
    start = now - offset

    def by_wall(t: float | None) -> float | None:
        return None if t is None else min(t, now) - offset

    found: dict[int, dict[str, FunctionState]] = {zone_id: {} for zone_id in zone_ids}
    for row in rows:
        if row["zone_id"] in found and row["function"] in FUNCTIONS:
            found[row["zone_id"]][row["function"]] = _function_state(row, by_wall, start)
    return {zone_id: restarted(Equipment(hub_start=start, **functions), start)
            for zone_id, functions in found.items()}


def _function_state(row: dict, by_wall: Callable[[float | None], float | None], start: float) -> FunctionState:
    on_since = row["last_on_monotonic"]
    if on_since is None:
        on_since = by_wall(row["last_on"])
    offs = [t for t in (by_wall(row["last_off"]), row["last_off_monotonic"]) if t is not None]
    starts = sorted([by_wall(t) for t in row["starts"]] + row["starts_monotonic"])
    return FunctionState(row["on"], on_since if row["on"] else None, max(offs, default=None),
                         tuple(t for t in starts if start < t + HOUR))


class ControlService(Service):
    """``api`` is the :class:`rpymostat.hub.api.app.HubAPI` that makes the service (it is
    given ``functools.partial(ControlService, ...)`` and calls it with itself): its store
    (unless ``store`` is given), live data, settings and schedule loading are the service's
    inputs, and it reports each change to ``changed``. ``clock`` is the wall clock,
    ``timer`` the monotonic one (``clock`` when None: one clock for both, as in most
    tests), and ``boot_id`` the boot of the machine that ``timer`` counts in
    (``rpymostat.runtime.monotonic.boot_id``; None for unknown: the history of earlier runs
    then maps by wall time)."""

    name = "control"

    def __init__(self, api, *, clock, http, timer=None, boot_id: str | None = None, store=None, pins=None,
                 decision_plugins: dict | None = None, aggregators: dict | None = None):
        self.api = api
        self.clock = clock
        self.timer = timer if timer is not None else clock
        self.boot_id = boot_id
        self.store = store if store is not None else api.store
        self.dispatcher = Dispatcher(clock=self.timer, http=http,
                                     command_token=lambda node_id: self.nodes.get(node_id, {}).get("command_token"),
                                     lease_s=lambda: api.settings["lease_s"], on_lost=self.relay_lost,
                                     pins=pins)
        self.decision_plugins = decision_plugins if decision_plugins is not None else load_all(GROUPS["decision"])
        self.aggregators = aggregators if aggregators is not None else load_all(GROUPS["aggregation"])
        self.started_at: float | None = None
        self._zones: dict[int, _Zone] = {}
        self.zones: list[dict] = []
        self.outputs: dict[str, dict] = {}
        self.nodes: dict[str, dict] = {}
        self._switches: list[dict] = []
        self._pending: list[_Unlogged] = []
        self._unwritten: list[str] = []  # why each write failed, since the last one that did not
        self._fault: Alarm | None = None
        self._config_dirty = True
        self._plans_dirty = True
        self._soon = None
        self._wakeup = None
        self.loop = Machine("control loop", LOOP_STATES, Loop.STOPPED, {
            "load_history": self._load_history, "retry_history": self._retry_history, "tick": self._tick,
            "plan_wakeup": self._plan_wakeup, "halt": self._halt})

    # -- life cycle ------------------------------------------------------------

    def startService(self):
        super().startService()
        self.loop.fire(LoopEvent.START)

    def stopService(self):
        super().stopService()
        self.loop.fire(LoopEvent.STOP)

    @property
    def phase(self) -> Loop:
        return self.loop.state

    @property
    def equipment(self) -> dict[int, Equipment]:
        """Each zone's equipment history (on the timer)."""
        return {zone_id: zone.equipment for zone_id, zone in self._zones.items()}

    @property
    def views(self) -> dict[int, ZoneView]:
        """Each decided zone's last decision."""
        return {zone_id: zone.view for zone_id, zone in self._zones.items() if zone.view is not None}

    def _load_history(self) -> None:
        d = self._rebuild()
        d.addCallbacks(lambda _: self.loop.fire(LoopEvent.STARTED), self._history_failed)

    def _history_failed(self, failure: Failure) -> None:
        """A database that cannot be read at start-up is read again an interval later;
        nothing is decided (and no output switched on) until it is. Any other failure is
        not caught here."""
        failure.trap(Unavailable)
        self._fault = Alarm("control_failed", f"the control loop cannot start ({failure.getErrorMessage()}); "
                                              f"nothing is switched on until it does")
        log.warn("the control loop cannot read the switch history: {why}; trying again in {delay:g} s",
                 why=failure.getErrorMessage(), delay=self.api.settings["control_interval_s"])
        self.loop.fire(LoopEvent.FAILED)

    def _retry_history(self) -> None:
        self._wakeup = self.timer.callLater(self.api.settings["control_interval_s"], self._load_history)

    @inlineCallbacks
    def _rebuild(self):
        """The guard's history from the switch events, so that the minimum off time also
        counts from start-up."""
        now, timer_now = self.clock.seconds(), self.timer.seconds()
        self.started_at = timer_now
        zones = yield self.store.list_zones()
        history = yield self.store.switch_history(now - HOUR, self.boot_id, timer_now - HOUR)
        self._zones = {zone_id: _Zone(equipment) for zone_id, equipment in
                       equipment_from_history(history, [z["id"] for z in zones], now, timer_now).items()}
        self._config_dirty = True  # every zone the configuration has gets its record at the first tick

    def _halt(self) -> None:
        for call in (self._soon, self._wakeup):
            if call is not None and call.active():
                call.cancel()
        self._soon = self._wakeup = None
        self.dispatcher.stop()

    # -- triggers ----------------------------------------------------------------

    def changed(self, kind: str) -> None:
        """The API's ``on_change``: note what to reload and tick soon (once for a burst)."""
        if kind in CONFIG_KINDS:
            self._config_dirty = True
        if kind in PLAN_KINDS:
            self._plans_dirty = True
        self.poke()

    def poke(self) -> None:
        """Tick soon: at the next turn of the reactor, once for all the pokes until then."""
        if self._soon is None or not self._soon.active():
            self._soon = self.timer.callLater(0, self.loop.fire, LoopEvent.RUN)

    def relay_lost(self, output_id: str, when: float, why: str) -> None:
        """The dispatcher's ``on_lost``: the output's function is (or may be) off from
        ``when`` (monotonic) on."""
        row = self.outputs.get(output_id)
        if row is not None and row["zone_id"] is not None and row["function"] is not None:
            self._switch_off(row["zone_id"], row["function"], output_id, when, why)
        self.poke()

    def _switch_off(self, zone_id: int, function: str, output_id: str, when: float, why: str) -> None:
        zone = self._zones.get(zone_id)
        if zone is None:
            return
        changed = switched_off(zone.equipment, function, when)
        if changed == zone.equipment:
            return
        zone.equipment = changed
        wall = wall_time(self.clock, self.timer, when)
        self._switched(zone_id, function, False, wall, when, f"relay_{why}"[:32])
        zone.lost.append(Lost(function, output_id, wall, why))

    def _switched(self, zone_id: int, function: str, on: bool, wall: float, when: float, reason: str) -> None:
        """A switch event for the queue, at ``wall`` and at ``when`` on the timer. The
        timer's reading is kept only with a known boot, in which it means something to a
        later run of the hub."""
        self._switches.append({"zone_id": zone_id, "function": function, "state": "on" if on else "off",
                               "time": wall, "reason": reason, "boot_id": self.boot_id,
                               "monotonic": None if self.boot_id is None else when})

    def _tick(self) -> None:
        self.tick().addCallbacks(self._ticked, self._tick_failed)

    def _ticked(self, _) -> None:
        self.loop.fire(LoopEvent.TICKED)

    def _tick_failed(self, failure: Failure) -> None:
        """The outputs must not run on without decisions, so the dispatcher stops renewing
        leases (they run out on the relays) until a tick succeeds; everything is reloaded
        at the next one. A database that cannot be read is expected now and then; anything
        else is a bug, and logged as one."""
        self._config_dirty = self._plans_dirty = True
        self.dispatcher.hold()
        self._fault = Alarm("control_failed", f"the control loop failed ({failure.getErrorMessage()}); "
                                              f"relay leases are not renewed until it runs again")
        next_steps = ("relay leases are no longer renewed, so the outputs go off as they run out, until a "
                      "tick succeeds")
        if failure.check(Unavailable):
            log.warn("control tick failed: {why}; {next_steps}", why=failure.getErrorMessage(),
                     next_steps=next_steps)
        else:
            log.failure("control tick failed; {next_steps}", failure, next_steps=next_steps)
        self.loop.fire(LoopEvent.FAILED)

    def _plan_wakeup(self) -> None:
        """The next tick: at the interval, a guard timer (monotonic) or a schedule change
        (wall clock; a step of the wall clock moves it by up to one interval)."""
        now, timer_now = self.clock.seconds(), self.timer.seconds()
        delays = [self.api.settings["control_interval_s"]]
        views = [z.view for z in self._zones.values() if z.view is not None]
        schedules = [z.schedule for z in self._zones.values() if z.schedule is not None]
        delays += [v.recheck_at - timer_now for v in views if v.recheck_at is not None and v.recheck_at > timer_now]
        delays += [s.until - now for s in schedules if s.until is not None and s.until > now]
        if self._wakeup is not None and self._wakeup.active():
            self._wakeup.cancel()
        self._wakeup = self.timer.callLater(min(delays), self.loop.fire, LoopEvent.RUN)

    # -- one tick ----------------------------------------------------------------

    @inlineCallbacks
    def tick(self):
        store = self.store
        if self._config_dirty:
            self._config_dirty = False
            zones = yield store.list_zones()
            outputs = yield store.list_outputs()
            nodes = yield store.list_nodes()
            self._configure(zones, outputs, nodes)
        if self._plans_dirty:
            self._plans_dirty = False
            for kept in self._zones.values():
                kept.schedule = None
        now, timer_now = self.clock.seconds(), self.timer.seconds()
        for zone in self.zones:
            schedule = self._zones[zone["id"]].schedule
            if schedule is None or (schedule.until is not None and now >= schedule.until):
                schedule = yield self._load_schedule(zone["id"], now)
                if schedule is None:
                    continue
            self._decide(zone, schedule, now, timer_now)
        self.dispatcher.release({o for z in self.zones for o in z["outputs"].values()})
        yield self._write()
        self._fault = None

    @inlineCallbacks
    def _write(self):
        """Write what is queued; remove it from the queue only once it is committed."""
        entries, switches = list(self._pending), list(self._switches)
        if not entries and not switches:
            return
        try:
            gone = yield self.store.record_control([entry.row for entry in entries], switches)
        except Unavailable as exc:
            self._not_written(str(exc))
            return
        del self._pending[:len(entries)]
        del self._switches[:len(switches)]
        if self._unwritten:
            log.info("the control history is written again, after {count} failed writes",
                     count=len(self._unwritten))
            self._unwritten = []
        for entry in entries:
            if entry.zone_id not in gone and entry.zone_id in self._zones:
                self._zones[entry.zone_id].logged = (entry.signature, entry.at)
        for zone_id in gone:
            log.info("zone {zone_id} was deleted before its control history was written: its "
                     "{decisions} decisions and {switches} switch events went with it",
                     zone_id=zone_id, decisions=sum(e.zone_id == zone_id for e in entries),
                     switches=sum(row["zone_id"] == zone_id for row in switches))

    def _not_written(self, why: str) -> None:
        self._unwritten.append(why)
        count = len(self._unwritten)
        if count == 1:
            log.warn("{why}; kept to be written at the next tick", why=why)
        elif count == UNWRITTEN_ALARM_AFTER:
            log.warn("{why}; {count} writes in a row failed (alarm history_unwritten); still kept and tried "
                     "at every tick", why=why, count=count)

    def service_alarms(self) -> tuple[Alarm, ...]:
        """The control loop's own troubles, shown with every zone's alarms."""
        alarms = () if self._fault is None else (self._fault,)
        if len(self._unwritten) >= UNWRITTEN_ALARM_AFTER:
            alarms += (Alarm("history_unwritten", f"the decision log and switch history could not be "
                                                  f"written {len(self._unwritten)} times in a row "
                                                  f"({self._unwritten[-1]}); kept and tried at every tick"),)
        return alarms

    def _configure(self, zones: list[dict], outputs: list[dict], nodes: list[dict]) -> None:
        """The configuration read again: a record for each zone (none for a zone deleted),
        the relays' certificates, and what the relays reported of each zone's outputs."""
        self.zones = zones
        self.outputs = {o["id"]: o for o in outputs}
        self.nodes = {n["id"]: n for n in nodes}
        self.dispatcher.trust({n["url"]: n["tls_fingerprint"] for n in nodes if n["url"]})
        ids = {z["id"] for z in zones}
        for gone in set(self._zones) - ids:
            del self._zones[gone]
        for zone in zones:
            self._zones.setdefault(zone["id"], _Zone(Equipment(hub_start=self.started_at)))
            for function, output_id in zone["outputs"].items():
                if output_id in self.outputs:
                    self._reconcile(zone["id"], function, self.outputs[output_id])

    def _reconcile(self, zone_id: int, function: str, row: dict) -> None:
        """What the outputs table says of a function's output, against the equipment history."""
        output_id, timer_now = row["id"], self.timer.seconds()
        reported = None if row["state_time"] is None else timer_time(self.clock, self.timer, row["state_time"])
        self.dispatcher.reported(output_id, row["state"], reported)
        equipment = self._zones[zone_id].equipment
        state = equipment.function(function)
        if state.on and output_id not in self.dispatcher.outputs:
            # Running by the history, and not commanded by this hub yet: a hub before
            # a restart may have renewed its lease up to the moment it stopped.
            self.dispatcher.may_be_on_until(
                output_id, self.started_at + self.api.settings["lease_s"] + self.dispatcher.timeout_s)
        began = state.on_since if state.on_since is not None else equipment.hub_start
        # Report times are to the millisecond: an off stamped within one of the run's
        # start may be the newer news (a relay rebooting as it was switched on). A
        # relay's clock may also run ahead: an off is never later than when it is heard.
        if state.on and row["state"] == "off" and reported is not None and reported > began - REPORT_RESOLUTION_S:
            self._switch_off(zone_id, function, output_id, min(reported, timer_now), "reported_off")

    @inlineCallbacks
    def _load_schedule(self, zone_id: int, now: float):
        try:
            plan = yield self.api.zone_plan(zone_id)
        except LookupError:  # the zone went away under the tick; the next one forgets it
            return None
        state = current_state(plan.schedule, from_timestamp(now), plan.plugins)
        segment = state.segment
        names = {rule.id: rule.name for rule in plan.schedule.rules}
        schedule = _Schedule(segment.target, segment.rule_id, names.get(segment.rule_id, segment.rule_id),
                             segment.why,
                             None if state.next_change is None else to_timestamp(state.next_change))
        self._zones[zone_id].schedule = schedule
        return schedule

    def _decide(self, zone: dict, schedule: _Schedule, now: float, timer_now: float) -> None:
        """One zone's turn in a tick: its temperature, the decision, the commands to its
        relays, then what the API shows and the decision log keeps."""
        zone_id = zone["id"]
        values = for_zone(self.api.settings, zone["settings"])
        settings = Settings.from_mapping(values)
        aggregate, notes = self._aggregate(zone, schedule.target, settings, now)
        kept = self._zones[zone_id]
        lost, kept.lost = kept.lost, []  # before dispatching: what happens during it goes with the next decision
        plugin, plugin_settings = self._plugin(schedule.target, values)
        rule = None if schedule.rule_id is None else str(schedule.rule_name)
        decision = decide(Inputs(aggregate.temperature, aggregate.time, schedule.target, kept.equipment,
                                 now, settings, rule=rule, plugin_settings=plugin_settings, guard_now=timer_now),
                          plugin)
        self._apply(zone_id, decision, now, timer_now)
        notes += self._command(zone, decision)
        alarms = decision.alarms + notes + self._relay_alarms(zone)
        next_check = min([t for t in (decision.data["recheck_at"], schedule.until) if t is not None and t > now],
                         default=None)
        kept.view = ZoneView(zone_id, decision, aggregate, schedule.target, alarms, now, next_check,
                             decision.recheck_at)
        self._log(zone, decision, aggregate, schedule, alarms, lost, now, timer_now)
        self.api.events.decided(zone_id, self.zone_runtime(zone_id))  # the UI's live view (GET /v1/events)

    def _aggregate(self, zone: dict, target: Target, settings: Settings,
                   now: float) -> tuple[Aggregate, tuple[Alarm, ...]]:
        """The zone's temperature from the newest readings of the sensors that count."""
        latest = self.api.live.latest
        readings = {}
        for sensor_id in set(zone["sensors"]).union(target.sensor_ids()):
            found = latest.get(sensor_id)
            readings[sensor_id] = None if found is None else Reading(found.value, found.time)
        aggregator = self.aggregators.get(target.aggregation)
        notes: tuple[Alarm, ...] = ()
        if aggregator is None:
            aggregator = self.aggregators.get("mean") or Mean()
            notes = (Alarm("aggregation_missing", f"aggregation plugin {target.aggregation!r} is "
                                                  f"not installed; using mean"),)
        aggregate = aggregator.aggregate(readings, target.sensors, now=now,
                                         report_interval_s=settings.report_interval_s,
                                         stale_after_intervals=settings.stale_after_intervals)
        return aggregate, notes

    def _plugin(self, target: Target, values: dict) -> tuple[object, dict]:
        """The decision plugin the target names (else the zone's), and the settings it reads."""
        name = target.decision or values["decision_plugin"]
        plugin = self.decision_plugins.get(name) or _MissingPlugin(name)
        schema = getattr(plugin, "settings_schema", {}) or {}
        return plugin, {k: v for k, v in values.items() if k in schema.get("properties", {})}

    def _apply(self, zone_id: int, decision: Decision, now: float, timer_now: float) -> None:
        """The equipment history moves on with the decision; each switch is queued as an event."""
        zone = self._zones[zone_id]
        equipment = zone.equipment
        zone.equipment = after = apply(equipment, decision.commands, timer_now)
        for function in FUNCTIONS:
            if after.function(function).on != equipment.function(function).on:
                self._switched(zone_id, function, after.function(function).on, now, timer_now, "decision")

    def _command(self, zone: dict, decision: Decision) -> tuple[Alarm, ...]:
        """Each function's command to its output; an alarm for a function wanted with no output."""
        notes = []
        for function in FUNCTIONS:
            wanted = getattr(decision.commands, function)
            output_id = zone["outputs"].get(function)
            if output_id is None:
                if wanted:
                    notes.append(Alarm("no_output", f"{function} is wanted but the zone has no "
                                                    f"{function} output"))
                continue
            row = self.outputs.get(output_id, {})
            node = self.nodes.get(row.get("node_id"))
            self.dispatcher.set(output_id, row.get("node_id"), node and node.get("url"), wanted)
        return tuple(notes)

    def _relay_alarms(self, zone: dict) -> tuple[Alarm, ...]:
        problems = self.dispatcher.problems()
        return tuple(Alarm(problems[output_id].code, problems[output_id].message)
                     for output_id in zone["outputs"].values() if output_id in problems)

    def _last_logged(self, zone_id: int) -> tuple[tuple, float] | None:
        """The zone's newest logged decision (signature, monotonic time), counting those
        still waiting for their commit."""
        for entry in reversed(self._pending):
            if entry.zone_id == zone_id:
                return entry.signature, entry.at
        zone = self._zones.get(zone_id)
        return None if zone is None else zone.logged

    def _log(self, zone, decision: Decision, aggregate: Aggregate, schedule: _Schedule,
             alarms: tuple[Alarm, ...], lost: list[Lost], now: float, timer_now: float) -> None:
        signature = (
            decision.action, tuple(sorted(decision.commands.to_json().items())),
            tuple(sorted(a.code for a in alarms)),
            tuple((c["subject"], c["rule"]) for c in decision.data["guard"]),
            repr(schedule.target), schedule.rule_id,
        )
        previous = self._last_logged(zone["id"])
        if (not lost and previous is not None and previous[0] == signature
                and timer_now < previous[1] + LOG_EVERY_S):
            return
        reason = decision.reason
        if lost:
            reason += "; relay: " + "; ".join(item.text() for item in lost)
        data = {
            **decision.data,
            "alarms": [a.to_json() for a in alarms],
            "sensors": aggregate.to_json(),
            "schedule": {"rule_id": schedule.rule_id, "why": schedule.why},
            "outputs": dict(zone["outputs"]),
            "relay_events": [{"function": item.function, "output_id": item.output_id, "time": item.when,
                              "why": item.why} for item in lost],
        }
        row = {"zone_id": zone["id"], "time": now, "action": decision.action,
               "commands": decision.commands.to_json(), "reason": reason, "data": data}
        self._pending.append(_Unlogged(zone["id"], row, signature, timer_now))

    # -- views for the API -------------------------------------------------------

    def zone_runtime(self, zone_id: int) -> dict | None:
        kept = self._zones.get(zone_id)
        view = None if kept is None else kept.view
        if view is None:
            return None
        decision, aggregate = view.decision, view.aggregate
        outputs = {}
        zone = next((z for z in self.zones if z["id"] == zone_id), {"outputs": {}})
        for function, output_id in zone["outputs"].items():
            row = self.outputs.get(output_id, {})
            commanded = self.dispatcher.state(output_id)
            lease_until = commanded["lease_until"]
            outputs[function] = {"id": output_id, "reported": row.get("state"), **commanded,
                                 "lease_until": None if lease_until is None else
                                 format_optional(wall_time(self.clock, self.timer, lease_until))}
        return {
            "temperature": aggregate.temperature,
            "temperature_time": format_optional(aggregate.time),
            "sensors_used": list(aggregate.used),
            "sensors_dropped": [{"sensor_id": d.sensor_id, "reason": d.reason} for d in aggregate.dropped],
            "action": decision.action,
            "commands": decision.commands.to_json(),
            "reason": decision.reason,
            "alarms": [a.to_json() for a in view.alarms + self.service_alarms()],
            "decided_at": format_optional(view.decided_at),
            "next_recheck": format_optional(view.next_check),
            "outputs": outputs,
            "preheat": None,
        }

    def zone_status(self, zone: dict, sensors: list[dict], settings: dict, now: float) -> dict:
        """One zone of ``GET /v1/status``; before the zone's first decision, the API's
        plain summary."""
        kept = self._zones.get(zone["id"])
        view = None if kept is None else kept.view
        if view is None:
            return basic_zone_status(zone, sensors, settings, now)
        return {"id": zone["id"], "name": zone["name"], "temperature": view.aggregate.temperature,
                "sensors_used": list(view.aggregate.used), "target": view.target.to_json(),
                "action": view.decision.action, "reason": view.decision.reason,
                "alarms": [a.to_json() for a in view.alarms + self.service_alarms()]}
