"""The names of the history's series, one convention for every writer and reader.

A series holds numbers only: a zone's mode and action are stored as the codes below, an
output's state as 0 (off) or 1 (on), so that a chart's mean over a bucket is a share of
time (how long the heat was on in that hour).
"""

from __future__ import annotations

ZONE_FIELDS = ("temperature", "target", "target_low", "target_high", "mode", "action")
OUTDOOR = "outdoor/temperature"

MODE_CODES = {"off": 0, "heat": 1, "cool": 2, "auto": 3}
ACTION_CODES = {"idle": 0, "heat": 1, "cool": -1, "fan": 2}
MODE_NAMES = {code: name for name, code in MODE_CODES.items()}
ACTION_NAMES = {code: name for name, code in ACTION_CODES.items()}


def sensor_series(sensor_id: str) -> str:
    return f"sensor/{sensor_id}"


def zone_series(zone_id: int | str, field: str) -> str:
    if field not in ZONE_FIELDS:
        raise ValueError(f"a zone has no series {field!r}; it has {', '.join(ZONE_FIELDS)}")
    return f"zone/{zone_id}/{field}"


def output_series(output_id: str) -> str:
    return f"output/{output_id}/state"
