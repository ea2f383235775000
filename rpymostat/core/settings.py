"""Hub-wide settings: their JSON Schema (with bounds and defaults) is the one source of
truth for the API's validation, its documentation and the defaults the hub runs with.

The safety limits of DESIGN §6 that must never move (setpoints 5–35 °C, the freeze and
over-temperature thresholds) are constants in the guard, not settings. The settings here
may only be made stricter than the guard's floors: the schema's minimums are those floors.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

NAME = r"^[a-z][a-z0-9_]{0,63}$"


def _number(default: float, minimum: float, maximum: float, description: str,
            kind: str = "number") -> dict[str, Any]:
    return {"type": kind, "default": default, "minimum": minimum, "maximum": maximum,
            "description": description}


CONTROL_PROPERTIES = {
    "deadband": _number(0.5, 0.1, 5.0, "°C below the heat setpoint (above the cool setpoint) before "
                        "equipment starts."),
    "overrun": _number(0.5, 0.0, 5.0, "°C past the setpoint before equipment stops."),
    "min_off_s": _number(300, 60, 3600, "Seconds equipment stays off before it may start again; "
                         "counted from hub start-up too.", "integer"),
    "min_run_s": _number(300, 60, 3600, "Seconds equipment runs at least once started (a user 'off' "
                         "or a safety stop excepted).", "integer"),
    "max_starts_per_hour": _number(6, 1, 12, "Most starts of one piece of equipment in any hour.",
                                   "integer"),
    "changeover_s": _number(30, 30, 3600, "Seconds of idle between heating and cooling.", "integer"),
    "preheat_max_hours": _number(3.0, 0.25, 12.0, "Longest early start of the predictive plugin, in "
                                 "hours before the segment it prepares."),
    "preheat_margin": _number(0.25, 0.0, 1.0, "Extra lead time of the predictive plugin, as a share of "
                              "the predicted one, while the learned model has no confidence; it "
                              "shrinks to 5 % as confidence grows."),
    "default_heat_rate": _number(3.0, 0.1, 20.0, "K/h a zone is taken to heat at until enough runs "
                                 "are learned."),
    "default_cool_rate": _number(2.0, 0.1, 20.0, "K/h a zone is taken to cool at until enough runs "
                                 "are learned."),
    "learner_min_runs": _number(3, 1, 50, "Runs of a mode the learner needs before it replaces the "
                                "default rate.", "integer"),
    "decision_plugin": {"type": "string", "pattern": NAME, "default": "hysteresis",
                        "description": "Decision plugin used when a target names none."},
}

def _days(default: int | None, maximum: int, what: str) -> dict[str, Any]:
    """A retention in days; null keeps for ever."""
    return {"type": ["integer", "null"], "default": default, "minimum": 1, "maximum": maximum,
            "description": f"Days {what} are kept; null: for ever."}


# Retention and sampling of the history (docs/history.md). Raw series points, decisions and
# runs may be kept for ever (null); a year of raw data is the default, rollups stay for ever.
HISTORY_PROPERTIES = {
    "run_sample_minutes": _number(5, 1, 60, "Minutes between the samples of a heating or cooling "
                                  "run (zone, sensors and outdoor temperatures).", "integer"),
    "history_raw_days": _days(365, 36_500, "raw series points (each reading, each change)"),
    "history_rollup_days": _days(None, 36_500, "the series' rollups (min/mean/max per bucket)"),
    "decisions_keep_days": _days(90, 36_500, "decisions of the decision log"),
    "runs_keep_days": _days(None, 36_500, "heating and cooling runs and their samples"),
}

HUB_PROPERTIES = {
    "control_interval_s": _number(30, 5, 600, "Seconds between control ticks.", "integer"),
    "report_interval_s": _number(30, 5, 3600, "Seconds between a sensor node's reports.", "integer"),
    "stale_after_intervals": _number(3, 2, 20, "Missed report intervals after which a sensor is stale.",
                                     "integer"),
    "lease_s": _number(90, 30, 600, "Seconds an 'on' command to a relay stays valid unless renewed.",
                       "integer"),
    "timezone": {"type": "string", "minLength": 1, "maxLength": 64, "default": "UTC",
                 "description": "The hub's IANA time zone; schedules are read in it."},
    "units": {"type": "string", "enum": ["C", "F"], "default": "C",
              "description": "Units the UI shows; the API always speaks °C."},
    "default_aggregation": {"type": "string", "pattern": NAME, "default": "mean",
                            "description": "Aggregation plugin used when a target names none."},
    "outdoor_sensor": {"type": ["string", "null"], "minLength": 1, "maxLength": 128, "default": None,
                       "description": "The sensor that reads the outdoor temperature (its id); null: none, "
                                      "or the configured outdoor plugin's."},
    **CONTROL_PROPERTIES,
    **HISTORY_PROPERTIES,
}

SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": HUB_PROPERTIES,
    "required": sorted(HUB_PROPERTIES),
}

SETTINGS_PATCH_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {key: {k: v for k, v in prop.items() if k != "default"}
                   for key, prop in HUB_PROPERTIES.items()},
}

ZONE_SETTINGS_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "description": "Per-zone overrides of the hub's control settings.",
    "properties": {key: {k: v for k, v in prop.items() if k != "default"}
                   for key, prop in CONTROL_PROPERTIES.items()},
}


def system_timezone() -> str:
    """The machine's IANA zone, from /etc/localtime or /etc/timezone, else UTC."""
    try:
        target = Path("/etc/localtime").resolve()
        parts = target.parts
        if "zoneinfo" in parts:
            return "/".join(parts[parts.index("zoneinfo") + 1:])
    except OSError:
        pass
    try:
        return Path("/etc/timezone").read_text().strip() or "UTC"
    except OSError:
        return "UTC"


def defaults() -> dict[str, Any]:
    values = {key: prop["default"] for key, prop in HUB_PROPERTIES.items()}
    zone = system_timezone()
    values["timezone"] = zone if is_timezone(zone) else "UTC"
    return values


def effective(stored: dict[str, Any]) -> dict[str, Any]:
    """The settings in force: defaults overlaid with what people set."""
    return {**defaults(), **{k: v for k, v in stored.items() if k in HUB_PROPERTIES}}


def for_zone(hub_settings: dict[str, Any], zone_settings: dict[str, Any]) -> dict[str, Any]:
    return {**hub_settings, **{k: v for k, v in zone_settings.items() if k in CONTROL_PROPERTIES}}


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in _zones()
