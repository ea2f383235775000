"""Scheduling routes (DESIGN §4, §5): rules, holds, a zone's timeline and schedule state,
its schedule plugins, and the installed plugins. A mixin of ``HubAPI``.

The pure core (:mod:`rpymostat.core.schedule.rules`, :mod:`rpymostat.core.schedule.timeline`) decides everything;
these handlers gather its inputs from the store and the hub's settings. Timelines and
zone states are answered from :class:`rpymostat.hub.timelines.Timelines`, which keeps
each zone's plan and resolved windows until a change to a rule, a hold, the zone or the
hub's settings (``on_change``) drops them, so such a change shows in the very next
answer. Each change also calls ``on_change`` so the control loop ticks.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import attrs
from twisted.internet.defer import inlineCallbacks, maybeDeferred

from rpymostat.core.control.lookahead import Upcoming
from rpymostat.core.control.predictive import NAME as PREDICTIVE
from rpymostat.core.control.predictive import predicted_start
from rpymostat.core.schedule.plugins import PluginUse, settings_problems
from rpymostat.core.schedule.rules import (
    Rule,
    RuleError,
    parse_hold,
    patch_rule,
    rule_from_json,
    rule_from_record,
    rule_to_json,
)
from rpymostat.core.schedule.timeline import (
    MAX_WINDOW,
    Timeline,
    ZoneSchedule,
    make_hold,
    timeline_to_json,
)
from rpymostat.core.settings import for_zone
from rpymostat.core.target import Target
from rpymostat.core.timeutil import format_time, from_timestamp
from rpymostat.hub.api.formats import UNIQUE_NAMES
from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import ID_PATTERN, ZONE_ID_MAX, add_schemas, obj, ref
from rpymostat.hub.api.window import TIME_QUERY, query_window
from rpymostat.hub.plugins import load_schedule_plugins
from rpymostat.runtime.plugins import GROUPS, available, load_class
from rpymostat.web.http import ApiError, conflict, not_found, unprocessable
from rpymostat.web.routing import Param

TIMELINE_DEFAULT = timedelta(days=7)
SCHEDULE_PLUGINS_MAX = 16
PLUGIN_KINDS = {
    "aggregation": GROUPS["aggregation"],
    "decision": GROUPS["decision"],
    "schedule": GROUPS["schedule"],
    "sensor_driver": "rpymostat_sensor.drivers",
    "relay_driver": "rpymostat_relay.drivers",
}
_PLUGIN_NAME = {"type": "string", "pattern": ID_PATTERN, "maxLength": 128}
_Time = {"type": "string", "format": "date-time", "maxLength": 64}
_RuleId = {"type": ["integer", "string", "null"]}

_ON_OFF = {"type": "string", "enum": ["on", "off"]}
_RUNTIME = {
    "temperature": {"type": ["number", "null"], "description": "°C, from the sensors used; null: none usable."},
    "temperature_time": {"type": ["string", "null"], "format": "date-time"},
    "sensors_used": {"type": "array", "items": {"type": "string"}},
    "sensors_dropped": {"type": "array", "items": obj({"sensor_id": {"type": "string"},
                                                       "reason": {"type": "string"}})},
    "action": {"type": "string", "enum": ["idle", "heating", "cooling", "fan"]},
    "commands": obj({f: _ON_OFF for f in ("heat", "aux", "cool", "fan")}),
    "reason": {"type": "string", "description": "Why, in words: plugin, rule, guard, relay events."},
    "alarms": {"type": "array", "items": ref("Alarm")},
    "decided_at": {"type": ["string", "null"], "format": "date-time"},
    "next_recheck": {"type": ["string", "null"], "format": "date-time",
                     "description": "When a guard timer runs out and the loop decides again."},
    "outputs": {"type": "object", "description": "Per function: the output id, what the relay "
                "reported, what the hub commanded and the lease it runs on.",
                "additionalProperties": obj({"id": {"type": "string"},
                                             "reported": {"type": ["string", "null"]},
                                             "commanded": {"type": ["string", "null"]},
                                             "lease_until": {"type": ["string", "null"],
                                                             "format": "date-time"}})},
    "preheat": {"type": ["object", "null"], "description": "An early start under way (the predictive plugin): "
                "for which segment, since when, the predicted lead and the model it came from; null: none.",
                "properties": {"mode": {"type": "string", "enum": ["heat", "cool"]}, "for": _Time,
                               "started": _Time, "lead_s": {"type": "number"},
                               "rate_k_per_h": {"type": "number"}, "outdoor": {"type": ["number", "null"]},
                               "confidence": {"type": "number"}, "capped": {"type": "boolean"}},
                "required": ["mode", "for", "started", "lead_s", "rate_k_per_h", "outdoor", "confidence",
                             "capped"], "additionalProperties": False},
}


add_schemas({
    "RuleList": obj({"rules": {"type": "array", "items": ref("Rule")}}, required=["rules"]),
    "ZoneState": {
        **obj(
            {"zone_id": {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
             "time": _Time, "target": ref("Target"), "rule_id": _RuleId,
             "why": {"type": "string"},
             "shadowed": {"type": "array", "items": {"type": ["integer", "string"]}},
             "since": {**_Time, "description": "When the schedule's current segment began, as "
                                                "far back as one day; later: this time."},
             "next_change": {"type": ["string", "null"], "format": "date-time",
                             "description": "When the schedule next changes; null: not "
                                            "within 400 days."},
             "warnings": {"type": "array", "items": {"type": "string"}},
             **_RUNTIME},
            required=["zone_id", "time", "target", "rule_id", "why", "shadowed", "since",
                      "next_change", "warnings"],
        ),
        "description": "What the schedule asks of the zone now and, once the control loop has "
                       "decided for the zone, what it does about it (temperature ... preheat).",
    },
    "SchedulePluginUse": obj(
        {"name": _PLUGIN_NAME,
         "settings": {"type": "object", "description": "Checked against the plugin's settings_schema."}},
        required=["name"],
    ),
    "SchedulePlugins": obj(
        {"plugins": {"type": "array", "maxItems": SCHEDULE_PLUGINS_MAX,
                     "items": ref("SchedulePluginUse"), "format": UNIQUE_NAMES,
                     "description": "Applied in this order: contributed rules, then transforms."}},
        required=["plugins"],
    ),
    "PluginInfo": obj(
        {"name": {"type": "string"},
         "settings_schema": {"type": ["object", "null"]},
         "error": {"type": ["string", "null"], "description": "Why it could not be loaded."}},
        required=["name", "settings_schema", "error"],
    ),
    "PluginList": obj(
        {"plugins": obj({kind: {"type": "array", "items": ref("PluginInfo")}
                         for kind in PLUGIN_KINDS}, required=list(PLUGIN_KINDS))},
        required=["plugins"],
    ),
})


@attrs.frozen
class Plan:
    """Everything a zone's timeline depends on, read afresh for one request."""

    schedule: ZoneSchedule
    plugins: tuple[PluginUse, ...]
    warnings: tuple[str, ...]


def _refused(exc: RuleError) -> ApiError:
    """A 409: the schema has passed the body, so what the core still refuses depends on the
    hub's state: the stored rule a patch applies to, or the time zone local times are read in."""
    return ApiError(409, "conflict", str(exc), exc.details())


def describe_plugins(group: str) -> list[dict]:
    """Installed plugins of one group with their settings schema, read from the class or
    object the entry point names (drivers are not built: that needs their hardware)."""
    found = []
    for name in available(group):
        try:
            schema = load_class(group, name).settings_schema
            if not isinstance(schema, dict):
                raise TypeError("its settings_schema is not a JSON Schema object")
        except Exception as exc:  # a broken third-party plugin is reported, not fatal
            found.append({"name": name, "settings_schema": None, "error": f"{type(exc).__name__}: {exc}"})
        else:
            found.append({"name": name, "settings_schema": schema, "error": None})
    return found


class ScheduleAPI:
    # -- hooks -----------------------------------------------------------

    def zone_runtime(self, zone_id: int):
        """Extra fields for ``GET /v1/zones/{id}/state`` (a dict, None, or a Deferred of
        one); the control loop provides them. Without it there is nothing to add."""
        return None

    @cached_property
    def installed_schedule_plugins(self) -> dict:
        """Entry points are read once per process: installing a plugin needs a restart."""
        return load_schedule_plugins()

    # -- helpers ---------------------------------------------------------

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.settings["timezone"])

    def _now_dt(self) -> datetime:
        return from_timestamp(self.now())

    def _changed(self, kind: str):
        """After a stored change: forget holds that have run out, then let the loop re-plan."""
        d = self.store.delete_expired_holds(self.now())
        d.addCallback(lambda _: self.on_change(kind))
        return d

    def _check_target_sensors(self, target: Target) -> None:
        """A target's sensors must be known to the hub (not necessarily in the zone: a
        sensor may move between zones later, and the loop only counts fresh readings)."""
        if target.sensors:
            unknown = [s for s in target.sensor_ids() if s not in self.live.sensors]
            if unknown:
                raise ApiError(409, "conflict", f"target names no known sensor {unknown[0]!r}",
                               [{"field": "target", "message": f"no sensor {s!r}"} for s in unknown])

    @inlineCallbacks
    def zone_plan(self, zone_id: int):
        """The zone's schedule, its plugins and why anything stored had to be left out.
        Raises the store's NotFound (404) for an unknown zone."""
        zone = yield self.store.get_zone(zone_id)
        records = yield self.store.list_rules(zone_id)
        uses = yield self.store.schedule_plugins(zone_id)
        tz = self._tz()
        rules, warnings = [], []
        for record in records:
            try:
                rules.append(rule_from_record(record, tz=tz))
            except RuleError as exc:
                warnings.append(f"rule {record['id']} ({record['name']!r}) ignored: {exc}")
        plugins = []
        for use in uses:
            plugin = self.installed_schedule_plugins.get(use["name"])
            problems = (["not installed"] if plugin is None
                        else settings_problems(plugin, use.get("settings", {})))
            if problems:
                warnings.append(f"schedule plugin {use['name']!r} ignored: {'; '.join(problems)}")
            else:
                plugins.append(PluginUse(plugin, use.get("settings", {})))
        schedule = ZoneSchedule(zone_id, tz, Target.from_json(zone["default_target"]), rules)
        return Plan(schedule, tuple(plugins), tuple(warnings))

    # -- rules -----------------------------------------------------------

    @op("GET", "/v1/rules", summary="Rules and holds, by id; `zone_id` picks one zone's.",
        tag="schedule", response="RuleList",
        query=(Param("zone_id", {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX}),))
    @inlineCallbacks
    def list_rules(self, call):
        zone_id = call.query.get("zone_id")
        if zone_id is not None:
            yield self.store.get_zone(zone_id)
        return {"rules": (yield self.store.list_rules(zone_id))}

    @op("POST", "/v1/rules", summary="Create a recurring or once rule.", tag="schedule",
        body="RuleCreate", response="Rule", status=201)
    @inlineCallbacks
    def create_rule(self, call):
        try:
            rule = rule_from_json(call.body, tz=self._tz(), now=self._now_dt())
        except RuleError as exc:
            raise _refused(exc) from None
        self._zone_exists(rule.zone_id)
        self._check_target_sensors(rule.target)
        record = yield self.store.create_rule(rule_to_json(rule))
        if record is None:
            raise conflict(f"no zone {rule.zone_id}")
        yield self._changed("rules")
        return record

    @inlineCallbacks
    def _rule(self, rule_id: int):
        record = yield self.store.get_rule(rule_id)
        if record is None:
            raise not_found(f"no rule {rule_id}")
        return record

    @op("GET", "/v1/rules/{rule_id}", summary="One rule or hold.", tag="schedule", response="Rule")
    def get_rule(self, call):
        return self._rule(call.params["rule_id"])

    @op("PATCH", "/v1/rules/{rule_id}", summary="Change a rule (not its kind or zone; holds "
        "change through PUT /v1/zones/{zone_id}/hold).", tag="schedule", body="RulePatch",
        response="Rule")
    @inlineCallbacks
    def patch_rule(self, call):
        record = yield self._rule(call.params["rule_id"])
        tz = self._tz()
        try:
            rule = patch_rule(rule_from_record(record, tz=tz), call.body, tz=tz, now=self._now_dt())
        except RuleError as exc:
            raise _refused(exc) from None
        self._check_target_sensors(rule.target)
        stored = yield self.store.replace_rule(rule_to_json(rule))
        if stored is None:
            raise not_found(f"no rule {rule.id}")
        yield self._changed("rules")
        return stored

    @op("DELETE", "/v1/rules/{rule_id}", summary="Delete a rule or hold.", tag="schedule", status=204)
    @inlineCallbacks
    def delete_rule(self, call):
        record = yield self.store.delete_rule(call.params["rule_id"])
        if record is None:
            raise not_found(f"no rule {call.params['rule_id']}")
        yield self._changed("hold" if record["kind"] == "hold" else "rules")

    # -- holds -----------------------------------------------------------

    @op("PUT", "/v1/zones/{zone_id}/hold", summary="Hold a target until a time, for a duration, "
        "until the next scheduled change (\"next\") or indefinitely (null); replaces the zone's "
        "hold.", tag="schedule", body="Hold", response="Rule")
    def put_hold(self, call):
        return self.set_hold(call.params["zone_id"], call.body)

    @inlineCallbacks
    def set_hold(self, zone_id: int, body: dict):
        """Hold a target (a valid ``Hold`` body) in a zone: the API's way, and every
        other way a hold is asked for (a command from Home Assistant)."""
        plan = yield self.zone_plan(zone_id)
        # From the start of this second: the instant the state and timeline routes answer
        # for, so that the next read shows the hold.
        now = self._second()
        try:
            request = parse_hold(body, tz=plan.schedule.tz, now=now)
        except RuleError as exc:  # UntilPassed included
            raise _refused(exc) from None
        self._check_target_sensors(request.target)
        hold: Rule = make_hold(plan.schedule, request, now, plugins=plan.plugins)
        record = yield self.store.put_hold(rule_to_json(hold))
        if record is None:
            raise not_found(f"no zone {zone_id}")
        yield self._changed("hold")
        return record

    @op("DELETE", "/v1/zones/{zone_id}/hold", summary="Cancel the zone's hold.", tag="schedule",
        status=204)
    def delete_hold(self, call):
        return self.cancel_hold(call.params["zone_id"])

    @inlineCallbacks
    def cancel_hold(self, zone_id: int):
        yield self.store.get_zone(zone_id)
        if not (yield self.store.delete_hold(zone_id)):
            raise not_found(f"zone {zone_id} has no hold")
        yield self._changed("hold")

    # -- timeline and state ----------------------------------------------

    def _second(self) -> datetime:
        """Now, to the second: what the timeline and state routes answer for, so that the
        answers kept for this second serve every request in it."""
        return from_timestamp(math.floor(self.now()))

    def _window(self, query: dict) -> tuple[datetime, datetime, tuple[str, ...]]:
        """[from, to) of a timeline query; one longer than the most a timeline spans is cut
        there, with a warning. Now is taken to the second (``_second``)."""
        window = query_window(query, self._second(), default=TIMELINE_DEFAULT, longest=MAX_WINDOW, anchor="from")
        cut = (f"a timeline spans at most {MAX_WINDOW.days} days: this one ends at {format_time(window.end)}",)
        return window.start, window.end, cut if window.cut else ()

    @op("GET", "/v1/zones/{zone_id}/timeline", summary="The zone's schedule over [from, to): "
        "segments with the winning rule, why, and the rules it shadowed; conflicts.",
        tag="schedule", response="Timeline",
        query=(Param("from", TIME_QUERY, description="Default: now (to the second)."),
               Param("to", TIME_QUERY, description="Default: from + 7 days; at most 400 days "
                                                    "after from (a longer window is cut there, "
                                                    "with a warning); not after from: no "
                                                    "segments.")))
    @inlineCallbacks
    def zone_timeline(self, call):
        start, end, cut = self._window(call.query)
        zone_id = call.params["zone_id"]
        if end <= start:
            plan = yield self.timelines.plan(zone_id)
            return timeline_to_json(Timeline(start, end, (), warnings=plan.warnings))
        timeline = yield self.timelines.timeline(zone_id, start, end)
        shown = yield self._with_predicted_starts(zone_id, timeline, cut)
        if shown is None:  # nothing predicted: the bytes kept for this window serve
            return (yield self.timelines.encoded(zone_id, start, end, cut))
        return shown

    @inlineCallbacks
    def _with_predicted_starts(self, zone_id: int, timeline: Timeline, cut: tuple[str, ...]):
        """The timeline's JSON with ``predicted_start`` on each segment the predictive
        plugin would start early for; None where it would start early for none. Predicted
        starts move with the model, the outdoor and the zone's temperature, so they are
        never kept with the timeline."""
        zone = yield self.store.get_zone(zone_id)
        values = for_zone(self.settings, zone["settings"])
        pairs = [(i, before, segment) for i, (before, segment) in
                 enumerate(zip(timeline.segments, timeline.segments[1:]), start=1)
                 if (before.target.decision or values["decision_plugin"]) == PREDICTIVE]
        if not pairs:
            return None
        shown = timeline_to_json(attrs.evolve(timeline, warnings=timeline.warnings + cut))
        model = (yield self._learning(zone_id)).model(zone_id, values)
        now = self.now()
        outdoor = getattr(self.control, "outdoor", lambda: None)()
        runtime = None if self.control is None else self.control.zone_runtime(zone_id)
        temperature = None if runtime is None else runtime["temperature"]
        first_change = next((s.start.timestamp() for s in timeline.segments if s.start.timestamp() > now), None)
        for i, before, segment in pairs:
            at = segment.start.timestamp()
            found = predicted_start(before.target, Upcoming(at, segment.target), model, outdoor, now, values,
                                    temperature if at == first_change else None)
            if found is not None:
                shown["segments"][i]["predicted_start"] = format_time(found)
        return shown

    @op("GET", "/v1/zones/{zone_id}/state", summary="What the schedule asks of the zone now: "
        "target, winning rule, why, next change (plus the control loop's view when it runs).",
        tag="schedule", response="ZoneState")
    @inlineCallbacks
    def zone_state(self, call):
        zone_id = call.params["zone_id"]
        now = self._second()
        plan, state, since = yield self.timelines.state(zone_id, now)
        segment = state.segment
        schedule = {
            "zone_id": zone_id,
            "time": format_time(now),
            "target": segment.target.to_json(),
            "rule_id": segment.rule_id,
            "why": segment.why,
            "shadowed": list(segment.shadowed),
            "since": format_time(since),
            "next_change": None if state.next_change is None else format_time(state.next_change),
            "warnings": list(plan.warnings),
        }
        runtime = yield maybeDeferred(self.zone_runtime, zone_id)
        # The loop adds to the schedule's answer; it does not rewrite it.
        return {**(runtime or {}), **schedule}

    # -- plugins ---------------------------------------------------------

    @op("GET", "/v1/zones/{zone_id}/schedule_plugins", summary="The zone's schedule plugins and "
        "their settings, in the order they apply.", tag="schedule", response="SchedulePlugins")
    @inlineCallbacks
    def get_schedule_plugins(self, call):
        zone_id = call.params["zone_id"]
        yield self.store.get_zone(zone_id)
        return {"plugins": (yield self.store.schedule_plugins(zone_id))}

    @op("PUT", "/v1/zones/{zone_id}/schedule_plugins", summary="Choose the zone's schedule "
        "plugins (installed, rpymostat.schedule entry points) and their settings.",
        tag="schedule", body="SchedulePlugins", response="SchedulePlugins")
    @inlineCallbacks
    def put_schedule_plugins(self, call):
        zone_id = call.params["zone_id"]
        yield self.store.get_zone(zone_id)
        uses = [{"name": use["name"], "settings": use.get("settings", {})}
                for use in call.body["plugins"]]
        problems = []
        for index, use in enumerate(uses):
            plugin = self.installed_schedule_plugins.get(use["name"])
            if plugin is None:
                raise ApiError(409, "conflict", f"no schedule plugin {use['name']!r} is installed",
                               [{"field": f"plugins/{index}/name", "message": "not installed"}])
            problems.extend({"field": f"plugins/{index}/settings", "message": message}
                            for message in settings_problems(plugin, use["settings"]))
        if problems:
            raise unprocessable(f"{problems[0]['field']}: {problems[0]['message']}", problems)
        if not (yield self.store.put_schedule_plugins(zone_id, uses)):
            raise not_found(f"no zone {zone_id}")
        yield self._changed("rules")
        return {"plugins": uses}

    @op("GET", "/v1/plugins", summary="Installed plugins by kind, each with the JSON Schema of "
        "its settings.", tag="hub", response="PluginList")
    def list_plugins(self, call):
        return {"plugins": {kind: describe_plugins(group) for kind, group in PLUGIN_KINDS.items()}}
