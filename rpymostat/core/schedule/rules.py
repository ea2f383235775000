"""Schedule rules as values: parsing the API's JSON, validation, and the JSON Schemas.

A rule is ``recurring`` (cron start plus a duration or an end cron), ``once`` (an ISO
8601 interval) or a ``hold`` (made by :func:`rpymostat.core.schedule.timeline.make_hold` from a
:class:`HoldRequest`). Parsing checks everything the schemas in :data:`SCHEMAS` check
and what they cannot (cron syntax, interval order, the target's own rules), so a bad
rule never reaches the timeline, whoever calls.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Callable, Mapping, Optional, Union
from zoneinfo import ZoneInfo

import attrs

from rpymostat.core.schedule.occurrences import (
    CronError,
    IntervalError,
    compile_cron,
    parse_interval,
    parse_local_time,
)
from rpymostat.core.target import Target
from rpymostat.core.timeutil import (
    UTC,
    format_duration,
    format_time,
    parse_duration,
    parse_time,
)

KINDS = ("recurring", "once", "hold")
RULE_KINDS = ("recurring", "once")  # what POST /v1/rules accepts; holds have their own route
NAME_MAX = 80
CRON_MAX = 120
DURATION_MAX_TEXT = 40
INTERVAL_MAX = 100
UNTIL_MAX = 64
PRIORITY_MIN, PRIORITY_MAX = -100, 100
# Each timeline looks back one duration for occurrences still running: bound the cost.
RECURRING_DURATION_MAX = timedelta(days=31)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

RuleId = Union[int, str]
# What is wrong with some input: (field, message) pairs.
Problems = list[tuple[str, str]]


class RuleError(ValueError):
    """Input that cannot become a rule; ``problems`` lists (field, message) pairs."""

    def __init__(self, problems: Problems):
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.problems))

    def details(self) -> list[dict[str, str]]:
        """The problems in the shape of the API error's ``details``."""
        return [{"field": field, "message": message} for field, message in self.problems]


@attrs.frozen
class Rule:
    """A zone's schedule entry.

    ``duration``/``end_cron`` apply to ``recurring``; ``interval`` (as the user wrote it,
    resolved against the hub's zone when expanded) to ``once``; ``start``/``end`` to
    ``hold`` (``end`` None: indefinite). ``id`` is the store's, or ``"<plugin>:<id>"``
    for a rule a schedule plugin contributes.
    """

    id: Optional[RuleId]
    zone_id: int
    name: str
    kind: str
    target: Target
    cron: Optional[str] = None
    duration: Optional[timedelta] = None
    end_cron: Optional[str] = None
    interval: Optional[str] = None
    start: Optional[datetime] = None
    end: Optional[datetime] = None
    priority: int = 0
    enabled: bool = True
    changed_at: datetime = EPOCH


@attrs.frozen
class HoldRequest:
    """A parsed hold body. ``until``: an instant, a duration from now, ``"next"`` or None."""

    target: Target
    until: Union[datetime, timedelta, str, None]


_CREATE_FIELDS = {"zone_id", "name", "kind", "cron", "duration", "end_cron", "interval",
                  "target", "priority", "enabled"}
_PATCH_FIELDS = {"name", "cron", "duration", "end_cron", "interval", "target", "priority",
                 "enabled"}
_NULLABLE_IN_PATCH = {"duration", "end_cron"}


def rule_from_json(data: dict[str, Any], *, tz: ZoneInfo, now: datetime,
                   rule_id: Optional[RuleId] = None) -> Rule:
    """A new recurring or once rule from a RuleCreate body; raises :class:`RuleError`."""
    problems: Problems = []
    if not isinstance(data, dict):
        raise RuleError([("", "a rule must be a JSON object")])
    _unknown(data, _CREATE_FIELDS, problems)
    for field in ("zone_id", "name", "kind", "target"):
        if field not in data:
            problems.append((field, "is required"))
    if problems:
        raise RuleError(problems)
    kind = data["kind"]
    if kind not in RULE_KINDS:
        raise RuleError([("kind", f"must be one of {', '.join(RULE_KINDS)}")])
    values = {
        "zone_id": _zone_id(data["zone_id"], problems),
        "name": _name(data["name"], problems),
        "kind": kind,
        "target": _target(data["target"], problems),
        "priority": _priority(data.get("priority", 0), problems),
        "enabled": _enabled(data.get("enabled", True), problems),
    }
    values.update(_when(kind, data, tz, problems))
    if problems:
        raise RuleError(problems)
    return Rule(id=rule_id, changed_at=now, **values)


def patch_rule(rule: Rule, data: dict[str, Any], *, tz: ZoneInfo, now: datetime) -> Rule:
    """The rule with a RulePatch body applied; raises :class:`RuleError`.

    ``kind`` and ``zone_id`` cannot change (delete and create instead); a recurring rule
    switches between duration and end cron by setting one and nulling the other.
    """
    if not isinstance(data, dict):
        raise RuleError([("", "a patch must be a JSON object")])
    if rule.kind == "hold":
        raise RuleError([("kind", "a hold is changed through its zone's hold, not patched")])
    problems = _patch_shape_problems(data)
    if problems:
        raise RuleError(problems)
    values = {field: parse(data[field], problems) for field, parse in _PATCH_PARSERS.items() if field in data}
    merged = {**rule_to_json(rule), **data}
    present = {k: v for k, v in merged.items() if v is not None}
    values.update(_when(rule.kind, present, tz, problems))
    if problems:
        raise RuleError(problems)
    return attrs.evolve(rule, changed_at=now, **values)


def _patch_shape_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a patch's fields before their values are looked at."""
    problems: Problems = [(field, "cannot be changed; delete the rule and create a new one")
                          for field in ("kind", "zone_id") if field in data]
    _unknown(data, _PATCH_FIELDS | {"kind", "zone_id"}, problems)
    if not data:
        problems.append(("", "a patch needs at least one field"))
    problems.extend((field, "cannot be null") for field, value in data.items()
                    if value is None and field in _PATCH_FIELDS - _NULLABLE_IN_PATCH)
    return problems


def rule_to_json(rule: Rule) -> dict[str, Any]:
    """The Rule response shape (every field present, null when unused)."""
    return {
        "id": rule.id,
        "zone_id": rule.zone_id,
        "name": rule.name,
        "kind": rule.kind,
        "cron": rule.cron,
        "duration": None if rule.duration is None else format_duration(rule.duration),
        "end_cron": rule.end_cron,
        "interval": rule.interval,
        "start": None if rule.start is None else format_time(rule.start),
        "end": None if rule.end is None else format_time(rule.end),
        "target": rule.target.to_json(),
        "priority": rule.priority,
        "enabled": rule.enabled,
        "changed_at": format_time(rule.changed_at),
    }


def rule_from_record(data: dict[str, Any], *, tz: ZoneInfo) -> Rule:
    """A rule back from its Rule response shape (what a store keeps), re-validated."""
    changed_at = parse_time(data["changed_at"])
    if data["kind"] == "hold":
        target = Target.from_json(data["target"])
        return Rule(
            id=data["id"], zone_id=data["zone_id"], name=data["name"], kind="hold",
            target=target, start=parse_time(data["start"]),
            end=None if data.get("end") is None else parse_time(data["end"]),
            priority=data.get("priority", 0), enabled=data.get("enabled", True),
            changed_at=changed_at,
        )
    body = {k: data[k] for k in _CREATE_FIELDS if data.get(k) is not None}
    return rule_from_json(body, tz=tz, now=changed_at, rule_id=data["id"])


def parse_hold(data: dict[str, Any], *, tz: ZoneInfo, now: datetime) -> HoldRequest:
    """A Hold body (``{"target": .., "until": ..}``); raises :class:`RuleError`, or
    :class:`UntilPassed` when the body is well formed but its time is not after ``now``.

    ``until`` is an ISO 8601 time (without an offset: local time in ``tz``) that must be
    after ``now``, a duration such as ``PT2H``, ``"next"``, or null for indefinitely.
    """
    problems: Problems = []
    if not isinstance(data, dict):
        raise RuleError([("", "a hold must be a JSON object")])
    _unknown(data, {"target", "until"}, problems)
    for field in ("target", "until"):
        if field not in data:
            problems.append((field, "is required (until may be null: indefinitely)"))
    if problems:
        raise RuleError(problems)
    target = _target(data["target"], problems)
    until = data["until"]
    if until is not None:
        try:
            until = parse_until(until, tz)
        except ValueError as exc:
            problems.append(("until", str(exc)))
    if problems or target is None:
        raise RuleError(problems)
    if isinstance(until, datetime) and until <= now:
        raise UntilPassed([("until", "is not after now")])
    return HoldRequest(target=target, until=until)


class UntilPassed(RuleError):
    """A hold whose ``until`` time has already passed: well formed, but too late."""


def parse_until(text: object, tz: ZoneInfo) -> Union[datetime, timedelta, str]:
    """A hold's ``until`` text: ``"next"``, a duration, or a time (local in ``tz`` when it
    has no offset); raises ValueError saying why not."""
    if not isinstance(text, str) or len(text) > UNTIL_MAX:
        raise ValueError("must be a time, a duration, 'next' or null")
    if text == "next":
        return text
    if text.strip().upper().startswith("P"):
        return parse_duration(text.strip())
    return parse_local_time(text, tz)


def check_duration(value: object) -> timedelta:
    """A recurring rule's duration; raises ValueError saying why not."""
    if not isinstance(value, str) or len(value) > DURATION_MAX_TEXT:
        raise ValueError("must be an ISO 8601 duration such as PT5H")
    duration = parse_duration(value)
    if duration > RECURRING_DURATION_MAX:
        raise ValueError("must be at most P31D (use a once rule or end_cron)")
    return duration


def _unknown(data: Mapping[str, Any], allowed: set[str], problems: Problems) -> None:
    for field in sorted(set(data) - allowed):
        problems.append((field, "unknown field"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _zone_id(value: Any, problems: Problems) -> Any:
    if not _is_int(value) or value < 1:
        problems.append(("zone_id", "must be a positive integer"))
    return value


def _name(value: Any, problems: Problems) -> Any:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        problems.append(("name", f"must be a non-empty string of at most {NAME_MAX} characters"))
        return value
    return value.strip()


def _priority(value: Any, problems: Problems) -> Any:
    if not _is_int(value) or not PRIORITY_MIN <= value <= PRIORITY_MAX:
        problems.append(("priority", f"must be an integer within {PRIORITY_MIN}..{PRIORITY_MAX}"))
    return value


def _enabled(value: Any, problems: Problems) -> Any:
    if not isinstance(value, bool):
        problems.append(("enabled", "must be true or false"))
    return value


def _target(value: Any, problems: Problems) -> Optional[Target]:
    if not isinstance(value, dict):
        problems.append(("target", "must be an object"))
        return None
    try:
        target = Target.from_json(value)
    except (KeyError, TypeError, ValueError, AttributeError):
        problems.append(("target", "is malformed (see the Target schema)"))
        return None
    problems.extend(("target", message) for message in target.problems())
    return target


# The fields a patch sets as they come, each checked by its parser (in this order).
_PATCH_PARSERS: dict[str, Callable[[Any, Problems], Any]] = {
    "name": _name, "target": _target, "priority": _priority, "enabled": _enabled,
}


def _cron(field: str, value: Any, problems: Problems) -> Optional[str]:
    if not isinstance(value, str) or len(value) > CRON_MAX:
        problems.append((field, f"must be a cron string of at most {CRON_MAX} characters"))
        return None
    try:
        return compile_cron(value).expr
    except CronError as exc:
        problems.append((field, str(exc)))
        return None


def _when(kind: str, data: Mapping[str, Any], tz: ZoneInfo, problems: Problems) -> dict[str, Any]:
    """The kind's timing fields, checked: a cron and one of duration/end_cron, or an interval."""
    if kind == "once":
        for field in ("cron", "duration", "end_cron"):
            if field in data:
                problems.append((field, "a once rule has an interval instead"))
        text = data.get("interval")
        if text is None:
            problems.append(("interval", "is required for a once rule"))
        elif not isinstance(text, str) or len(text) > INTERVAL_MAX:
            problems.append(("interval", f"must be a string of at most {INTERVAL_MAX} characters"))
        else:
            try:
                parse_interval(text, tz)
            except IntervalError as exc:
                problems.append(("interval", str(exc)))
            text = text.strip()
        return {"interval": text, "cron": None, "duration": None, "end_cron": None}
    if "interval" in data:
        problems.append(("interval", "a recurring rule has cron and duration or end_cron instead"))
    values: dict[str, Any] = {"interval": None, "cron": None, "duration": None, "end_cron": None}
    if "cron" not in data:
        problems.append(("cron", "is required for a recurring rule"))
    else:
        values["cron"] = _cron("cron", data["cron"], problems)
    has_duration, has_end = "duration" in data, "end_cron" in data
    if has_duration == has_end:
        problems.append(("duration", "give exactly one of duration and end_cron"))
    elif has_duration:
        values["duration"] = _duration(data["duration"], problems)
    else:
        values["end_cron"] = _cron("end_cron", data["end_cron"], problems)
    return values


def _duration(value: Any, problems: Problems) -> Optional[timedelta]:
    try:
        return check_duration(value)
    except ValueError as exc:
        problems.append(("duration", str(exc)))
        return None


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_ID = {"type": ["integer", "string"],
       "description": "A stored rule's id, or '<plugin>:<id>' for a plugin's rule."}
_TIME = {"type": "string", "format": "date-time", "maxLength": 64}
_NAME = {"type": "string", "minLength": 1, "maxLength": NAME_MAX}
# The formats are the API's own (rpymostat.hub.api.formats), checked by the parsers above.
_CRON = {"type": "string", "minLength": 1, "maxLength": CRON_MAX, "format": "rpymostat-cron",
         "description": "Five-field cron (minute hour day-of-month month day-of-week) "
                        "in the hub's local time, e.g. '0 18 * * 1-5'."}
_DURATION = {"type": "string", "minLength": 3, "maxLength": DURATION_MAX_TEXT,
             "pattern": "^P", "format": "rpymostat-rule-duration",
             "description": "ISO 8601 elapsed duration (days and smaller), at most P31D."}
_INTERVAL = {"type": "string", "minLength": 3, "maxLength": INTERVAL_MAX,
             "format": "rpymostat-interval",
             "description": "ISO 8601 interval: start/end, start/duration or duration/end; "
                            "a time without offset is the hub's local time."}
_PRIORITY = {"type": "integer", "minimum": PRIORITY_MIN, "maximum": PRIORITY_MAX, "default": 0}
_ENABLED = {"type": "boolean", "default": True}
_ZONE_ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}  # the store's integer ids


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return {**schema, "type": [*types, "null"]}


SCHEMAS = {
    "RecurringRuleCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["zone_id", "name", "kind", "cron", "target"],
        "properties": {
            "zone_id": _ZONE_ID, "name": _NAME, "kind": {"type": "string", "enum": ["recurring"]},
            "cron": _CRON, "duration": _DURATION, "end_cron": _CRON,
            "target": _ref("Target"), "priority": _PRIORITY, "enabled": _ENABLED,
        },
        "oneOf": [{"required": ["duration"]}, {"required": ["end_cron"]}],
        "description": "Starts at each cron firing; lasts `duration`, or until the next "
                       "`end_cron` firing. Give exactly one of the two.",
    },
    "OnceRuleCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["zone_id", "name", "kind", "interval", "target"],
        "properties": {
            "zone_id": _ZONE_ID, "name": _NAME, "kind": {"type": "string", "enum": ["once"]},
            "interval": _INTERVAL, "target": _ref("Target"), "priority": _PRIORITY,
            "enabled": _ENABLED,
        },
    },
    "RuleCreate": {
        "oneOf": [_ref("RecurringRuleCreate"), _ref("OnceRuleCreate")],
        "discriminator": {
            "propertyName": "kind",
            "mapping": {"recurring": "#/components/schemas/RecurringRuleCreate",
                        "once": "#/components/schemas/OnceRuleCreate"},
        },
    },
    "RulePatch": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "name": _NAME, "cron": _CRON, "duration": _nullable(_DURATION),
            "end_cron": _nullable(_CRON), "interval": _INTERVAL, "target": _ref("Target"),
            "priority": _PRIORITY, "enabled": _ENABLED,
        },
        "description": "kind and zone_id cannot change. To switch a recurring rule between "
                       "duration and end_cron, set one and null the other.",
    },
    "Rule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "zone_id", "name", "kind", "cron", "duration", "end_cron", "interval",
                     "start", "end", "target", "priority", "enabled", "changed_at"],
        "properties": {
            "id": _ID, "zone_id": _ZONE_ID, "name": _NAME,
            "kind": {"type": "string", "enum": list(KINDS)},
            "cron": _nullable(_CRON), "duration": _nullable(_DURATION),
            "end_cron": _nullable(_CRON), "interval": _nullable(_INTERVAL),
            "start": {**_nullable(_TIME), "description": "A hold's start."},
            "end": {**_nullable(_TIME), "description": "A hold's end; null: indefinite."},
            "target": _ref("Target"), "priority": _PRIORITY, "enabled": {"type": "boolean"},
            "changed_at": _TIME,
        },
    },
    "Hold": {
        "type": "object",
        "additionalProperties": False,
        "required": ["target", "until"],
        "properties": {
            "target": _ref("Target"),
            "until": {"type": ["string", "null"], "minLength": 1, "maxLength": UNTIL_MAX,
                      "format": "rpymostat-hold-until",
                      "description": "A time (no offset: hub's local time), a duration such "
                                     "as PT2H, 'next' (the next scheduled change) or null "
                                     "(indefinitely)."},
        },
    },
    "Segment": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end", "target", "rule_id", "why", "shadowed"],
        "properties": {
            "start": _TIME, "end": _TIME, "target": _ref("Target"),
            "rule_id": {**_nullable(_ID), "description": "null: the zone's default target."},
            "why": {"type": "string", "maxLength": 500},
            "shadowed": {"type": "array", "items": _ID,
                         "description": "Rules active during the segment that lost."},
            "predicted_start": {**_TIME, "description": "Where the zone's decision plugin is `predictive` "
                                "and the segment raises the heat (or lowers the cool) setpoint: when it "
                                "is predicted to start early, from the learned model, the outdoor "
                                "temperature now and the room's temperature (now, for the next change)."},
        },
    },
    "Conflict": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end", "rule_ids", "winner"],
        "properties": {
            "start": _TIME, "end": _TIME,
            "rule_ids": {"type": "array", "items": _ID, "minItems": 2},
            "winner": _ID,
        },
        "description": "Equally specific rules (same kind, occurrence length and priority) "
                       "overlapping; the most recently changed (then the lowest id) applies.",
    },
    "Timeline": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "end", "segments", "conflicts", "warnings"],
        "properties": {
            "start": _TIME, "end": _TIME,
            "segments": {"type": "array", "items": _ref("Segment")},
            "conflicts": {"type": "array", "items": _ref("Conflict")},
            "warnings": {"type": "array", "items": {"type": "string", "maxLength": 500}},
        },
    },
    "ScheduleState": {
        "type": "object",
        "additionalProperties": False,
        "required": ["segment", "next_change"],
        "properties": {
            "segment": _ref("Segment"),
            "next_change": {**_nullable(_TIME), "description": "null: none scheduled."},
        },
    },
}
