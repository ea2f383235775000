"""The default decision plugin: a two-threshold thermostat.

Heat starts below ``heat_setpoint − deadband`` and stops above ``heat_setpoint +
overrun``; between the two the equipment keeps doing what it does now, which is what
stops it from chattering around the setpoint. Cooling is the mirror image around
``cool_setpoint``. ``auto`` runs both and keeps whichever is running when their bands
overlap; ``off`` asks for nothing (not even the fan); ``fan`` asks for the fan only.

The fan: with ``fan: on`` it runs in every mode but ``off``. With ``fan: auto`` it runs
with cooling (most air conditioners need the thermostat to call the blower) and not
with heating (furnaces and boilers run their own).

The thresholds are the zone's ``deadband`` and ``overrun`` settings (``inputs.settings``).
"""

from __future__ import annotations

from rpymostat.core.control.decide import Commands, Inputs, Proposal
from rpymostat.core.settings import CONTROL_PROPERTIES


def _heat_call(temperature: float, setpoint: float, deadband: float, overrun: float,
               running: bool) -> tuple[bool, str]:
    if temperature < setpoint - deadband:
        return True, f"heating: {temperature:.1f} °C < {setpoint:g} − {deadband:g}"
    if temperature > setpoint + overrun:
        return False, f"idle: {temperature:.1f} °C > {setpoint:g} + {overrun:g}"
    if running:
        return True, f"heating: {temperature:.1f} °C ≤ {setpoint:g} + {overrun:g}"
    return False, f"idle: {temperature:.1f} °C ≥ {setpoint:g} − {deadband:g}"


def _cool_call(temperature: float, setpoint: float, deadband: float, overrun: float,
               running: bool) -> tuple[bool, str]:
    if temperature > setpoint + deadband:
        return True, f"cooling: {temperature:.1f} °C > {setpoint:g} + {deadband:g}"
    if temperature < setpoint - overrun:
        return False, f"idle: {temperature:.1f} °C < {setpoint:g} − {overrun:g}"
    if running:
        return True, f"cooling: {temperature:.1f} °C ≥ {setpoint:g} − {overrun:g}"
    return False, f"idle: {temperature:.1f} °C ≤ {setpoint:g} + {deadband:g}"


class Hysteresis:
    name = "hysteresis"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "description": "Read from the zone's control settings of the same names.",
        "properties": {key: CONTROL_PROPERTIES[key] for key in ("deadband", "overrun")},
    }

    def propose(self, inputs: Inputs) -> Proposal:
        target, settings, equipment = inputs.target, inputs.settings, inputs.equipment
        fan_on = target.fan == "on"
        if target.mode == "off":
            return Proposal(Commands(), "idle: mode off", {"mode": "off"})
        if target.mode == "fan":
            return Proposal(Commands(fan=True), "fan: mode fan", {"mode": "fan"})
        if inputs.temperature is None:
            return Proposal(Commands(fan=fan_on), "idle: no temperature", {"mode": target.mode})
        temperature = inputs.temperature
        calls = {}
        if target.mode in ("heat", "auto") and target.heat_setpoint is not None:
            calls["heat"] = _heat_call(temperature, target.heat_setpoint, settings.deadband,
                                       settings.overrun, equipment.heat.on)
        if target.mode in ("cool", "auto") and target.cool_setpoint is not None:
            calls["cool"] = _cool_call(temperature, target.cool_setpoint, settings.deadband,
                                       settings.overrun, equipment.cool.on)
        if not calls:
            return Proposal(Commands(fan=fan_on), f"idle: mode {target.mode} has no setpoint",
                            {"mode": target.mode})
        heat = calls.get("heat", (False, ""))[0]
        cool = calls.get("cool", (False, ""))[0]
        if heat and cool:
            heat, cool = not equipment.cool.on, equipment.cool.on
        if heat:
            reason = calls["heat"][1]
        elif cool:
            reason = calls["cool"][1]
        else:
            reason = " and ".join(text.removeprefix("idle: ") for _, text in calls.values())
            reason = f"idle: {reason}"
        data = {
            "mode": target.mode,
            "temperature": temperature,
            "deadband": settings.deadband,
            "overrun": settings.overrun,
            "calls": {name: call for name, (call, _) in calls.items()},
        }
        return Proposal(Commands(heat=heat, cool=cool, fan=fan_on or cool), reason, data)
