"""What a zone is asked to do: the value that rules, holds and zone defaults carry.

The JSON shape is validated by the OpenAPI schema ``Target``; this module turns valid
JSON into frozen values and back, and checks the rules a schema cannot express.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs

MODES = ("heat", "cool", "auto", "off", "fan")
FAN_MODES = ("auto", "on")
SETPOINT_MIN = 5.0
SETPOINT_MAX = 35.0
AUTO_MIN_GAP = 0.5
DEFAULT_AGGREGATION = "mean"
SETPOINTS_NEEDED = {"heat": ("heat_setpoint",), "cool": ("cool_setpoint",),
                    "auto": ("heat_setpoint", "cool_setpoint")}


@attrs.frozen
class SensorWeight:
    sensor_id: str
    weight: float = 1.0


@attrs.frozen
class Target:
    mode: str = "heat"
    heat_setpoint: Optional[float] = 20.0
    cool_setpoint: Optional[float] = None
    fan: str = "auto"
    sensors: tuple[SensorWeight, ...] = ()
    aggregation: str = DEFAULT_AGGREGATION
    decision: Optional[str] = None

    def problems(self) -> list[str]:
        """Why this target cannot be used; empty when it can."""
        found = []
        if self.mode not in MODES:
            found.append(f"mode must be one of {', '.join(MODES)}")
        if self.fan not in FAN_MODES:
            found.append("fan must be 'auto' or 'on'")
        for name in ("heat_setpoint", "cool_setpoint"):
            value = getattr(self, name)
            if value is not None and not SETPOINT_MIN <= value <= SETPOINT_MAX:
                found.append(f"{name} must be within {SETPOINT_MIN:g}..{SETPOINT_MAX:g} °C")
        for name in SETPOINTS_NEEDED.get(self.mode, ()):
            if getattr(self, name) is None:
                found.append(f"mode {self.mode!r} needs {name}")
        if (
            self.mode == "auto"
            and self.heat_setpoint is not None
            and self.cool_setpoint is not None
            and self.cool_setpoint - self.heat_setpoint < AUTO_MIN_GAP
        ):
            found.append(
                f"in auto mode cool_setpoint must be at least {AUTO_MIN_GAP} °C above heat_setpoint"
            )
        ids = [s.sensor_id for s in self.sensors]
        if len(set(ids)) != len(ids):
            found.append("a sensor is named twice")
        return found

    def sensor_ids(self) -> tuple[str, ...]:
        return tuple(s.sensor_id for s in self.sensors)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "Target":
        return cls(
            mode=data.get("mode", "heat"),
            heat_setpoint=_float_or_none(data.get("heat_setpoint")),
            cool_setpoint=_float_or_none(data.get("cool_setpoint")),
            fan=data.get("fan", "auto"),
            sensors=tuple(
                SensorWeight(s["sensor_id"], float(s.get("weight", 1.0)))
                for s in data.get("sensors", ())
            ),
            aggregation=data.get("aggregation", DEFAULT_AGGREGATION),
            decision=data.get("decision"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "heat_setpoint": self.heat_setpoint,
            "cool_setpoint": self.cool_setpoint,
            "fan": self.fan,
            "sensors": [{"sensor_id": s.sensor_id, "weight": s.weight} for s in self.sensors],
            "aggregation": self.aggregation,
            "decision": self.decision,
        }


def _float_or_none(value: Any) -> Optional[float]:
    return None if value is None else float(value)
