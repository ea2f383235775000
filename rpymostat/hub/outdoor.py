"""The outdoor temperature: from a sensor marked outdoor, or from an outdoor plugin.

Two sources, in this order:

1. the sensor the hub setting ``outdoor_sensor`` names (any sensor a node reports, or an
   MQTT sensor): its newest reading, while it is valid and fresh;
2. an outdoor plugin (entry-point group ``rpymostat.outdoor``), named by the hub's
   ``outdoor_plugin`` configuration with its ``outdoor_settings``; it is read every
   ``OutdoorService.every_s`` off the reactor thread.

An outdoor plugin is an object with ``name``, ``settings_schema`` and ``read(settings) ->
float`` (°C; raise to say it has no value now). Two ship: ``file`` (the first number in a
local file, for a weather script that writes one) and ``command`` (the first number a
command prints). The command comes from the hub's configuration file, never from the
API, so that no API caller can make the hub run a program.

The :class:`OutdoorService` writes each new value to the ``outdoor/temperature`` history
series, from which a run's start and samples take their outdoor temperature, and keeps
the newest for the control loop (``Inputs.outdoor``).
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from twisted.application.service import Service
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from rpymostat.core.control.lookahead import Outdoor
from rpymostat.core.history.names import OUTDOOR
from rpymostat.core.readings import invalid_reason, stale_at

log = Logger()
GROUP = "rpymostat.outdoor"
NUMBER = re.compile(r"[-+−]?\d+(?:\.\d+)?")
READ_TIMEOUT_S = 20.0


class OutdoorUnavailable(Exception):
    """The source has no usable value now (named reason in the message)."""


def first_number(text: str, where: str) -> float:
    found = NUMBER.search(text)
    if found is None:
        raise OutdoorUnavailable(f"no number in {where}")
    value = float(found.group().replace("−", "-"))
    if invalid_reason(value) is not None:
        raise OutdoorUnavailable(f"{where} gave {value:g} °C: {invalid_reason(value)}")
    return value


class FileOutdoor:
    name = "file"
    settings_schema = {
        "type": "object", "additionalProperties": False, "required": ["path"],
        "properties": {"path": {"type": "string", "minLength": 1,
                                "description": "A file whose first number is the outdoor temperature in °C."}},
    }

    def read(self, settings: Mapping[str, Any]) -> float:
        path = Path(settings["path"])
        try:
            text = path.read_text(errors="replace")[:4096]
        except OSError as exc:
            raise OutdoorUnavailable(f"cannot read {path}: {exc.strerror}") from None
        return first_number(text, str(path))


class CommandOutdoor:
    name = "command"
    settings_schema = {
        "type": "object", "additionalProperties": False, "required": ["command"],
        "properties": {"command": {"type": "string", "minLength": 1,
                                   "description": "A command (split as a shell would, run without one) "
                                                  "whose first printed number is the outdoor temperature in °C."}},
    }

    def read(self, settings: Mapping[str, Any]) -> float:
        argv = shlex.split(settings["command"])
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=READ_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutdoorUnavailable(f"{argv[0]} failed: {exc}") from None
        if done.returncode != 0:
            raise OutdoorUnavailable(f"{argv[0]} exited with {done.returncode}: {done.stderr.strip()[:200]}")
        return first_number(done.stdout, f"the output of {argv[0]}")


def plugin_problem(name: str | None, settings: Mapping[str, Any] | None) -> Optional[tuple[str, str]]:
    """Why the configured outdoor plugin cannot run, as (configuration key, message); None
    when it can, or none is named. Its ``settings`` are checked when given."""
    if name is None:
        return None
    from jsonschema import Draft202012Validator

    from rpymostat.runtime.plugins import PluginNotFound, load

    try:
        plugin = load(GROUP, name)
    except PluginNotFound:
        return "outdoor_plugin", f"no outdoor plugin {name!r} is installed"
    if settings is None:
        return None
    errors = sorted(Draft202012Validator(plugin.settings_schema).iter_errors(dict(settings)), key=str)
    return None if not errors else ("outdoor_settings", f"for the {name} plugin, {errors[0].message}")


def from_sensor(settings: Mapping[str, Any], latest: Mapping[str, Any], now: float) -> Optional[Outdoor]:
    """The outdoor sensor's newest reading, when one is named, valid and fresh."""
    sensor_id = settings.get("outdoor_sensor")
    found = None if sensor_id is None else latest.get(sensor_id)
    if found is None or invalid_reason(found.value) is not None:
        return None
    if now >= stale_at(found.time, settings["report_interval_s"], settings["stale_after_intervals"]):
        return None
    return Outdoor(found.value, found.time)


class OutdoorService(Service):
    """Reads the outdoor temperature every ``every_s`` and records each new value.

    ``settings`` returns the hub's settings, ``latest`` the newest reading of each sensor
    (``Live.latest``); ``plugin`` with ``plugin_settings`` is the configured outdoor
    plugin (None: none); ``run`` runs a blocking call off the reactor and returns a
    Deferred (the store's thread runner)."""

    name = "outdoor"

    def __init__(self, store, clock, settings: Callable[[], Mapping[str, Any]],
                 latest: Callable[[], Mapping[str, Any]], run, plugin=None,
                 plugin_settings: Mapping[str, Any] | None = None, every_s: float = 60.0):
        self.store, self.clock, self.settings, self.latest, self.run = store, clock, settings, latest, run
        self.plugin, self.plugin_settings, self.every_s = plugin, dict(plugin_settings or {}), every_s
        self.from_plugin: Optional[Outdoor] = None
        self.recorded: Optional[float] = None  # time of the newest value written
        self.problem: Optional[str] = None
        self._loop: Optional[LoopingCall] = None

    def current(self) -> Optional[Outdoor]:
        """The newest outdoor temperature: the outdoor sensor's, else the plugin's."""
        now = self.clock.seconds()
        sensed = from_sensor(self.settings(), self.latest(), now)
        return sensed if sensed is not None else self.from_plugin

    def startService(self) -> None:
        super().startService()
        self._loop = LoopingCall(self.poll)
        self._loop.clock = self.clock
        self._loop.start(self.every_s, now=True)

    def stopService(self) -> None:
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def poll(self):
        if self.plugin is None:
            return self._record()
        d = self.run(self.plugin.read, self.plugin_settings)
        d.addCallbacks(self._read, self._unavailable)
        d.addCallback(lambda _: self._record())
        return d

    def _read(self, value: float) -> None:
        self.from_plugin = Outdoor(float(value), self.clock.seconds())
        if self.problem is not None:
            log.info("outdoor plugin {name} reads again", name=self.plugin.name)
        self.problem = None

    def _unavailable(self, failure) -> None:
        failure.trap(OutdoorUnavailable)
        if self.problem != failure.getErrorMessage():
            log.warn("outdoor plugin {name}: {why}", name=self.plugin.name, why=failure.getErrorMessage())
        self.problem = failure.getErrorMessage()

    def _record(self):
        found = self.current()
        if found is None or (self.recorded is not None and found.time <= self.recorded):
            return None
        d = self.store.history.append([(OUTDOOR, found.time, found.temperature)])

        def written(_):
            self.recorded = found.time

        def failed(failure):
            log.warn("the outdoor temperature could not be recorded: {why}", why=failure.getErrorMessage())

        return d.addCallbacks(written, failed)


def configured_outdoor(config) -> tuple[Any, dict]:
    """The outdoor plugin the hub's configuration names (None: none) and its settings."""
    if config.outdoor_plugin is None:
        return None, {}
    from rpymostat.runtime.plugins import load

    return load(GROUP, config.outdoor_plugin), dict(config.outdoor_settings)
