"""The ``predictive`` decision plugin: optimal start (DESIGN §6, learning).

Hysteresis reaches a raised heat target only some time after the segment that raises it
has begun. This plugin starts early instead, so that the target is reached *at* the
segment's start: for each upcoming segment that raises the heat setpoint (or lowers the
cool setpoint) it predicts the lead time from the zone's learned model at the indoor −
outdoor difference of the rise (dead time + rise / rate), adds a safety margin that
shrinks from ``preheat_margin`` to 5 % as the model's confidence grows, and caps it at
``preheat_max_hours``. Once ``now`` is within the lead time, it heats as hysteresis
would for the coming target.

An early start latches: the plugin records it in its ``Proposal.data`` and reads it back
from ``Inputs.previous``, so it keeps preparing that segment until the segment starts even
though the predicted lead shrinks as the room warms (no on-off chatter at the edge of the
prediction). It never starts early into a hold or a ``once`` rule (an away or holiday
interval), nor across one, nor while a hold is in force: those are the user's explicit word
for that time. Out of a ``once`` rule it does start early, for the segment that follows it:
the end of an away interval is when people are back, and the house should be warm then.
The guard still disposes of whatever it proposes.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs

from rpymostat.core.control.decide import Inputs, Proposal
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.lookahead import Outdoor, Upcoming
from rpymostat.core.settings import CONTROL_PROPERTIES
from rpymostat.core.target import Target

NAME = "predictive"
MIN_MARGIN = 0.05
MIN_RATE = 0.1  # K/h: below this the equipment cannot be relied on to get there; the cap applies
OUTDOOR_USABLE_S = 3 * 3600.0  # an outdoor reading older than this is not used
EXPLICIT_KINDS = ("hold", "once")
SETTING_KEYS = ("deadband", "overrun", "preheat_max_hours", "preheat_margin", "default_heat_rate",
                "default_cool_rate")
WORDS = {"heat": "preheating", "cool": "precooling"}


@attrs.frozen
class Lead:
    """How long before a segment to start, and from what."""

    seconds: float
    rate: float
    outdoor: Optional[float]
    capped: bool


def _setting(settings: Mapping[str, Any], key: str) -> float:
    return float(settings.get(key, CONTROL_PROPERTIES[key]["default"]))


def setpoint_of(target: Target, mode: str) -> Optional[float]:
    """The target's setpoint for a mode, when its mode runs that mode."""
    if target.mode not in (mode, "auto"):
        return None
    return target.heat_setpoint if mode == "heat" else target.cool_setpoint


def wants_more(current: Target, coming: Target, mode: str) -> bool:
    """Whether ``coming`` asks more of ``mode`` than ``current``: a higher heat or a lower cool setpoint."""
    now, then = setpoint_of(current, mode), setpoint_of(coming, mode)
    if now is None or then is None:
        return False
    return then > now if mode == "heat" else then < now


def lead_time(mode: str, temperature: float, setpoint: float, model: Rate, outdoor: Optional[Outdoor],
              now: float, settings: Mapping[str, Any]) -> Optional[Lead]:
    """The early start needed to bring ``temperature`` to ``setpoint``; None when it is there."""
    change = setpoint - temperature if mode == "heat" else temperature - setpoint
    if change <= 0:
        return None
    cap = _setting(settings, "preheat_max_hours") * 3600.0
    outside = None if outdoor is None or outdoor.age_s(now) > OUTDOOR_USABLE_S else outdoor.temperature
    difference = None if outside is None else (temperature + setpoint) / 2 - outside
    rate = model.rate_at(difference)
    if rate < MIN_RATE:
        return Lead(cap, rate, outside, True)
    margin = MIN_MARGIN + _setting(settings, "preheat_margin") * (1.0 - model.confidence)
    seconds = model.dead_time_s + change / rate * 3600.0 * (1.0 + margin)
    return Lead(min(seconds, cap), rate, outside, seconds > cap)


def model_for(inputs: Inputs, mode: str) -> Rate:
    if inputs.model is not None:
        return inputs.model.for_mode(mode)
    return Rate(mode, _setting(inputs.plugin_settings, f"default_{mode}_rate"))


def _plain(inputs: Inputs) -> list[Upcoming]:
    """The upcoming segments an early start may prepare: those before the first hold or
    ``once`` segment, none while a hold is in force."""
    in_force = [segment for segment in inputs.segments if segment.start <= inputs.now]
    if in_force and in_force[-1].kind == "hold":
        return []
    found = []
    for segment in inputs.upcoming():
        if segment.kind in EXPLICIT_KINDS:
            break
        found.append(segment)
    return found


def _latched(inputs: Inputs, mode: str, candidates: list[Upcoming]) -> Optional[tuple[Upcoming, float]]:
    """The segment a previous early start of this mode prepares, and when it began."""
    previous = inputs.previous
    if previous is None or previous.plugin != NAME:
        return None
    early = previous.data.get("early")
    if not isinstance(early, Mapping) or early.get("mode") != mode:
        return None
    for segment in candidates:
        if segment.start == early.get("for") and wants_more(inputs.target, segment.target, mode):
            return segment, float(early.get("started", inputs.now))
    return None


def _due(inputs: Inputs, mode: str, candidates: list[Upcoming],
         temperature: float) -> Optional[tuple[Upcoming, Lead]]:
    """The first upcoming segment of the mode whose early start is due now."""
    for segment in candidates:
        setpoint = setpoint_of(segment.target, mode)
        if setpoint is None or not wants_more(inputs.target, segment.target, mode):
            continue
        lead = lead_time(mode, temperature, setpoint, model_for(inputs, mode), inputs.outdoor, inputs.now,
                         inputs.plugin_settings)
        if lead is not None and inputs.now >= segment.start - lead.seconds:
            return segment, lead
    return None


def _raised(current: Target, coming: Target, mode: str) -> Target:
    if mode == "heat":
        return attrs.evolve(current, heat_setpoint=coming.heat_setpoint)
    return attrs.evolve(current, cool_setpoint=coming.cool_setpoint)


def _words(mode: str, segment: Upcoming, started: float, lead: Lead, model: Rate) -> str:
    setpoint = setpoint_of(segment.target, mode)
    outside = ", outdoor unknown" if lead.outdoor is None else f" at {lead.outdoor:.0f} °C outside".replace("-", "−")
    return (f"{WORDS[mode]} for {setpoint:.1f} °C at {segment.local_clock()}, started "
            f"{segment.local_clock(started)}, model {lead.rate:.1f} K/h{'' if model.learned else ' (default)'}"
            f"{outside}")


class Predictive:
    name = NAME
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "description": "Read from the zone's control settings of the same names.",
        "properties": {key: CONTROL_PROPERTIES[key] for key in SETTING_KEYS},
    }

    def __init__(self) -> None:
        self.hysteresis = Hysteresis()

    def propose(self, inputs: Inputs) -> Proposal:
        temperature = inputs.temperature
        if temperature is not None:
            candidates = _plain(inputs)
            for mode in ("heat", "cool"):
                early = self._early(inputs, mode, candidates, temperature)
                if early is not None:
                    return early
        return self.hysteresis.propose(inputs)

    def _early(self, inputs: Inputs, mode: str, candidates: list[Upcoming],
               temperature: float) -> Optional[Proposal]:
        model = model_for(inputs, mode)
        latched = _latched(inputs, mode, candidates)
        if latched is not None:
            segment, started = latched
            setpoint = setpoint_of(segment.target, mode)
            assert setpoint is not None
            lead = lead_time(mode, temperature, setpoint, model, inputs.outdoor, inputs.now,
                             inputs.plugin_settings) or Lead(0.0, model.rate_at(None), None, False)
        else:
            due = _due(inputs, mode, candidates, temperature)
            if due is None:
                return None
            (segment, lead), started = due, inputs.now
        proposal = self.hysteresis.propose(attrs.evolve(inputs, target=_raised(inputs.target, segment.target, mode)))
        data = {**proposal.data, "early": {"mode": mode, "for": segment.start, "started": started,
                                           "lead_s": round(lead.seconds, 1), "rate_k_per_h": round(lead.rate, 3),
                                           "outdoor": lead.outdoor, "confidence": model.confidence,
                                           "capped": lead.capped}}
        return Proposal(proposal.commands, f"{_words(mode, segment, started, lead, model)}; {proposal.reason}", data)


def predicted_start(before: Target, segment: Upcoming, model: Optional[ZoneModel], outdoor: Optional[Outdoor],
                    now: float, settings: Mapping[str, Any], temperature: Optional[float] = None) -> Optional[float]:
    """When the plugin would start early for ``segment`` after ``before``: from ``temperature``
    when known (the room now, for the next change), else from ``before``'s setpoint (the room
    will hold it until then). None when the segment asks no more of heat or cool."""
    for mode in ("heat", "cool"):
        if not wants_more(before, segment.target, mode):
            continue
        start_at = temperature if temperature is not None else setpoint_of(before, mode)
        setpoint = setpoint_of(segment.target, mode)
        rate = model.for_mode(mode) if model is not None else Rate(mode, _setting(settings, f"default_{mode}_rate"))
        if start_at is None or setpoint is None:
            continue
        lead = lead_time(mode, start_at, setpoint, rate, outdoor, now, settings)
        return None if lead is None else segment.start - lead.seconds
    return None
