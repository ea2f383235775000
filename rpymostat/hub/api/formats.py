"""The hub API's own formats: values whose validity needs the hub's own parsers (ISO 8601
times, durations and intervals, cron, time zones) or relates fields a JSON Schema keyword
cannot (a target's setpoints, ids that must differ).

Each format is checked by the very function the handlers parse with, through both of the
API's validators (:class:`rpymostat.web.routing.Validators`), and is described in the
OpenAPI document, so that a client or a fuzzer knows what the hub takes.
"""

from __future__ import annotations

from typing import Any, Callable

import attrs

from rpymostat.core.schedule.occurrences import compile_cron, parse_interval
from rpymostat.core.schedule.rules import check_duration, parse_until
from rpymostat.core.settings import is_timezone
from rpymostat.core.target import Target
from rpymostat.core.timeutil import DURATION_MAX, TIME_MAX, TIME_MIN, UTC, parse_time

INSTANT = "rpymostat-instant"
RULE_DURATION = "rpymostat-rule-duration"
INTERVAL = "rpymostat-interval"
CRON = "rpymostat-cron"
HOLD_UNTIL = "rpymostat-hold-until"
TIME_ZONE = "rpymostat-time-zone"
TARGET = "rpymostat-target"
DISTINCT_OUTPUTS = "rpymostat-distinct-outputs"
UNIQUE_SENSOR_IDS = "rpymostat-unique-sensor-ids"
UNIQUE_OUTPUT_IDS = "rpymostat-unique-output-ids"
UNIQUE_NAMES = "rpymostat-unique-names"


@attrs.frozen
class Format:
    """``check`` raises ValueError saying what is wrong; ``kind`` is the JSON type it
    applies to (a value of another type is left to the schema's ``type``)."""

    kind: type
    check: Callable[[Any], Any]
    description: str


def _time_zone(name: str) -> None:
    if not is_timezone(name):
        raise ValueError(f"unknown IANA time zone {name!r}")


def _target(value: dict) -> None:
    try:
        problems = Target.from_json(value).problems()
    except (KeyError, TypeError, ValueError, AttributeError):
        return  # the shape is wrong: the schema's own keywords say where
    if problems:
        raise ValueError(problems[0])


def _distinct(outputs: dict) -> None:
    if len(set(map(repr, outputs.values()))) != len(outputs):
        raise ValueError("one output cannot serve two functions")


def _unique_by(key: str) -> Callable[[list], None]:
    def check(items: list) -> None:
        ids = [item.get(key) for item in items if isinstance(item, dict)]
        if len(set(map(repr, ids))) != len(ids):
            raise ValueError(f"a {key} is listed twice")

    return check


_RANGE = f"from {TIME_MIN:%Y-%m-%d} to before {TIME_MAX:%Y-%m-%d} (UTC)"
FORMATS: dict[str, Format] = {
    INSTANT: Format(str, parse_time, f"An ISO 8601 date-time with an offset (`Z` or `±HH:MM`), "
                    f"{_RANGE}; e.g. `2026-12-21T18:00:00+01:00`."),
    RULE_DURATION: Format(str, check_duration, "A positive ISO 8601 duration of days and smaller, "
                          "at most P31D; e.g. `PT5H`."),
    INTERVAL: Format(str, lambda text: parse_interval(text, UTC), "An ISO 8601 interval: "
                     "start/end, start/duration or duration/end, with a date and a time (no "
                     f"offset: the hub's local time), ending after it starts, {_RANGE}; e.g. "
                     "`2026-12-21T00:00/PT36H`."),
    CRON: Format(str, compile_cron, "Five cron fields (minute hour day-of-month month "
                 "day-of-week) that fire at least once, e.g. `0 18 * * 1-5`."),
    HOLD_UNTIL: Format(str, lambda text: parse_until(text, UTC), "`next`; a positive ISO 8601 "
                       f"duration of days and smaller, at most P{DURATION_MAX.days}D (`PT2H`); or a "
                       "date-time with or without an offset (without: the hub's local time), "
                       f"{_RANGE}."),
    TIME_ZONE: Format(str, _time_zone, "An IANA time zone installed on the hub, e.g. "
                      "`Europe/Paris` or `UTC`."),
    TARGET: Format(dict, _target, "A target whose mode has the setpoints it needs (heat: "
                   "heat_setpoint; cool: cool_setpoint; auto: both, cool at least 0.5 °C above "
                   "heat) and names each sensor once."),
    DISTINCT_OUTPUTS: Format(dict, _distinct, "Each function names a different output."),
    UNIQUE_SENSOR_IDS: Format(list, _unique_by("sensor_id"), "Each sensor_id appears once."),
    UNIQUE_OUTPUT_IDS: Format(list, _unique_by("output_id"), "Each output_id appears once."),
    UNIQUE_NAMES: Format(list, _unique_by("name"), "Each name appears once."),
}

def problem(name: str, value: Any) -> str | None:
    """Why ``value`` is not of format ``name``; None when it is (or is not of its type)."""
    form = FORMATS[name]
    if not isinstance(value, form.kind):
        return None
    try:
        form.check(value)
    except ValueError as exc:
        return str(exc)
    return None
