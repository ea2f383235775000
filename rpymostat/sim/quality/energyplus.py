"""A house simulated by EnergyPlus (the ``energyplus`` extra), stepped in lock-step with the
benchmark's controller.

The house is one zone of 10 × 9 m, 2.7 m high (about 90 m², like the RC house): insulated
brick walls, an insulated roof, a slab on insulation over ground at 10 °C, 7.2 m² of
double glazing facing south, 0.5 air changes an hour, interior concrete walls as thermal
mass and 300 W of people and appliances. The project writes it as epJSON (:func:`model`).
Its heater is a 10 kW electric one (sized, as the RC house's furnace, for −30 °C), which the
controller switches through the EnergyPlus Python API at every 1-minute time step.

EnergyPlus drives its own loop and calls back at each time step, so it runs in a thread of
its own: the callback hands the zone's state to :meth:`EnergyPlusHouse.step` and waits for
the equipment state of the coming step. During EnergyPlus's warm-up days (which repeat the
first day until the building settles) a plain 16 °C thermostat runs the heater, so a run
starts from a house in its night state.
"""

from __future__ import annotations

import json
import queue
import tempfile
import threading
from pathlib import Path
from typing import Any, Mapping, Optional

from rpymostat.sim.quality.houses import HouseError

ZONE = "HOUSE"
HEATER = "HEATER"
HEATER_W = 10_000.0
WARMUP_SETPOINT_C = 16.0
STEPS_PER_HOUR = 60
WAIT_S = 120.0
_DONE = None
VARIABLES = (("Zone Mean Air Temperature", ZONE), ("Site Outdoor Air Drybulb Temperature", "Environment"))


def _material(name: str, thickness: float, conductivity: float, density: float,
              specific_heat: float) -> tuple[str, dict[str, Any]]:
    return name, {"roughness": "MediumRough", "thickness": thickness, "conductivity": conductivity,
                  "density": density, "specific_heat": specific_heat}


MATERIALS = dict([
    _material("brick", 0.10, 0.90, 1900.0, 800.0),
    _material("insulation", 0.10, 0.04, 30.0, 1400.0),
    _material("roof insulation", 0.20, 0.04, 30.0, 1400.0),
    _material("floor insulation", 0.08, 0.04, 30.0, 1400.0),
    _material("gypsum", 0.0125, 0.16, 800.0, 1090.0),
    _material("concrete", 0.10, 1.40, 2300.0, 880.0),
])

# Layers from outside to inside.
CONSTRUCTIONS = {
    "wall": ["brick", "insulation", "gypsum"],
    "roof": ["roof insulation", "gypsum"],
    "floor": ["floor insulation", "concrete"],
    "interior": ["concrete"],
}

WIDTH, DEPTH, HEIGHT = 10.0, 9.0, 2.7


def _surface(kind: str, construction: str, boundary: str, vertices: list[tuple[float, float, float]],
             sun: bool = True) -> dict[str, Any]:
    exposed = "SunExposed" if sun and boundary == "Outdoors" else "NoSun"
    windy = "WindExposed" if boundary == "Outdoors" else "NoWind"
    return {"surface_type": kind, "construction_name": construction, "zone_name": ZONE,
            "outside_boundary_condition": boundary, "sun_exposure": exposed, "wind_exposure": windy,
            "vertices": [{"vertex_x_coordinate": x, "vertex_y_coordinate": y, "vertex_z_coordinate": z}
                         for x, y, z in vertices]}


def _surfaces() -> dict[str, Any]:
    """The box, each surface's corners counter-clockwise seen from outside, upper left first."""
    w, d, h = WIDTH, DEPTH, HEIGHT
    return {
        "south wall": _surface("Wall", "wall", "Outdoors", [(0, 0, h), (0, 0, 0), (w, 0, 0), (w, 0, h)]),
        "east wall": _surface("Wall", "wall", "Outdoors", [(w, 0, h), (w, 0, 0), (w, d, 0), (w, d, h)]),
        "north wall": _surface("Wall", "wall", "Outdoors", [(w, d, h), (w, d, 0), (0, d, 0), (0, d, h)]),
        "west wall": _surface("Wall", "wall", "Outdoors", [(0, d, h), (0, d, 0), (0, 0, 0), (0, 0, h)]),
        "roof": _surface("Roof", "roof", "Outdoors", [(0, d, h), (0, 0, h), (w, 0, h), (w, d, h)]),
        "floor": _surface("Floor", "floor", "Ground", [(0, 0, 0), (0, d, 0), (w, d, 0), (w, 0, 0)]),
    }


def _constant(name: str, value: float) -> dict[str, Any]:
    return {"schedule_type_limits_name": "any number", "hourly_value": value}


def model(first_day: int, days: int) -> dict[str, Any]:
    """The house as epJSON, run from day ``first_day`` (0 = 1 January) for ``days`` days
    (within January and February)."""
    begin = 1 + first_day
    end = begin + days - 1
    if end > 59:
        raise HouseError("the EnergyPlus house runs within January and February")
    end_month, end_day = (1, end) if end <= 31 else (2, end - 31)
    return {
        "Version": {"Version 1": {"version_identifier": "25.2"}},
        "SimulationControl": {"SimulationControl 1": {
            "do_zone_sizing_calculation": "No", "do_system_sizing_calculation": "No",
            "do_plant_sizing_calculation": "No", "run_simulation_for_sizing_periods": "No",
            "run_simulation_for_weather_file_run_periods": "Yes"}},
        "Building": {"house": {"north_axis": 0, "terrain": "Suburbs", "solar_distribution": "FullExterior",
                               "maximum_number_of_warmup_days": 25, "minimum_number_of_warmup_days": 6}},
        "Timestep": {"Timestep 1": {"number_of_timesteps_per_hour": STEPS_PER_HOUR}},
        "RunPeriod": {"benchmark": {"begin_month": 1, "begin_day_of_month": begin, "end_month": end_month,
                                    "end_day_of_month": end_day, "use_weather_file_holidays_and_special_days":
                                    "No", "use_weather_file_daylight_saving_period": "No"}},
        "GlobalGeometryRules": {"GlobalGeometryRules 1": {
            "starting_vertex_position": "UpperLeftCorner", "vertex_entry_direction": "Counterclockwise",
            "coordinate_system": "Relative"}},
        "Site:GroundTemperature:BuildingSurface": {"Site:GroundTemperature:BuildingSurface 1": {
            f"{month}_ground_temperature": 10.0 for month in (
                "january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")}},
        "Zone": {ZONE: {}},
        "ZoneCapacitanceMultiplier:ResearchSpecial": {"furniture": {
            "zone_or_zonelist_name": ZONE, "temperature_capacity_multiplier": 5.0}},
        "Material": MATERIALS,
        "WindowMaterial:SimpleGlazingSystem": {"double glazing": {
            "u_factor": 1.8, "solar_heat_gain_coefficient": 0.5}},
        "Construction": {**{name: {"outside_layer": layers[0],
                                   **{f"layer_{i + 2}": layer for i, layer in enumerate(layers[1:])}}
                            for name, layers in CONSTRUCTIONS.items()},
                         "window": {"outside_layer": "double glazing"}},
        "BuildingSurface:Detailed": _surfaces(),
        "FenestrationSurface:Detailed": {"south window": {
            "surface_type": "Window", "construction_name": "window", "building_surface_name": "south wall",
            "number_of_vertices": 4,
            "vertex_1_x_coordinate": 2.0, "vertex_1_y_coordinate": 0.0, "vertex_1_z_coordinate": 2.1,
            "vertex_2_x_coordinate": 2.0, "vertex_2_y_coordinate": 0.0, "vertex_2_z_coordinate": 0.9,
            "vertex_3_x_coordinate": 8.0, "vertex_3_y_coordinate": 0.0, "vertex_3_z_coordinate": 0.9,
            "vertex_4_x_coordinate": 8.0, "vertex_4_y_coordinate": 0.0, "vertex_4_z_coordinate": 2.1}},
        "InternalMass": {"interior walls": {"construction_name": "interior", "zone_or_zonelist_name": ZONE,
                                            "surface_area": 100.0}},
        "ScheduleTypeLimits": {"any number": {}},
        "Schedule:Constant": {HEATER: _constant(HEATER, 0.0), "always": _constant("always", 1.0)},
        "ZoneInfiltration:DesignFlowRate": {"leaks": {
            "zone_or_zonelist_or_space_or_spacelist_name": ZONE, "schedule_name": "always",
            "design_flow_rate_calculation_method": "AirChanges/Hour", "air_changes_per_hour": 0.5,
            "constant_term_coefficient": 1.0}},
        "OtherEquipment": {
            "heater": {"zone_or_zonelist_or_space_or_spacelist_name": ZONE, "schedule_name": HEATER,
                       "fuel_type": "Electricity", "design_level_calculation_method": "EquipmentLevel",
                       "design_level": HEATER_W, "fraction_latent": 0.0, "fraction_radiant": 0.1,
                       "fraction_lost": 0.0},
            "people and appliances": {
                "zone_or_zonelist_or_space_or_spacelist_name": ZONE, "schedule_name": "always",
                "design_level_calculation_method": "EquipmentLevel", "design_level": 300.0,
                "fraction_latent": 0.0, "fraction_radiant": 0.3, "fraction_lost": 0.0},
        },
    }


class EnergyPlusHouse:
    """The :class:`~rpymostat.sim.quality.houses.HouseModel` interface over an EnergyPlus run."""

    def __init__(self, *, weather: str, start_s: float, step_s: float, days: int = 22):
        try:
            from pyenergyplus import dataset
            from pyenergyplus.api import EnergyPlusAPI
        except ImportError as exc:
            raise HouseError("the EnergyPlus house needs the 'energyplus' extra "
                             "(pip install rpymostat[energyplus])") from exc
        if step_s != 3600.0 / STEPS_PER_HOUR:
            raise HouseError(f"the EnergyPlus house steps {3600 // STEPS_PER_HOUR} s at a time")
        if weather not in dataset.weather_files:
            raise HouseError(f"the EnergyPlus house needs a TMY3 weather, one of {sorted(dataset.weather_files)}")
        first_day, rest = divmod(start_s, 86_400.0)
        if rest:
            raise HouseError("the EnergyPlus house starts at midnight")
        self._folder = tempfile.TemporaryDirectory(prefix="rpymostat-eplus-")
        path = Path(self._folder.name) / "house.epJSON"
        path.write_text(json.dumps(model(int(first_day), days)))
        self._api = EnergyPlusAPI()
        self._state = self._api.state_manager.new_state()
        self._api.runtime.set_console_output_status(self._state, False)
        for name, key in VARIABLES:
            self._api.exchange.request_variable(self._state, name, key)
        self._handles: Optional[tuple[int, int, int]] = None
        self._states: queue.Queue = queue.Queue()
        self._commands: queue.Queue = queue.Queue()
        self._stopping = False
        self.time_s = start_s
        self.power_w = 0.0
        self._api.runtime.callback_begin_system_timestep_before_predictor(self._state, self._callback)
        arguments = ["-w", dataset.weather_files[weather], "-d", self._folder.name, str(path)]
        self._thread = threading.Thread(target=self._run, args=(arguments,), daemon=True,
                                        name="energyplus")
        self._thread.start()
        self._receive()

    def _run(self, arguments: list[str]) -> None:
        try:
            self._result = self._api.runtime.run_energyplus(self._state, arguments)
        finally:
            self._states.put(_DONE)

    def _ready(self, state: Any) -> Optional[tuple[int, int, int]]:
        exchange = self._api.exchange
        if self._handles is None and exchange.api_data_fully_ready(state):
            self._handles = (
                *(exchange.get_variable_handle(state, name, key) for name, key in VARIABLES),
                exchange.get_actuator_handle(state, "Schedule:Constant", "Schedule Value", HEATER),
            )
        return self._handles

    def _callback(self, state: Any) -> None:
        """EnergyPlus's thread, at each time step: hand the state over, take the command."""
        handles = self._ready(state)
        if handles is None or self._stopping:
            return
        exchange = self._api.exchange
        indoor = exchange.get_variable_value(state, handles[0])
        if exchange.warmup_flag(state):
            exchange.set_actuator_value(state, handles[2], 1.0 if indoor < WARMUP_SETPOINT_C else 0.0)
            return
        self._states.put((indoor, exchange.get_variable_value(state, handles[1])))
        heat = self._commands.get(timeout=WAIT_S)
        if heat is _DONE:
            self._stopping = True
            self._api.runtime.stop_simulation(state)
            return
        exchange.set_actuator_value(state, handles[2], 1.0 if heat else 0.0)

    def _receive(self) -> None:
        received = self._states.get(timeout=WAIT_S)
        if received is _DONE:
            raise HouseError(f"EnergyPlus stopped (exit {getattr(self, '_result', '?')}); "
                             f"see {self._folder.name}/eplusout.err")
        self.indoor_c, self.outdoor_c = received

    def step(self, dt_s: float, equipment: Mapping[str, bool]) -> None:
        heat = bool(equipment.get("heat", False))
        self._commands.put(heat)
        self._receive()
        self.time_s += dt_s
        self.power_w = HEATER_W if heat else 0.0

    def close(self) -> None:
        if self._thread.is_alive():
            self._commands.put(_DONE)
            self._thread.join(WAIT_S)
        self._api.state_manager.delete_state(self._state)
        self._folder.cleanup()
