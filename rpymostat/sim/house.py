"""A small house as a thermal RC network: the plant that the simulator's nodes sense and switch.

Each room has two nodes: its air (small heat capacity, quick) and its building mass
(floors, interior walls: large, slow). Heat flows air↔mass, air→outdoors (windows,
infiltration), mass→outdoors (opaque walls and roof) and air↔air between rooms (doors,
internal walls; more while the fan mixes the air). Sunshine enters through the windows
and lands mostly on the mass; people and appliances warm the air on a daily profile;
equipment (heaters, air conditioners, a fan) switches on with relay outputs.

The model is deterministic: state changes only in :meth:`House.step`, with an explicit
time step and the outputs that were on during it, and the sensor noise comes from a
random generator per sensor seeded by the house's seed and the sensor id. It is pure
Python and cheap, so a Raspberry Pi node can run it and tests can run weeks in seconds.

Integration is implicit Euler over the whole network. The air nodes are stiff (time
constants of minutes beside the mass's days); implicit Euler stays stable and
non-oscillating for any step, and it conserves energy exactly in the discrete sense, so
the energy ledger balances to rounding error.

Units: temperatures °C, heat flows W, conductances W/K, heat capacities J/K, areas m²,
times s. Time is weather time (see :mod:`rpymostat.sim.weather`): seconds since
1 January 00:00 local standard time, which also sets the hour of the daily gains.
"""

from __future__ import annotations

import math
import random
from typing import Mapping, Optional

import attrs
from attrs import validators as v

from rpymostat.sim.weather import Weather

OUTDOOR = "outdoor"
_MAX_CACHED_STEPS = 32

_non_negative = v.ge(0.0)
_positive = v.gt(0.0)
_fraction = [v.ge(0.0), v.le(1.0)]


def _daily_profile(instance, attribute, value):
    if len(value) != 24 or any(watts < 0 for watts in value):
        raise ValueError(f"{attribute.name} needs 24 hourly values ≥ 0 W")


@attrs.frozen
class Room:
    """One room: its air node, its mass node and their links to outdoors."""

    name: str
    air_capacity_j_k: float = attrs.field(validator=_positive)
    mass_capacity_j_k: float = attrs.field(validator=_positive)
    air_mass_w_k: float = attrs.field(validator=_non_negative)
    envelope_air_w_k: float = attrs.field(validator=_non_negative)
    envelope_mass_w_k: float = attrs.field(validator=_non_negative)
    window_area_m2: float = attrs.field(default=0.0, validator=_non_negative)
    #: Share of the horizontal irradiance on the window area that enters the room; it
    #: folds glazing and orientation into one number.
    solar_transmittance: float = attrs.field(default=0.4, validator=_fraction)
    #: Share of the sunshine that warms floors and walls rather than the air.
    solar_to_mass: float = attrs.field(default=0.7, validator=_fraction)
    #: People and appliances, W, for each hour of the day (0 = midnight to 1 am).
    internal_gains_w: tuple[float, ...] = attrs.field(default=(0.0,) * 24, converter=tuple,
                                                      validator=_daily_profile)


@attrs.frozen
class Coupling:
    """Heat exchange between the air of two rooms (open doors, internal walls)."""

    room_a: str
    room_b: str
    conductance_w_k: float = attrs.field(validator=_non_negative)


@attrs.frozen
class Equipment:
    """A heater or an air conditioner switched by one relay output.

    ``heat_w`` is the heat it delivers while on (negative: it removes heat), shared
    among rooms by ``rooms`` (name, share; the shares add up to 1). ``input_w`` is the
    power it draws (electricity or fuel), which is what the energy meter counts.
    """

    name: str
    output: str
    heat_w: float
    input_w: float = attrs.field(validator=_non_negative)
    rooms: tuple[tuple[str, float], ...] = attrs.field(converter=tuple)
    #: Forced air: while it runs, the fan runs too (and mixes the rooms' air).
    needs_fan: bool = True


@attrs.frozen
class Fan:
    """The air handler's fan: on with its own output, or with equipment that needs it."""

    name: str = "fan"
    output: str = "fan"
    input_w: float = attrs.field(default=250.0, validator=_non_negative)
    #: Added to the coupling of every pair of rooms while the fan runs.
    mixing_w_k: float = attrs.field(default=360.0, validator=_non_negative)


@attrs.frozen
class Sensor:
    """A thermometer in a room's air (or outdoors) with a lag, a bias and noise.

    The lag is a first-order filter with ``time_constant_s`` (a DS18B20 in a small case
    takes a couple of minutes); each reading adds Gaussian noise of ``noise_sd_c``.
    """

    sensor_id: str
    room: str
    noise_sd_c: float = attrs.field(default=0.05, validator=_non_negative)
    time_constant_s: float = attrs.field(default=120.0, validator=_non_negative)
    offset_c: float = 0.0


@attrs.frozen
class HouseParams:
    rooms: tuple[Room, ...] = attrs.field(converter=tuple, validator=v.min_len(1))
    couplings: tuple[Coupling, ...] = attrs.field(default=(), converter=tuple)
    equipment: tuple[Equipment, ...] = attrs.field(default=(), converter=tuple)
    fan: Optional[Fan] = None
    sensors: tuple[Sensor, ...] = attrs.field(default=(), converter=tuple)
    #: Longest implicit-Euler step; a longer call to ``step`` is split into equal parts.
    max_substep_s: float = attrs.field(default=60.0, validator=_positive)

    def __attrs_post_init__(self):
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        known = {room.name for room in self.rooms}
        return self._room_problems(known) + self._equipment_problems(known) + self._sensor_problems(known)

    def _room_problems(self, known: set[str]) -> list[str]:
        found = []
        if len(known) != len(self.rooms):
            found.append("room names must be unique")
        if OUTDOOR in known:
            found.append(f"{OUTDOOR!r} is not a room name")
        for coupling in self.couplings:
            if {coupling.room_a, coupling.room_b} - known or coupling.room_a == coupling.room_b:
                found.append(f"coupling {coupling.room_a}–{coupling.room_b} needs two known rooms")
        return found

    def _equipment_problems(self, known: set[str]) -> list[str]:
        found = []
        names = [item.name for item in self.equipment]
        if self.fan is not None:
            names.append(self.fan.name)
        if len(set(names)) != len(names):
            found.append("equipment names must be unique")
        for item in self.equipment:
            rooms = [room for room, _ in item.rooms]
            if set(rooms) - known or len(set(rooms)) != len(rooms):
                found.append(f"{item.name}: rooms must be known rooms, each once")
            shares = [share for _, share in item.rooms]
            if any(share < 0 for share in shares) or not math.isclose(sum(shares), 1.0):
                found.append(f"{item.name}: room shares must be ≥ 0 and add up to 1")
        return found

    def _sensor_problems(self, known: set[str]) -> list[str]:
        found = []
        ids = [sensor.sensor_id for sensor in self.sensors]
        if len(set(ids)) != len(ids):
            found.append("sensor ids must be unique")
        for sensor in self.sensors:
            if sensor.room not in known and sensor.room != OUTDOOR:
                found.append(f"sensor {sensor.sensor_id}: unknown room {sensor.room!r}")
        return found

    def outputs(self) -> frozenset[str]:
        """The relay output ids that switch something in this house."""
        found = {item.output for item in self.equipment}
        if self.fan is not None:
            found.add(self.fan.output)
        return frozenset(found)


def _hours(*spans: tuple[int, int, float], base: float) -> tuple[float, ...]:
    """A daily profile: ``base`` watts except in the given (first hour, end hour, watts) spans."""
    profile = [base] * 24
    for first, end, watts in spans:
        for hour in range(first, end):
            profile[hour] = watts
    return tuple(profile)


def small_house() -> HouseParams:
    """A two-room house of about 90 m² with one forced-air zone.

    About 175 W/K lost to outdoors, so 5 kW of heat holds 28 K above outdoors. From 15 °C
    with 0 °C outdoors the air warms by 3 °C in the first hour of heating, then by about
    0.7 °C an hour as the mass catches up; whole-house time constant about 15 hours.
    """
    living = Room(
        "living",
        air_capacity_j_k=1.2e6, mass_capacity_j_k=4.5e6, air_mass_w_k=600.0,
        envelope_air_w_k=60.0, envelope_mass_w_k=50.0, window_area_m2=5.0,
        internal_gains_w=_hours((6, 9, 400.0), (9, 17, 200.0), (17, 23, 600.0), base=100.0),
    )
    bedroom = Room(
        "bedroom",
        air_capacity_j_k=0.8e6, mass_capacity_j_k=3.0e6, air_mass_w_k=400.0,
        envelope_air_w_k=40.0, envelope_mass_w_k=30.0, window_area_m2=3.0,
        internal_gains_w=_hours((0, 7, 150.0), (22, 24, 150.0), base=50.0),
    )
    split = (("living", 0.6), ("bedroom", 0.4))
    return HouseParams(
        rooms=(living, bedroom),
        couplings=(Coupling("living", "bedroom", 150.0),),
        equipment=(
            Equipment("furnace", output="heat", heat_w=5000.0, input_w=5300.0, rooms=split),
            Equipment("air-conditioner", output="cool", heat_w=-3500.0, input_w=1200.0,
                      rooms=split),
        ),
        fan=Fan(),
        sensors=(
            Sensor("sim-living", "living"),
            Sensor("sim-bedroom", "bedroom"),
            Sensor("sim-outdoor", OUTDOOR, time_constant_s=300.0),
        ),
    )


@attrs.frozen
class Ledger:
    """Heat that crossed the house's boundary since the start, in J."""

    equipment_j: float = 0.0
    gains_j: float = 0.0
    loss_j: float = 0.0


def _invert(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss–Jordan with partial pivoting; the network's matrices are small and well-conditioned."""
    size = len(matrix)
    work = [row[:] + [1.0 if i == j else 0.0 for j in range(size)] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(work[r][col]))
        work[col], work[pivot] = work[pivot], work[col]
        scale = work[col][col]
        work[col] = [x / scale for x in work[col]]
        for r in range(size):
            if r != col and work[r][col] != 0.0:
                factor = work[r][col]
                work[r] = [x - factor * y for x, y in zip(work[r], work[col])]
    return [row[size:] for row in work]


class House:
    """The state of one simulated house, advanced only by :meth:`step`."""

    def __init__(self, params: HouseParams, weather: Weather, *, start_s: float = 0.0,
                 initial_c: float = 20.0, seed: int = 0):
        self.params = params
        self.weather = weather
        self._time_s = float(start_s)
        rooms = params.rooms
        count = len(rooms)
        self._room_index = {room.name: i for i, room in enumerate(rooms)}
        # Node i is room i's air, node count + i its mass.
        self._capacity = ([room.air_capacity_j_k for room in rooms]
                          + [room.mass_capacity_j_k for room in rooms])
        self._to_outdoor = ([room.envelope_air_w_k for room in rooms]
                            + [room.envelope_mass_w_k for room in rooms])
        self._temperature = [float(initial_c)] * (2 * count)
        self._conductance = {fan_on: self._conductance_matrix(fan_on) for fan_on in (False, True)}
        self._inverse_cache: dict[tuple[float, bool], list[list[float]]] = {}
        self._sensor_index = {sensor.sensor_id: i for i, sensor in enumerate(params.sensors)}
        self._sensor_node = [None if sensor.room == OUTDOOR else self._room_index[sensor.room]
                             for sensor in params.sensors]
        self._lagged = [self._sensor_input(i, self._time_s) for i in range(len(params.sensors))]
        self._rng = {sensor.sensor_id: random.Random(f"{seed}/{sensor.sensor_id}")
                     for sensor in params.sensors}
        self._known_outputs = params.outputs()
        self._input_j = {item.name: 0.0 for item in params.equipment}
        if params.fan is not None:
            self._input_j[params.fan.name] = 0.0
        self._ledger = Ledger()

    def _conductance_matrix(self, fan_on: bool) -> list[list[float]]:
        count = len(self.params.rooms)
        size = 2 * count
        matrix = [[0.0] * size for _ in range(size)]

        def link(a: int, b: int, conductance: float):
            matrix[a][a] += conductance
            matrix[b][b] += conductance
            matrix[a][b] -= conductance
            matrix[b][a] -= conductance

        for i, room in enumerate(self.params.rooms):
            link(i, count + i, room.air_mass_w_k)
            matrix[i][i] += room.envelope_air_w_k
            matrix[count + i][count + i] += room.envelope_mass_w_k
        for coupling in self.params.couplings:
            link(self._room_index[coupling.room_a], self._room_index[coupling.room_b],
                 coupling.conductance_w_k)
        if fan_on and self.params.fan is not None:
            for a in range(count):
                for b in range(a + 1, count):
                    link(a, b, self.params.fan.mixing_w_k)
        return matrix

    def _inverse(self, dt_s: float, fan_on: bool) -> list[list[float]]:
        """(C/dt + K)⁻¹, kept for the few step lengths a run uses."""
        key = (dt_s, fan_on)
        inverse = self._inverse_cache.get(key)
        if inverse is None:
            if len(self._inverse_cache) >= _MAX_CACHED_STEPS:
                self._inverse_cache.clear()
            matrix = [row[:] for row in self._conductance[fan_on]]
            for i, capacity in enumerate(self._capacity):
                matrix[i][i] += capacity / dt_s
            inverse = self._inverse_cache[key] = _invert(matrix)
        return inverse

    def _sensor_input(self, index: int, time_s: float) -> float:
        node = self._sensor_node[index]
        return self.weather.outdoor_c(time_s) if node is None else self._temperature[node]

    # -- reading the state ---------------------------------------------------------

    @property
    def time_s(self) -> float:
        return self._time_s

    @property
    def outdoor_c(self) -> float:
        return self.weather.outdoor_c(self._time_s)

    def air_c(self, room: str) -> float:
        """The room's true air temperature (what a perfect, instant sensor would show)."""
        return self._temperature[self._room_index[room]]

    def mass_c(self, room: str) -> float:
        return self._temperature[len(self.params.rooms) + self._room_index[room]]

    def read(self, sensor_id: str) -> float:
        """One reading of a sensor: lagged temperature + offset + fresh noise."""
        index = self._sensor_index[sensor_id]
        sensor = self.params.sensors[index]
        noise = self._rng[sensor_id].gauss(0.0, sensor.noise_sd_c) if sensor.noise_sd_c else 0.0
        return self._lagged[index] + sensor.offset_c + noise

    @property
    def sensor_ids(self) -> tuple[str, ...]:
        return tuple(self._sensor_index)

    def energy_kwh(self) -> dict[str, float]:
        """Energy drawn so far by each piece of equipment (and the fan), kWh."""
        return {name: joules / 3.6e6 for name, joules in self._input_j.items()}

    @property
    def ledger(self) -> Ledger:
        return self._ledger

    def stored_energy_j(self) -> float:
        """Heat stored in the house relative to everything at 0 °C."""
        return sum(c * t for c, t in zip(self._capacity, self._temperature))

    # -- advancing -----------------------------------------------------------------

    def step(self, dt_s: float, outputs: Mapping[str, bool]) -> None:
        """Advance ``dt_s`` seconds with the given relay outputs on (missing ones are off)."""
        if dt_s < 0:
            raise ValueError("time only goes forward")
        running, fan_on = self._running(outputs)
        if dt_s == 0:
            return
        equipment_w = self._equipment_w(running)
        substeps = max(1, math.ceil(dt_s / self.params.max_substep_s - 1e-9))
        h = dt_s / substeps
        inverse = self._inverse(h, fan_on)
        scaled = [c / h for c in self._capacity]
        gains_total = loss_total = 0.0
        for _ in range(substeps):
            middle = self._time_s + h / 2
            forcing, room_gains = self._forcing(middle, equipment_w)
            for gains in room_gains:
                gains_total += gains
            loss_total += self._integrate(h, inverse, scaled, forcing, self.weather.outdoor_c(middle))
        self._ledger = Ledger(
            self._ledger.equipment_j + sum(equipment_w) * dt_s,
            self._ledger.gains_j + gains_total * h,
            self._ledger.loss_j + loss_total * h,
        )
        self._meter(dt_s, running, fan_on)

    def advance_to(self, time_s: float, outputs: Mapping[str, bool]) -> None:
        self.step(time_s - self._time_s, outputs)

    def _running(self, outputs: Mapping[str, bool]) -> tuple[list[Equipment], bool]:
        """The equipment the outputs switch on, and whether the fan runs."""
        unknown = {output for output, on in outputs.items() if on} - self._known_outputs
        if unknown:
            raise ValueError(f"outputs that switch nothing in this house: {sorted(unknown)}")
        running = [item for item in self.params.equipment if outputs.get(item.output, False)]
        fan = self.params.fan
        fan_on = fan is not None and (outputs.get(fan.output, False)
                                      or any(item.needs_fan for item in running))
        return running, fan_on

    def _equipment_w(self, running: list[Equipment]) -> list[float]:
        """The running equipment's heat in each room's air, W."""
        equipment_w = [0.0] * len(self.params.rooms)
        for item in running:
            for room, share in item.rooms:
                equipment_w[self._room_index[room]] += item.heat_w * share
        return equipment_w

    def _forcing(self, time_s: float, equipment_w: list[float]) -> tuple[list[float], list[float]]:
        """The heat into each node at ``time_s``, W, and each room's gains (people, appliances, sun)."""
        count = len(self.params.rooms)
        sun = self.weather.ghi(time_s)
        hour = int(time_s // 3600.0) % 24
        forcing = [0.0] * (2 * count)
        room_gains = []
        for i, room in enumerate(self.params.rooms):
            solar = sun * room.window_area_m2 * room.solar_transmittance
            gains = room.internal_gains_w[hour] + solar
            room_gains.append(gains)
            forcing[i] = equipment_w[i] + gains - solar * room.solar_to_mass
            forcing[count + i] = solar * room.solar_to_mass
        return forcing, room_gains

    def _integrate(self, h: float, inverse: list[list[float]], scaled: list[float], forcing: list[float],
                   outdoor: float) -> float:
        """One implicit-Euler substep of ``h`` seconds; returns the heat then lost to outdoors, W."""
        start = self._time_s
        rhs = [s * t + f + g * outdoor for s, t, f, g in
               zip(scaled, self._temperature, forcing, self._to_outdoor)]
        before = self._temperature
        after = [sum(m * r for m, r in zip(row, rhs)) for row in inverse]
        self._temperature = after
        self._time_s = start + h
        self._lag_sensors(h, before, start)
        return sum(g * (t - outdoor) for g, t in zip(self._to_outdoor, after))

    def _meter(self, dt_s: float, running: list[Equipment], fan_on: bool) -> None:
        """Counts the energy the running equipment and the fan drew."""
        for item in running:
            self._input_j[item.name] += item.input_w * dt_s
        fan = self.params.fan
        if fan_on and fan is not None:
            self._input_j[fan.name] += fan.input_w * dt_s

    def _lag_sensors(self, h: float, before: list[float], start: float) -> None:
        """First-order lag, exact for an input that moves linearly across the substep."""
        for index, sensor in enumerate(self.params.sensors):
            node = self._sensor_node[index]
            if node is None:
                old = self.weather.outdoor_c(start)
                new = self.weather.outdoor_c(start + h)
            else:
                old, new = before[node], self._temperature[node]
            tau = sensor.time_constant_s
            decay = math.exp(-h / tau) if tau > 0 else 0.0
            drift = (new - old) / h * tau
            self._lagged[index] = new - drift + (self._lagged[index] - old + drift) * decay
