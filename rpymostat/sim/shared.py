"""One simulated house shared by the demo's separate processes.

The relay node's simulated relays append each switch to a log file in a directory both
nodes know; the sensor node runs the house model and, before every reading, replays the
switches logged so far and advances the model to the reading's time. The model thus sees
every switch at the instant it happened, whatever the report interval, and the real
daemons, the real hub and the real UI run against it unchanged.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from rpymostat.sim.house import House, HouseParams, small_house
from rpymostat.sim.weather import load_weather

SWITCHES = "switches.jsonl"


def house_output(output_id: str) -> str:
    """The house's name for a simulated relay output: ``sim-heat`` drives ``heat``."""
    return output_id.removeprefix("sim-")


class SwitchLog:
    """Append-only JSON lines: ``{"time": <POSIX s>, "output": "heat", "on": true}``."""

    def __init__(self, directory: str | os.PathLike):
        self.path = Path(directory) / SWITCHES
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._offset = 0

    def append(self, time: float, output_id: str, on: bool) -> None:
        line = json.dumps({"time": time, "output": house_output(output_id), "on": bool(on)})
        with open(self.path, "a") as log:
            log.write(line + "\n")

    def new_events(self) -> list[dict]:
        """Complete lines written since the last call."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self._offset)
                data = log.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


def seconds_into_year(now: float) -> float:
    """The weather series' time axis: seconds since 1 January 00:00 of ``now``'s year."""
    moment = datetime.fromtimestamp(now, timezone.utc)
    return now - datetime(moment.year, 1, 1, tzinfo=timezone.utc).timestamp()


class SharedHouse:
    """A temperature source for the simulated sensor driver, driven by the switch log."""

    def __init__(self, directory: str | os.PathLike, *, params: HouseParams | None = None,
                 weather: str = "builtin", seed: int = 0, initial_c: float = 17.0):
        self.params = params or small_house()
        self._weather = load_weather(weather)
        self._log = SwitchLog(directory)
        self._seed = seed
        self._initial_c = initial_c
        self._house: House | None = None
        self._offset_s = 0.0
        self._outputs: dict[str, bool] = {}
        self._lock = threading.Lock()

    def sensor_ids(self) -> tuple[str, ...]:
        return tuple(sensor.sensor_id for sensor in self.params.sensors)

    def temperature(self, sensor_id: str, now: float) -> float | None:
        with self._lock:
            self._catch_up(now)
            if sensor_id not in self._house.sensor_ids:
                return None
            return self._house.read(sensor_id)

    def _catch_up(self, now: float) -> None:
        if self._house is None:
            self._offset_s = now - seconds_into_year(now)
            self._house = House(self.params, self._weather, start_s=now - self._offset_s,
                                initial_c=self._initial_c, seed=self._seed)
        known = self.params.outputs()
        for event in sorted(self._log.new_events(), key=lambda e: e["time"]):
            if event["output"] not in known:
                continue
            self._advance(event["time"])
            self._outputs[event["output"]] = event["on"]
        self._advance(now)

    def _advance(self, now: float) -> None:
        target = now - self._offset_s
        if target > self._house.time_s:
            self._house.advance_to(target, self._outputs)
