"""Sensors read by running a program that prints one temperature in °C.

For hardware nobody wrote a driver for yet: a shell script around ``i2cget``, a call to a
weather service for the outdoor temperature, and so on. The program runs without a shell,
with the node's environment; its whole standard output, stripped, must be one finite
number. Anything else, a non-zero exit or running past the timeout is a failed reading
whose reason quotes the program's complaint.

Config keys:

- ``sensors`` (list, required): each ``{"id", "name"?, "command": [argv...],
  "timeout_s"? (default 10)}``. ``command`` is an argument list; to use shell syntax,
  write ``["sh", "-c", "..."]``.
"""

from __future__ import annotations

import os
import signal
import subprocess

from rpymostat_sensor.drivers import Reading, SensorDriver, SensorInfo, driver_schema, unique_ids, validated

DEFAULT_TIMEOUT_S = 10.0
QUOTE_LIMIT = 200


def _quote(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "…"


def run_sensor_command(sensor_id: str, argv: list[str], timeout_s: float) -> Reading:
    try:
        # Its own session, so that a timeout kills the children it started too; otherwise
        # a grandchild holding stdout open would keep us waiting.
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        return Reading.failed(sensor_id, f"cannot run {argv[0]!r}: {exc.strerror or exc}")
    try:
        out, err = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.communicate()
        return Reading.failed(sensor_id, f"command timed out after {timeout_s:g} s")
    if process.returncode != 0:
        reason = f"command exited with status {process.returncode}"
        detail = _quote(err) or _quote(out)
        return Reading.failed(sensor_id, f"{reason}: {detail}" if detail else reason)
    try:
        value = float(out.decode("utf-8", "replace").strip())
    except ValueError:
        return Reading.failed(sensor_id, f"command printed no temperature: {_quote(out)!r}")
    return Reading.good(sensor_id, value)


class CommandDriver(SensorDriver):
    name = "command"
    settings_schema = driver_schema("Sensors read by running a program", {
        "sensors": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["id", "command"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[A-Za-z0-9._:/-]{1,64}$"},
                    "name": {"type": "string"},
                    "command": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "minLength": 1},
                    },
                    "timeout_s": {
                        "type": "number",
                        "exclusiveMinimum": 0,
                        "maximum": 300,
                        "default": DEFAULT_TIMEOUT_S,
                    },
                },
            },
        },
    }, required=("sensors",))

    def __init__(self, config: dict | None = None):
        config = validated(self.settings_schema, config or {"sensors": []})
        unique_ids(config["sensors"])
        self._sensors = {s["id"]: s for s in config["sensors"]}

    def discover(self) -> list[SensorInfo]:
        return [
            SensorInfo(s["id"], "command", s.get("name", s["id"]))
            for s in sorted(self._sensors.values(), key=lambda s: s["id"])
        ]

    def read(self, sensor_id: str) -> Reading:
        spec = self._sensors.get(sensor_id)
        if spec is None:
            return Reading.failed(sensor_id, "no such configured sensor")
        return run_sensor_command(
            sensor_id, spec["command"], spec.get("timeout_s", DEFAULT_TIMEOUT_S)
        )
