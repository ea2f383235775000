"""A zone's status before the control loop has anything to say about it."""

from __future__ import annotations

from typing import Any

from rpymostat.core.readings import age_problem, invalid_reason


def basic_zone_status(zone: dict, sensors: list[dict], settings: dict, now: float) -> dict[str, Any]:
    """A zone's status before the control loop has anything to say: the mean of its
    fresh, valid sensors and its default target; no demand."""
    values = []
    for sensor in sensors:
        if sensor["zone_id"] != zone["id"] or sensor["last_time"] is None:
            continue
        if invalid_reason(sensor["last_value"]) or age_problem(
                sensor["last_time"], now, settings["report_interval_s"], settings["stale_after_intervals"]):
            continue
        values.append((sensor["id"], sensor["last_value"]))
    temperature = round(sum(v for _, v in values) / len(values), 3) if values else None
    alarms = [] if values or not zone["sensors"] else [
        {"code": "no_temperature", "message": "no valid fresh temperature"}]
    return {"id": zone["id"], "name": zone["name"], "temperature": temperature,
            "sensors_used": [s for s, _ in values], "target": zone["default_target"],
            "action": "idle", "reason": "no control loop in this hub", "alarms": alarms}
