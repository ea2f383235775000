"""What the hub tells Home Assistant over MQTT: its topics, the discovery configs of its
zones (``climate``) and sensors (``sensor``), their states, and what a command from Home
Assistant asks of a zone.

Pure functions of the hub's state; :mod:`rpymostat.hub.mqtt.bridge` publishes them.

A zone publishes one JSON state message; the climate config points every state topic
at it with a template picking its field, so a zone's state changes in one message. A
``null`` field renders as ``None``, which Home Assistant reads as "no value" for the
temperatures and the action. Modes map one to one (``auto``, a heat and a cool setpoint
with the hub choosing, is Home Assistant's ``heat_cool``; ``fan`` its ``fan_only``).
The preset says whether a hold is on: ``hold``, or ``none`` when the schedule runs.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

import attrs

from rpymostat import __version__
from rpymostat.core.target import SETPOINT_MAX, SETPOINT_MIN

HA_MODES = {"off": "off", "heat": "heat", "cool": "cool", "auto": "heat_cool", "fan": "fan_only"}
OUR_MODES = {ha: ours for ours, ha in HA_MODES.items()}
PRESET_HOLD = "hold"
PRESET_NONE = "none"
COMMANDS = ("mode", "temperature", "temperature_low", "temperature_high", "preset")
ONLINE, OFFLINE = b"online", b"offline"
# A hold asked from Home Assistant lasts until the schedule's next change, as a
# thermostat's own buttons do.
HOLD_UNTIL = "next"


@attrs.frozen
class Topics:
    """The hub's topics under ``prefix/hub_id`` and Home Assistant's under ``discovery``."""

    prefix: str
    hub_id: str
    discovery: str = "homeassistant"

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.hub_id}"

    @property
    def availability(self) -> str:
        return f"{self.base}/status"

    @property
    def ha_status(self) -> str:
        return f"{self.discovery}/status"

    @property
    def commands(self) -> str:
        """The subscription that catches every zone's commands."""
        return f"{self.base}/zone/+/set/+"

    def zone_state(self, zone_id: int) -> str:
        return f"{self.base}/zone/{zone_id}/state"

    def zone_command(self, zone_id: int, what: str) -> str:
        return f"{self.base}/zone/{zone_id}/set/{what}"

    def zone_config(self, zone_id: int) -> str:
        return f"{self.discovery}/climate/{self.hub_id}_{zone_id}/config"

    def sensor_state(self, sensor_id: str) -> str:
        return f"{self.base}/sensor/{slug(sensor_id)}/state"

    def sensor_config(self, sensor_id: str) -> str:
        return f"{self.discovery}/sensor/{self.hub_id}_{slug(sensor_id)}/config"

    def command_of(self, topic: str) -> tuple[int, str] | None:
        """(zone id, what) of a command topic, or None for any other topic."""
        match = re.fullmatch(re.escape(self.base) + r"/zone/([1-9][0-9]{0,8})/set/([a-z_]+)", topic)
        if match is None or match.group(2) not in COMMANDS:
            return None
        return int(match.group(1)), match.group(2)


def slug(sensor_id: str) -> str:
    """A sensor id as one topic level and a Home Assistant object id (letters, digits,
    ``_`` and ``-``); an id that had other characters gets a hash, so two never meet."""
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", sensor_id)
    if clean == sensor_id:
        return clean
    return f"{clean}_{hashlib.sha256(sensor_id.encode()).hexdigest()[:8]}"


def device(topics: Topics, system: str) -> dict:
    return {"identifiers": [f"rpymostat_{topics.hub_id}"], "name": f"RPyMostat {system}",
            "manufacturer": "RPyMostat", "model": "hub", "sw_version": __version__}


def _availability(topics: Topics) -> dict:
    return {"availability_topic": topics.availability, "payload_available": ONLINE.decode(),
            "payload_not_available": OFFLINE.decode()}


def climate_config(topics: Topics, zone: dict, system: str) -> dict:
    """The discovery config of a zone as Home Assistant's MQTT climate platform reads it."""
    zone_id = zone["id"]
    state = topics.zone_state(zone_id)

    def field(name: str) -> str:
        return "{{ value_json." + name + " }}"

    return {
        "name": None,  # the entity is named after its device's zone, below
        "unique_id": f"{topics.hub_id}_zone_{zone_id}",
        "device": {**device(topics, system), "identifiers": [f"rpymostat_{topics.hub_id}_zone_{zone_id}"],
                   "name": zone["name"], "model": "zone", "via_device": f"rpymostat_{topics.hub_id}"},
        **_availability(topics),
        "modes": list(HA_MODES.values()),
        "mode_state_topic": state, "mode_state_template": field("mode"),
        "mode_command_topic": topics.zone_command(zone_id, "mode"),
        "temperature_state_topic": state, "temperature_state_template": field("target"),
        "temperature_command_topic": topics.zone_command(zone_id, "temperature"),
        "temperature_low_state_topic": state, "temperature_low_state_template": field("target_low"),
        "temperature_low_command_topic": topics.zone_command(zone_id, "temperature_low"),
        "temperature_high_state_topic": state, "temperature_high_state_template": field("target_high"),
        "temperature_high_command_topic": topics.zone_command(zone_id, "temperature_high"),
        "current_temperature_topic": state, "current_temperature_template": field("temperature"),
        "action_topic": state, "action_template": field("action"),
        "preset_modes": [PRESET_HOLD],
        "preset_mode_state_topic": state, "preset_mode_value_template": field("preset"),
        "preset_mode_command_topic": topics.zone_command(zone_id, "preset"),
        "min_temp": SETPOINT_MIN, "max_temp": SETPOINT_MAX, "temp_step": 0.5, "precision": 0.1,
        "temperature_unit": "C", "optimistic": False, "retain": False, "qos": 1,
    }


def sensor_config(topics: Topics, sensor: dict, system: str, stale_after_s: float) -> dict:
    """A sensor as a Home Assistant temperature sensor; it shows as unavailable once its
    reading is older than the hub's staleness limit."""
    return {
        "name": sensor.get("alias") or sensor["name"],
        "unique_id": f"{topics.hub_id}_sensor_{slug(sensor['id'])}",
        "device": device(topics, system),
        **_availability(topics),
        "state_topic": topics.sensor_state(sensor["id"]),
        "device_class": "temperature", "state_class": "measurement", "unit_of_measurement": "°C",
        "suggested_display_precision": 1, "expire_after": max(1, math.ceil(stale_after_s)),
        "qos": 1,
    }


def zone_state(status: dict, held: bool) -> dict:
    """A zone's state message from its ``GET /v1/status`` entry."""
    target = status.get("target") or {}
    mode = target.get("mode", "off")
    single = {"heat": target.get("heat_setpoint"), "cool": target.get("cool_setpoint")}.get(mode)
    auto = mode == "auto"
    action = "off" if mode == "off" and status["action"] == "idle" else status["action"]
    return {"mode": HA_MODES.get(mode, "off"), "temperature": status["temperature"], "target": single,
            "target_low": target.get("heat_setpoint") if auto else None,
            "target_high": target.get("cool_setpoint") if auto else None,
            "action": action, "preset": PRESET_HOLD if held else PRESET_NONE}


# -- commands ------------------------------------------------------------------------


class CommandError(ValueError):
    """A command that asks nothing the hub can do; the text says why."""


@attrs.frozen
class Hold:
    """What a command asks: a ``Hold`` body for ``PUT /v1/zones/{id}/hold``, or (None) to
    cancel the zone's hold."""

    body: dict[str, Any] | None


def command_hold(what: str, payload: bytes, target: dict) -> Hold:
    """The hold a command from Home Assistant asks for, given the zone's current target
    (what it asks is applied to that target); the hold body is then validated exactly as
    the API validates one."""
    text = _text(payload)
    if what == "preset":
        if text == PRESET_NONE:
            return Hold(None)
        if text == PRESET_HOLD:
            return Hold({"target": target, "until": None})
        raise CommandError(f"unknown preset {text!r} (known: {PRESET_HOLD}, {PRESET_NONE})")
    if what == "mode":
        if text not in OUR_MODES:
            raise CommandError(f"unknown mode {text!r} (known: {', '.join(OUR_MODES)})")
        return Hold({"target": {**target, "mode": OUR_MODES[text]}, "until": HOLD_UNTIL})
    value = _temperature(text)
    return Hold({"target": {**target, _setpoint(what, target.get("mode")): value}, "until": HOLD_UNTIL})


def _setpoint(what: str, mode: str | None) -> str:
    if what == "temperature_low":
        return "heat_setpoint"
    if what == "temperature_high":
        return "cool_setpoint"
    if mode in ("heat", "cool"):
        return f"{mode}_setpoint"
    raise CommandError(f"a single target temperature means nothing in mode {HA_MODES.get(mode or '', mode)}"
                       + (" (set the low and high ones)" if mode == "auto" else ""))


def _text(payload: bytes) -> str:
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise CommandError("payload is not UTF-8 text") from None


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise CommandError(f"temperature {text[:40]!r} is not a number") from None
    if not math.isfinite(value):
        raise CommandError(f"temperature {text[:40]!r} is not a finite number")
    return value
