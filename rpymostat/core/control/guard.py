"""The equipment guard: what may actually be switched, whatever a decision plugin asked.

The guard is not a plugin and has no off switch. ``decide`` always runs it after the
plugin, so every safety rule of DESIGN §6 holds here and nowhere else needs to be trusted.
It also holds the values the control core reads (settings, equipment history, inputs,
commands), because the guard is the layer everything else builds on; import them from
``rpymostat.core.control.decide``, which re-exports them.

The rules, in the order they are applied (codes in brackets, as in ``Change.rule`` and
``Alarm.code``):

1. No valid fresh temperature [``no_temperature``]: heat, aux and cool stop at once (a
   safety stop, which may cut a run short) and an alarm is raised. A heater is never left
   on by a dead sensor, and nothing, not even the freeze guard, starts without one.
2. Over-temperature above 35 °C [``over_temperature``]: heat and aux stop at once.
3. Freeze guard below 5 °C [``freeze``], in every mode including ``off``: heat is
   requested until 6 °C and cooling stops. It needs a valid fresh reading (rule 1), and
   it does *not* override the timing rules below: minimum off time, starts per hour and
   changeover protect the equipment, and 5 °C leaves a wide margin above the 0 °C at
   which pipes freeze, while a room cannot lose that margin in the few minutes a timer
   holds. An alarm is raised while the room is below 5 °C.
4. Heat (heat, aux) and cool are never requested together [``exclusive``]: the one
   already running keeps going, otherwise heat wins.
5. Minimum run time [``min_run``]: a running function stays on until it has run
   ``min_run_s``, unless the target's mode is ``off`` (the user's off) or rule 1 or 2
   stops it. A freeze-guard run in ``off`` mode therefore ends as soon as 6 °C is reached.
6. Minimum off time [``min_off``]: a function starts only ``min_off_s`` after it last
   went off, and [``startup``] only ``min_off_s`` after the hub started, because a hub
   that just started cannot know when a relay last switched.
7. Starts per hour [``max_starts``]: at most ``max_starts_per_hour`` starts of one function
   in any 3600 s window.
8. Changeover [``changeover``]: heat starts only when cool is off and has been off for
   ``changeover_s``, and the other way round.

Setpoints only within 5–35 °C (and, in auto, cool at least 0.5 °C above heat) is enforced
by ``safe_target``, which ``decide`` applies before the plugin sees the target.

Every timer is "blocked while ``now < start + duration``", the same sum as the instant it
reports, so that deciding again exactly at ``recheck_at`` finds the timer expired even
with floating-point timestamps.

Two clocks: the timers (rules 5 to 8) count on the guard's clock, ``Inputs.guard_time``,
in which the ``Equipment`` history is kept; the hub passes its monotonic clock there
(``rpymostat.runtime.monotonic``), so a stepped wall clock neither shortens an off time nor
lengthens a run. Whether the temperature is fresh is a wall-clock question (readings
carry wall-clock times) and uses ``Inputs.now``. Without ``guard_now`` both are ``now``.

``recheck_at`` is the earliest instant, on the guard's clock, at which a guard timer runs
out: a run reaching its minimum, a refused start becoming allowed, or the temperature
going stale while something runs. The service should decide again then rather than a
tick later.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs

from rpymostat.core.control.learner import ZoneModel
from rpymostat.core.control.lookahead import Outdoor, Previous, Upcoming
from rpymostat.core.readings import age_problem, invalid_reason, stale_at
from rpymostat.core.target import AUTO_MIN_GAP, SETPOINT_MAX, SETPOINT_MIN, Target
from rpymostat.core.timeutil import is_finite_number

FREEZE_BELOW = 5.0
FREEZE_TARGET = 6.0
OVER_TEMPERATURE = 35.0
HOUR = 3600.0

FUNCTIONS = ("heat", "aux", "cool", "fan")
HEAT_GROUP = ("heat", "aux")
COOL_GROUP = ("cool",)
GUARDED = HEAT_GROUP + COOL_GROUP


@attrs.frozen
class Settings:
    """The control settings of one zone; names and defaults as in ``rpymostat.core.settings``."""

    deadband: float = 0.5
    overrun: float = 0.5
    min_off_s: float = 300.0
    min_run_s: float = 300.0
    max_starts_per_hour: int = 6
    changeover_s: float = 30.0
    report_interval_s: float = 30.0
    stale_after_intervals: int = 3
    lease_s: float = 90.0

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "Settings":
        """From a settings dict (such as ``settings.for_zone(...)``); other keys are ignored."""
        names = {field.name for field in attrs.fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in names})


@attrs.frozen
class FunctionState:
    """One function's switching history, in the guard's time (``Inputs.guard_time``).

    ``on_since`` None while on means "unknown" (say, found on after a restart): the guard
    then counts the run from the hub's start-up. ``last_off`` None means never seen off.
    ``starts`` needs only the starts of the last hour; older ones are ignored.
    """

    on: bool = False
    on_since: Optional[float] = None
    last_off: Optional[float] = None
    starts: tuple[float, ...] = ()


_OFF = FunctionState()


@attrs.frozen
class Equipment:
    hub_start: float
    heat: FunctionState = _OFF
    aux: FunctionState = _OFF
    cool: FunctionState = _OFF
    fan: FunctionState = _OFF

    def function(self, name: str) -> FunctionState:
        state: FunctionState = getattr(self, name)
        return state


@attrs.frozen
class Commands:
    heat: bool = False
    aux: bool = False
    cool: bool = False
    fan: bool = False

    def to_json(self) -> dict[str, Any]:
        return {name: "on" if getattr(self, name) else "off" for name in FUNCTIONS}


@attrs.frozen
class Inputs:
    """Everything one decision depends on.

    ``temperature`` and ``temperature_time`` come from an ``Aggregate`` (None, None when
    there is no temperature). ``rule`` names what set the target, for the reason text.
    ``plugin_settings`` are the decision plugin's own settings, already validated against
    its ``settings_schema``. ``now`` is wall-clock time (readings, schedules);
    ``guard_now``, when given, is the guard's clock, in which ``equipment`` is kept.

    Plugin API 2 added the look-ahead inputs, all optional so that a plugin written for
    API 1 never sees a difference: ``segments`` (the segment in force first, then those
    starting within the look-ahead window), ``model`` (the zone's learned heating and
    cooling rates), ``outdoor`` (the newest outdoor temperature, None when unknown) and
    ``previous`` (the zone's previous decision, None before its first).
    """

    temperature: Optional[float]
    temperature_time: Optional[float]
    target: Target
    equipment: Equipment
    now: float
    settings: Settings = Settings()
    rule: Optional[str] = None
    plugin_settings: Mapping[str, Any] = attrs.field(factory=dict)
    guard_now: Optional[float] = None
    segments: tuple[Upcoming, ...] = ()
    model: Optional[ZoneModel] = None
    outdoor: Optional[Outdoor] = None
    previous: Optional[Previous] = None

    def upcoming(self) -> tuple[Upcoming, ...]:
        """The segments that start after now, soonest first."""
        return tuple(segment for segment in self.segments if segment.start > self.now)

    @property
    def guard_time(self) -> float:
        """Now on the clock of the equipment history and the guard's timers."""
        return self.now if self.guard_now is None else self.guard_now

    def guard_instant(self, wall: float) -> float:
        """A wall-clock instant near now on the guard's clock."""
        return wall if self.guard_now is None else self.guard_now + (wall - self.now)

    def wall_instant(self, instant: float) -> float:
        """An instant on the guard's clock as wall-clock time."""
        return instant if self.guard_now is None else self.now + (instant - self.guard_now)


@attrs.frozen
class Alarm:
    code: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message}


@attrs.frozen
class Change:
    """Something the guard changed: ``subject`` is a function or a setpoint name;
    ``until`` is on the guard's clock."""

    subject: str
    rule: str
    text: str
    until: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "rule": self.rule, "text": self.text, "until": self.until}


@attrs.frozen
class Guarded:
    commands: Commands
    changes: tuple[Change, ...]
    alarms: tuple[Alarm, ...]
    recheck_at: Optional[float]


def temperature_problem(inputs: Inputs) -> Optional[str]:
    """Why the inputs' temperature cannot be acted on, or None when it can.

    The aggregation already dropped bad sensors; this checks again because the guard
    must not depend on its callers being right.
    """
    if inputs.temperature is None or inputs.temperature_time is None:
        return "no_temperature"
    s = inputs.settings
    return invalid_reason(inputs.temperature) or age_problem(
        inputs.temperature_time, inputs.now, s.report_interval_s, s.stale_after_intervals
    )


def freeze_wants_heat(temperature: float, heat_on: bool) -> bool:
    return temperature < FREEZE_BELOW or (heat_on and temperature < FREEZE_TARGET)


def safe_target(target: Target) -> tuple[Target, tuple[Change, ...], tuple[Alarm, ...]]:
    """The target with setpoints brought within 5–35 °C (and the auto gap kept).

    A target the API accepted is already safe; this is for targets from anywhere else
    (a plugin, an old database row). What cannot be repaired is reported as an alarm,
    and the plugin then finds no setpoint to act on.
    """
    changes = []
    points = {"heat_setpoint": target.heat_setpoint, "cool_setpoint": target.cool_setpoint}
    for name, value in points.items():
        if value is None:
            continue
        if not is_finite_number(value):
            points[name] = None
            changes.append(Change(name, "setpoint_range", f"{name} {value!r} ignored"))
        elif not SETPOINT_MIN <= value <= SETPOINT_MAX:
            points[name] = min(max(value, SETPOINT_MIN), SETPOINT_MAX)
            changes.append(Change(name, "setpoint_range",
                                  f"{name} {value:g} °C limited to {points[name]:g} °C"))
    heat, cool = points["heat_setpoint"], points["cool_setpoint"]
    if target.mode == "auto" and heat is not None and cool is not None and cool - heat < AUTO_MIN_GAP:
        cool = min(heat + AUTO_MIN_GAP, SETPOINT_MAX)
        heat = min(heat, cool - AUTO_MIN_GAP)
        changes.append(Change("cool_setpoint", "auto_gap",
                              f"auto setpoints moved apart to {heat:g}/{cool:g} °C"))
    safe = attrs.evolve(target, heat_setpoint=heat, cool_setpoint=cool)
    problems = safe.problems()
    alarms = (Alarm("target_invalid", "; ".join(problems)),) if problems else ()
    return safe, tuple(changes), alarms


# Why a function may not start: (rule, the instant it clears or None, text).
_Blocker = tuple[str, Optional[float], str]


def _start_blockers(name: str, inputs: Inputs, off_at: Mapping[str, Optional[float]]) -> list[_Blocker]:
    """Why ``name`` may not start now: (rule, the instant it clears or None, text).

    ``off_at`` says when each running function goes off (now, or when its minimum run
    ends), None when it keeps running; the changeover counts from then.
    """
    s, eq, now = inputs.settings, inputs.equipment, inputs.guard_time
    state = eq.function(name)
    found: list[_Blocker] = []
    if state.last_off is not None and now < state.last_off + s.min_off_s:
        until = state.last_off + s.min_off_s
        found.append(("min_off", until, f"minimum off time, {until - now:.0f} s left"))
    if now < eq.hub_start + s.min_off_s:
        until = eq.hub_start + s.min_off_s
        found.append(("startup", until, f"minimum off time after start-up, {until - now:.0f} s left"))
    recent = sorted(t for t in state.starts if now < t + HOUR)
    if len(recent) >= s.max_starts_per_hour:
        until = recent[len(recent) - s.max_starts_per_hour] + HOUR
        found.append(("max_starts", until,
                      f"{len(recent)} starts in the last hour, next allowed in {until - now:.0f} s"))
    others = COOL_GROUP if name in HEAT_GROUP else HEAT_GROUP
    for other in others:
        other_state = eq.function(other)
        if other_state.on:
            off = off_at[other]
            found.append(("changeover", None if off is None else off + s.changeover_s, f"{other} is running"))
        elif other_state.last_off is not None and now < other_state.last_off + s.changeover_s:
            until = other_state.last_off + s.changeover_s
            found.append(("changeover", until, f"changeover from {other}, {until - now:.0f} s left"))
    return found


_SAFETY_WORDS = {
    "no_temperature": "no valid fresh temperature",
    "over_temperature": f"above {OVER_TEMPERATURE:g} °C",
    "freeze": f"freeze guard, below {FREEZE_BELOW:g} °C",
}


def _safety(inputs: Inputs) -> tuple[dict[str, str], bool, list[Alarm]]:
    """Functions that must stop now (function -> rule), whether freeze heat is needed, alarms."""
    problem = temperature_problem(inputs)
    temperature = inputs.temperature
    if problem or temperature is None:
        message = f"no valid fresh temperature ({problem}): heating and cooling stopped"
        return {name: "no_temperature" for name in GUARDED}, False, [Alarm("no_temperature", message)]
    if temperature > OVER_TEMPERATURE:
        message = f"{temperature:.1f} °C is above {OVER_TEMPERATURE:g} °C: heating stopped"
        return ({name: "over_temperature" for name in HEAT_GROUP}, False,
                [Alarm("over_temperature", message)])
    if freeze_wants_heat(temperature, inputs.equipment.heat.on):
        alarms = []
        if temperature < FREEZE_BELOW:
            alarms.append(Alarm("freeze", f"{temperature:.1f} °C is below {FREEZE_BELOW:g} °C: "
                                          f"freeze guard heating to {FREEZE_TARGET:g} °C"))
        return {"cool": "freeze"}, True, alarms
    return {}, False, []


def guard(inputs: Inputs, proposed: Commands) -> Guarded:
    """The commands actually allowed for ``proposed``, what was changed and why, the alarms
    and when to decide again (on the guard's clock).

    The rules apply in their order of the module's docstring: the safety stops and the
    freeze guard change what is wanted, then heat and cool are kept apart, then the timers
    decide which running functions stay on and which wanted ones may start.
    """
    forced_off, freeze, alarms = _safety(inputs)
    want = {name: getattr(proposed, name) for name in GUARDED}
    want, safety_changes = _safety_stops(want, forced_off, freeze)
    want, exclusive_changes = _heat_or_cool(want, inputs.equipment)
    running = _keep_running(inputs, want, forced_off)
    starting = _start(inputs, want, running)
    final = {**running.final, **starting.final}
    timers = running.timers + starting.timers + _stale_timer(inputs, final)
    changes = safety_changes + exclusive_changes + running.changes + starting.changes
    commands = Commands(fan=proposed.fan, **final)
    return Guarded(commands, changes, tuple(alarms), min(timers, default=None))


@attrs.frozen
class _Timed:
    """What a timer step of the guard settled: on or off for some functions, the changes it
    made, when its timers run out and, for running functions, when each goes off (None:
    it keeps running)."""

    final: Mapping[str, bool]
    changes: tuple[Change, ...]
    timers: tuple[float, ...]
    off_at: Mapping[str, Optional[float]] = attrs.field(factory=dict)


def _safety_stops(want: dict[str, bool], forced_off: Mapping[str, str],
                  freeze: bool) -> tuple[dict[str, bool], tuple[Change, ...]]:
    """Rules 1 to 3: what must stop is off, and the freeze guard's heat is on."""
    want = dict(want)
    changes = []
    for name, rule in forced_off.items():
        if want[name]:
            changes.append(Change(name, rule, f"{name} off: {_SAFETY_WORDS[rule]}"))
            want[name] = False
    if freeze and not want["heat"]:
        want["heat"] = True
        changes.append(Change("heat", "freeze", f"freeze guard: heating to {FREEZE_TARGET:g} °C"))
    return want, tuple(changes)


def _heat_or_cool(want: dict[str, bool], eq: Equipment) -> tuple[dict[str, bool], tuple[Change, ...]]:
    """Rule 4: heat and cool never together; the one running keeps going, else heat wins."""
    if not (any(want[n] for n in HEAT_GROUP) and any(want[n] for n in COOL_GROUP)):
        return want, ()
    want = dict(want)
    changes = []
    loser = HEAT_GROUP if any(eq.function(n).on for n in COOL_GROUP) else COOL_GROUP
    for name in loser:
        if want[name]:
            want[name] = False
            changes.append(Change(name, "exclusive", f"{name} refused: heat and cool never together"))
    return want, tuple(changes)


def _min_run_end(inputs: Inputs, name: str, want: bool, forced_off: Mapping[str, str]) -> Optional[float]:
    """Rule 5: until when a running function that is not wanted must stay on, or None when
    it may go off now (or is wanted anyway)."""
    state = inputs.equipment.function(name)
    ran_from = inputs.equipment.hub_start if state.on_since is None else state.on_since
    until = ran_from + inputs.settings.min_run_s
    held = (not want and name not in forced_off and inputs.target.mode != "off"
            and inputs.guard_time < until)
    return until if held else None


def _keep_running(inputs: Inputs, want: dict[str, bool], forced_off: Mapping[str, str]) -> _Timed:
    """The running functions: on while wanted or held by their minimum run time."""
    now = inputs.guard_time
    final: dict[str, bool] = {}
    off_at: dict[str, Optional[float]] = {}
    changes, timers = [], []
    for name in GUARDED:
        if not inputs.equipment.function(name).on:
            continue
        until = _min_run_end(inputs, name, want[name], forced_off)
        final[name] = want[name] or until is not None
        off_at[name] = None if want[name] else (now if until is None else until)
        if until is not None:
            timers.append(until)
            changes.append(Change(name, "min_run", f"{name} kept on: minimum run time, "
                                                   f"{until - now:.0f} s left", until))
    return _Timed(final, tuple(changes), tuple(timers), off_at)


def _start(inputs: Inputs, want: dict[str, bool], running: _Timed) -> _Timed:
    """Rules 6 to 8: the functions that are off start when wanted and nothing blocks them."""
    final: dict[str, bool] = {}
    changes, timers = [], []
    for name in GUARDED:
        if name in running.final:
            continue
        blockers = _start_blockers(name, inputs, running.off_at) if want[name] else []
        final[name] = want[name] and not blockers
        if not blockers:
            continue
        untils = [until for _, until, _ in blockers]
        until = None if None in untils else max(u for u in untils if u is not None)
        if until is not None:
            timers.append(until)
        for rule, _, text in blockers:
            changes.append(Change(name, rule, f"{name} held off: {text}", until))
    return _Timed(final, tuple(changes), tuple(timers))


def _stale_timer(inputs: Inputs, final: Mapping[str, bool]) -> tuple[float, ...]:
    """While anything runs, decide again when the temperature goes stale."""
    if not any(final.values()) or inputs.temperature_time is None:
        return ()
    s = inputs.settings
    stale = stale_at(inputs.temperature_time, s.report_interval_s, s.stale_after_intervals)
    return (inputs.guard_instant(stale),)


def apply(equipment: Equipment, commands: Commands, now: float) -> Equipment:
    """The history once ``commands`` have been carried out at ``now`` (the guard's clock)."""
    updated: dict[str, Any] = {}
    for name in FUNCTIONS:
        state, on = equipment.function(name), getattr(commands, name)
        if on and not state.on:
            starts = tuple(t for t in state.starts if now < t + HOUR) + (now,)
            updated[name] = FunctionState(True, now, state.last_off, starts)
        elif state.on and not on:
            updated[name] = attrs.evolve(state, on=False, on_since=None, last_off=now)
    return attrs.evolve(equipment, **updated)


def switched_off(equipment: Equipment, name: str, when: float) -> Equipment:
    """The history once ``name`` is off from ``when`` on: a relay turned it off by itself
    (its lease ran out), or it may have stayed on until then (a stop the relay did not
    confirm). An off time only ever moves later, so the minimum off time counts from the
    last instant the equipment may have run."""
    state = equipment.function(name)
    if state.on:
        changed: dict[str, Any] = {name: attrs.evolve(state, on=False, on_since=None, last_off=when)}
    elif state.last_off is not None and when > state.last_off:
        changed = {name: attrs.evolve(state, last_off=when)}
    else:
        return equipment
    return attrs.evolve(equipment, **changed)


def restarted(equipment: Equipment, now: float) -> Equipment:
    """The history after the hub restarted at ``now``: kept, with the new start-up time."""
    return attrs.evolve(equipment, hub_start=now)
