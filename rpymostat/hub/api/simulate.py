"""``POST /v1/zones/{zone_id}/simulate``: a candidate configuration (rules, decision plugin,
settings) against the current one, on the zone's learned model, changing nothing
(docs/control.md). A mixin of ``HubAPI``.

A simulation costs one decision per simulated minute (about 0.2 ms each): 14 days, the
most a request may ask, is some seconds of CPU for the two runs. They run through
``simulation_runner`` (the hub gives it a thread of its own, so the reactor keeps serving;
tests run it inline), one simulation at a time: another request meanwhile gets a 409.
"""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks, maybeDeferred

from rpymostat.core.control.simulate import (
    MAX_DAYS,
    Case,
    built_in_weather,
    replayed_weather,
    simulate,
)
from rpymostat.core.history.names import OUTDOOR
from rpymostat.core.schedule.rules import RuleError, rule_from_json
from rpymostat.core.schedule.timeline import ZoneSchedule
from rpymostat.core.settings import NAME, for_zone
from rpymostat.core.timeutil import format_time
from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import ZONE_ID_MAX, add_schemas, obj, ref
from rpymostat.runtime.plugins import GROUPS, load_all
from rpymostat.web.http import ApiError, conflict

DAY = 86_400.0
RULES_MAX = 100
MIN_WEATHER_POINTS = 24
FALLBACK_TEMPERATURE = 20.0  # a zone never measured starts here

_RESULT = obj({
    "decision_plugin": {"type": "string"},
    "runtime_h": {"type": "number", "description": "Hours the heating or cooling ran (energy: × its power)."},
    "starts": {"type": "integer"},
    "discomfort_kh": {"type": "number", "description": "K·h below the heat setpoint or above the cool setpoint."},
    "lateness_min": obj({"rises": {"type": "integer"}, "mean": {"type": ["number", "null"]},
                         "max": {"type": ["number", "null"]}},
                        description="Minutes after each raised heat setpoint's start until the zone "
                                    "was within 0.25 K of it."),
    "trace": {"type": "array", "description": "Every 15 minutes: the predicted temperature, the outdoor "
              "temperature used, the heat setpoint and the action.",
              "items": obj({"time": {"type": "string", "format": "date-time"}, "temperature": {"type": "number"},
                            "outdoor": {"type": "number"}, "heat_setpoint": {"type": ["number", "null"]},
                            "action": {"type": "string"}})},
}, required=["decision_plugin", "runtime_h", "starts", "discomfort_kh", "lateness_min", "trace"])

add_schemas({
    "SimulateRequest": obj({
        "days": {"type": "integer", "minimum": 1, "maximum": MAX_DAYS, "default": 3},
        "rules": {"type": "array", "maxItems": RULES_MAX, "items": ref("RuleCreate"),
                  "description": "Candidate rules in place of the zone's (their zone_id must be this "
                                 "zone's); absent: the zone's own rules."},
        "decision_plugin": {"type": "string", "pattern": NAME, "description": "Candidate decision plugin."},
        "settings": ref("ZoneSettings"),
    }, description="What to try: any of rules, a decision plugin and control settings; the rest as now."),
    "Simulation": obj({
        "zone_id": {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
        "from": {"type": "string", "format": "date-time"}, "to": {"type": "string", "format": "date-time"},
        "weather": {"type": "string", "enum": ["history", "built-in"],
                    "description": "history: the recorded outdoor temperature of the last days, replayed; "
                                   "built-in: a cold-season day (−2..8 °C) when too little is recorded."},
        "start_temperature": {"type": "number"},
        "model": ref("ZoneModelRates"),
        "current": _RESULT, "candidate": _RESULT,
    }, required=["zone_id", "from", "to", "weather", "start_temperature", "model", "current", "candidate"]),
    "ZoneModelRates": obj({"heat": ref("Rate"), "cool": ref("Rate")}, required=["heat", "cool"]),
})


class SimulateAPI:
    simulation_runner = staticmethod(maybeDeferred)
    _simulating = False

    @op("POST", "/v1/zones/{zone_id}/simulate", summary="Simulate before you switch: run candidate rules, "
        "decision plugin or settings and the current configuration on the zone's learned model with the "
        "recent outdoor temperature, and compare run time, discomfort and lateness. Changes nothing.",
        tag="control", body="SimulateRequest", response="Simulation")
    @inlineCallbacks
    def simulate_zone(self, call):
        if self._simulating:  # 409s: what is refused depends on the hub's state, not on the body's shape
            raise conflict("a simulation is running; try again when it has finished")
        zone_id, body = call.params["zone_id"], call.body
        zone = yield self.store.get_zone(zone_id)
        plan = yield self.zone_plan(zone_id)
        current_values = for_zone(self.settings, zone["settings"])
        candidate_values = {**current_values, **body.get("settings", {})}
        if "decision_plugin" in body:
            candidate_values["decision_plugin"] = body["decision_plugin"]
        plugins = self._decision_plugins()
        for values in (current_values, candidate_values):
            if values["decision_plugin"] not in plugins:
                raise conflict(f"no decision plugin {values['decision_plugin']!r} is installed")
        schedule = self._candidate_schedule(plan.schedule, body.get("rules"), zone_id)
        model = (yield self._learning(zone_id)).model(zone_id, current_values)
        now, days = self.now(), body.get("days", 3)
        weather, source = yield self._weather(now, days)
        start_temperature = self._start_temperature(zone_id, plan.schedule)
        cases = [Case(plan.schedule, plugins[current_values["decision_plugin"]], current_values, plan.plugins),
                 Case(schedule, plugins[candidate_values["decision_plugin"]], candidate_values, plan.plugins)]
        self._simulating = True
        try:
            results = yield self.simulation_runner(
                lambda: [simulate(case, model, weather, now, days, start_temperature) for case in cases])
        finally:
            self._simulating = False
        shown = [self._result(case, result) for case, result in zip(cases, results)]
        return {"zone_id": zone_id, "from": format_time(now), "to": format_time(now + days * DAY),
                "weather": source, "start_temperature": start_temperature,
                "model": {"heat": model.heat.to_json(), "cool": model.cool.to_json()},
                "current": shown[0], "candidate": shown[1]}

    def _decision_plugins(self) -> dict:
        control = self.control
        found = getattr(control, "decision_plugins", None)
        return found if found is not None else load_all(GROUPS["decision"])

    def _candidate_schedule(self, schedule: ZoneSchedule, rules: list[dict] | None, zone_id: int) -> ZoneSchedule:
        if rules is None:
            return schedule
        parsed = []
        for i, data in enumerate(rules, start=1):
            if data.get("zone_id") != zone_id:
                raise conflict(f"rules[{i - 1}].zone_id must be {zone_id}, the zone simulated")
            try:
                parsed.append(rule_from_json(data, tz=self._tz(), now=self._now_dt(), rule_id=i))
            except RuleError as exc:
                raise ApiError(409, "conflict", f"rules[{i - 1}]: {exc}", exc.details()) from None
        return ZoneSchedule(schedule.zone_id, schedule.tz, schedule.default, tuple(parsed))

    @inlineCallbacks
    def _weather(self, now: float, days: int):
        """The last ``days`` (at least one) of recorded outdoor temperature, else the built-in day."""
        points = yield self.store.history.raw_points(OUTDOOR, now - max(days, 1) * DAY, now)
        if len(points) >= MIN_WEATHER_POINTS:
            return replayed_weather(points, now), "history"
        return built_in_weather(now), "built-in"

    def _start_temperature(self, zone_id: int, schedule: ZoneSchedule) -> float:
        runtime = None if self.control is None else self.control.zone_runtime(zone_id)
        if runtime is not None and runtime["temperature"] is not None:
            return float(runtime["temperature"])
        setpoint = schedule.default.heat_setpoint
        return float(setpoint if setpoint is not None else FALLBACK_TEMPERATURE)

    @staticmethod
    def _result(case: Case, result) -> dict:
        shown = result.to_json()
        shown["trace"] = [{**row, "time": format_time(row["time"])} for row in shown["trace"]]
        return {"decision_plugin": case.values["decision_plugin"], **shown}
