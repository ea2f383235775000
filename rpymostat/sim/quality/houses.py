"""The house a benchmark controls: an interface any thermal model can implement, and the
simulated RC house of :mod:`rpymostat.sim.house` behind it.

The benchmark steps a house with the equipment state for one time step, then reads the
indoor and outdoor temperature and the power drawn during that step. Nothing else: a model
that answers these can be plugged in with ``--house module:Class`` (docs/simulation.md).
"""

from __future__ import annotations

import importlib
from typing import Any, Mapping, Protocol

import attrs

from rpymostat.sim.house import House, small_house
from rpymostat.sim.weather import load_weather


class HouseModel(Protocol):
    """A heated house on its own clock (weather time: seconds since 1 January 00:00).

    Made as ``Class(weather=NAME, start_s=T, step_s=DT)``; ``step`` is then called with
    ``dt_s == step_s`` only, which lets a model with a fixed time step (EnergyPlus) run in
    lock-step with the controller.
    """

    time_s: float
    indoor_c: float
    outdoor_c: float
    #: Mean power drawn (electricity or fuel) during the last step, W.
    power_w: float

    def step(self, dt_s: float, equipment: Mapping[str, bool]) -> None:
        ...

    def close(self) -> None:
        ...


class HouseError(ValueError):
    """A ``--house`` that names nothing usable."""


def bench_house_params() -> Any:
    """The default simulated house with a furnace sized for a cold climate.

    ``small_house`` has 5 kW, which cannot hold 21 °C below about −8 °C outside; a furnace
    of 10 kW (10.6 kW fuel) holds it down to about −35 °C, as a heating engineer would size it.
    """
    params = small_house()
    furnace = attrs.evolve(params.equipment[0], heat_w=10_000.0, input_w=10_600.0)
    return attrs.evolve(params, equipment=(furnace,) + params.equipment[1:])


class RCHouse:
    """The simulated two-room RC house; its indoor temperature is the rooms' mean air
    temperature (the thermostat averages a sensor in each room, without their noise, so that
    runs are comparable step for step)."""

    def __init__(self, *, weather: str, start_s: float, step_s: float, initial_c: float = 16.0):
        self._house = House(bench_house_params(), load_weather(weather), start_s=start_s,
                            initial_c=initial_c)
        self._rooms = [room.name for room in self._house.params.rooms]
        self._step_s = step_s
        self.power_w = 0.0
        self._read()

    def _read(self) -> None:
        self.time_s = self._house.time_s
        self.indoor_c = sum(self._house.air_c(room) for room in self._rooms) / len(self._rooms)
        self.outdoor_c = self._house.outdoor_c

    def step(self, dt_s: float, equipment: Mapping[str, bool]) -> None:
        before = sum(self._house.energy_kwh().values())
        self._house.step(dt_s, equipment)
        self.power_w = (sum(self._house.energy_kwh().values()) - before) * 3.6e6 / dt_s
        self._read()

    def close(self) -> None:
        pass


BUILTIN_HOUSES = {
    "rc": "rpymostat.sim.quality.houses:RCHouse",
    "energyplus": "rpymostat.sim.quality.energyplus:EnergyPlusHouse",
}


def house_class(spec: str) -> Any:
    """The class ``module:Class`` (or a built-in name: ``rc``, ``energyplus``) names."""
    spec = BUILTIN_HOUSES.get(spec, spec)
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise HouseError(f"--house {spec!r}: expected module:Class, or one of {', '.join(BUILTIN_HOUSES)}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise HouseError(f"--house {spec!r}: cannot import {module_name}: {exc}") from exc
    found = getattr(module, class_name, None)
    if not callable(found):
        raise HouseError(f"--house {spec!r}: {module_name} has no class {class_name}")
    return found
