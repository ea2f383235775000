import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpymostat.sim.house import (
    OUTDOOR,
    Coupling,
    Equipment,
    Fan,
    House,
    HouseParams,
    Room,
    Sensor,
    small_house,
)
from rpymostat.sim.weather import Weather, load_weather

DAY = 86400.0


def quiet_room(name, **changes):
    """A room with no sun and no people, so that only equipment and outdoors move it."""
    values = dict(air_capacity_j_k=1.0e6, mass_capacity_j_k=5.0e6, air_mass_w_k=500.0,
                  envelope_air_w_k=60.0, envelope_mass_w_k=40.0)
    values.update(changes)
    return Room(name, **values)


def heater(watts, *rooms, output="heat"):
    share = 1.0 / len(rooms)
    return Equipment(f"heater-{output}", output=output, heat_w=watts, input_w=abs(watts),
                     rooms=tuple((room, share) for room in rooms), needs_fan=False)


def run(house, seconds, outputs, dt=10.0):
    for _ in range(round(seconds / dt)):
        house.step(dt, outputs)


# -- energy ---------------------------------------------------------------------


def test_energy_balance_over_weeks_of_weather_and_switching():
    house = House(small_house(), load_weather("builtin"), start_s=95 * DAY, initial_c=18.0)
    stored_at_start = house.stored_energy_j()
    # Heat in the morning, cool in the afternoon, the fan alone at night; with step
    # lengths that need substeps and ones that do not.
    pattern = [({"heat": True}, 7.0), ({}, 45.0), ({"cool": True}, 200.0),
               ({"fan": True}, 61.5), ({}, 13.0)]
    on_seconds = {"heat": 0.0, "cool": 0.0}
    while house.time_s < 109 * DAY:
        hour = int(house.time_s // 3600) % 24
        outputs, dt = pattern[hour % len(pattern)]
        for output in outputs:
            if output in on_seconds:
                on_seconds[output] += dt
        house.step(dt, outputs)

    ledger = house.ledger
    change = house.stored_energy_j() - stored_at_start
    through = ledger.loss_j + abs(ledger.equipment_j) + ledger.gains_j
    assert change == pytest.approx(ledger.equipment_j + ledger.gains_j - ledger.loss_j,
                                   abs=1e-9 * through)
    expected_equipment = 5000 * on_seconds["heat"] - 3500 * on_seconds["cool"]
    assert ledger.equipment_j == pytest.approx(expected_equipment)
    assert ledger.gains_j > 0 and ledger.loss_j > 0


def test_energy_meter_counts_input_power_and_the_fan_that_runs_with_equipment():
    house = House(small_house(), Weather.constant(0.0))
    run(house, 3600, {"heat": True})
    run(house, 1800, {"fan": True})
    run(house, 1800, {})
    used = house.energy_kwh()
    assert used["furnace"] == pytest.approx(5.3)
    assert used["air-conditioner"] == 0.0
    assert used["fan"] == pytest.approx(0.25 * 1.5)


# -- steady state ---------------------------------------------------------------


def series(a, b):
    return a * b / (a + b) if a + b else 0.0


def test_steady_state_of_two_coupled_rooms_matches_the_closed_form():
    outdoor, power, coupling = -5.0, 3000.0, 150.0
    living = quiet_room("living")
    bedroom = quiet_room("bedroom", air_mass_w_k=300.0, envelope_air_w_k=35.0,
                         envelope_mass_w_k=25.0)
    params = HouseParams(rooms=(living, bedroom),
                         couplings=(Coupling("living", "bedroom", coupling),),
                         equipment=(heater(power, "living"),), max_substep_s=600.0)
    house = House(params, Weather.constant(outdoor), initial_c=10.0)
    run(house, 40 * DAY, {"heat": True}, dt=600.0)

    # Each room loses G = U_air + (h in series with U_mass) to outdoors; the heated room
    # also feeds the other through the coupling K, which passes K·G_b/(K + G_b).
    g_living = living.envelope_air_w_k + series(living.air_mass_w_k, living.envelope_mass_w_k)
    g_bedroom = bedroom.envelope_air_w_k + series(bedroom.air_mass_w_k, bedroom.envelope_mass_w_k)
    rise_living = power / (g_living + series(coupling, g_bedroom))
    rise_bedroom = rise_living * coupling / (coupling + g_bedroom)
    rise_mass = rise_living * living.air_mass_w_k / (living.air_mass_w_k + living.envelope_mass_w_k)

    assert house.air_c("living") == pytest.approx(outdoor + rise_living, abs=1e-6)
    assert house.air_c("bedroom") == pytest.approx(outdoor + rise_bedroom, abs=1e-6)
    assert house.mass_c("living") == pytest.approx(outdoor + rise_mass, abs=1e-6)


@given(
    air=st.floats(1e4, 5e6), mass=st.floats(1e5, 5e7), air_mass=st.floats(0.0, 2000.0),
    envelope_air=st.floats(1.0, 300.0), envelope_mass=st.floats(0.0, 300.0),
    power=st.floats(-5000.0, 8000.0), outdoor=st.floats(-30.0, 40.0),
)
def test_one_room_settles_at_outdoor_plus_power_over_conductance(
        air, mass, air_mass, envelope_air, envelope_mass, power, outdoor):
    room = quiet_room("room", air_capacity_j_k=air, mass_capacity_j_k=mass,
                      air_mass_w_k=air_mass, envelope_air_w_k=envelope_air,
                      envelope_mass_w_k=envelope_mass)
    # One enormous implicit step lands on the fixed point of the network.
    params = HouseParams(rooms=(room,), equipment=(heater(power, "room"),), max_substep_s=1e15)
    house = House(params, Weather.constant(outdoor))
    house.step(1e15, {"heat": True})
    rise = power / (envelope_air + series(air_mass, envelope_mass))
    # An implicit step of length dt stops short of the fixed point by about C / (G dt) of the
    # start's distance from it: up to ~1e-6 K for a heavy mass on a weak link.
    assert house.air_c("room") == pytest.approx(outdoor + rise, rel=1e-6, abs=1e-5)


# -- dynamics -------------------------------------------------------------------


def single_node_house(capacity, conductance, power, sensors=()):
    """Air only: the mass is cut off, so the room is one RC with τ = C/UA."""
    room = quiet_room("room", air_capacity_j_k=capacity, air_mass_w_k=0.0,
                      envelope_air_w_k=conductance, envelope_mass_w_k=0.0)
    params = HouseParams(rooms=(room,), equipment=(heater(power, "room"),), sensors=sensors)
    return House(params, Weather.constant(0.0), initial_c=0.0)


@pytest.mark.parametrize("capacity, conductance", [(2.0e6, 200.0), (5.0e5, 50.0), (3.0e6, 120.0)])
def test_step_response_reaches_63_percent_at_the_time_constant(capacity, conductance):
    power = 1500.0
    final = power / conductance
    tau = capacity / conductance
    house = single_node_house(capacity, conductance, power)
    run(house, tau, {"heat": True})
    assert house.air_c("room") / final == pytest.approx(1 - math.exp(-1), abs=0.002)
    run(house, tau, {"heat": True})
    assert house.air_c("room") / final == pytest.approx(1 - math.exp(-2), abs=0.002)
    run(house, tau, {})
    cooled = (1 - math.exp(-2)) * math.exp(-1)
    assert house.air_c("room") / final == pytest.approx(cooled, abs=0.002)


def test_stiff_air_stays_stable_with_long_steps():
    house = single_node_house(1.0e3, 100.0, 1000.0)  # τ = 10 s, stepped by 60 s
    previous = 0.0
    for _ in range(100):
        house.step(60.0, {"heat": True})
        assert previous <= house.air_c("room") <= 10.0 + 1e-9
        previous = house.air_c("room")
    assert previous == pytest.approx(10.0)


def test_sensor_lags_the_air_as_a_first_order_filter():
    tau_air, tau_sensor = 10.0, 300.0
    sensor = Sensor("probe", "room", noise_sd_c=0.0, time_constant_s=tau_sensor)
    house = single_node_house(100.0 * tau_air, 100.0, 1000.0, sensors=(sensor,))
    for quarters in range(1, 4 * 1800 + 1):
        house.step(0.25, {"heat": True})
        elapsed = quarters / 4
        if quarters % 600 == 0:
            # The air rises as 1 − e^(−t/τa); through a filter τs that becomes:
            expected = 10.0 * (1 - (tau_sensor * math.exp(-elapsed / tau_sensor)
                                    - tau_air * math.exp(-elapsed / tau_air))
                               / (tau_sensor - tau_air))
            assert house.read("probe") == pytest.approx(expected, abs=0.01)
    assert house.read("probe") < house.air_c("room")
    run(house, 3600, {"heat": True})
    assert house.read("probe") == pytest.approx(house.air_c("room"), abs=1e-6)


def test_outdoor_sensor_follows_the_weather():
    params = HouseParams(rooms=(quiet_room("room"),),
                         sensors=(Sensor("out", OUTDOOR, noise_sd_c=0.0, time_constant_s=0.0),))
    house = House(params, load_weather("builtin"), start_s=10 * DAY)
    run(house, 5000, {}, dt=50.0)
    assert house.read("out") == pytest.approx(house.outdoor_c, abs=1e-9)


def test_cooling_lowers_the_temperature():
    weather = Weather.constant(32.0, ghi_w_m2=400.0)
    cooled = House(small_house(), weather, initial_c=26.0)
    idle = House(small_house(), weather, initial_c=26.0)
    run(cooled, 7200, {"cool": True})
    run(idle, 7200, {})
    for room in ("living", "bedroom"):
        assert cooled.air_c(room) < 24.0
        assert idle.air_c(room) > 26.0
    assert cooled.energy_kwh()["air-conditioner"] == pytest.approx(2.4)


def test_equipment_heats_only_the_rooms_it_serves_and_the_fan_mixes():
    living, bedroom = quiet_room("living"), quiet_room("bedroom")
    params = HouseParams(rooms=(living, bedroom), couplings=(Coupling("living", "bedroom", 50.0),),
                         equipment=(heater(4000.0, "living"),), fan=Fan(mixing_w_k=500.0))
    still = House(params, Weather.constant(0.0), initial_c=0.0)
    mixed = House(params, Weather.constant(0.0), initial_c=0.0)
    run(still, 4 * 3600, {"heat": True})
    run(mixed, 4 * 3600, {"heat": True, "fan": True})
    assert still.air_c("living") > still.air_c("bedroom") > 0.0
    gap_still = still.air_c("living") - still.air_c("bedroom")
    gap_mixed = mixed.air_c("living") - mixed.air_c("bedroom")
    assert gap_mixed < gap_still / 2
    assert mixed.energy_kwh()["fan"] == pytest.approx(1.0)


def test_sunshine_and_people_warm_the_house():
    room = quiet_room("room", window_area_m2=4.0,
                      internal_gains_w=[300.0 if 18 <= hour < 22 else 0.0 for hour in range(24)])
    params = HouseParams(rooms=(room,))
    dark = House(params, Weather.constant(0.0), initial_c=0.0)
    sunny = House(params, Weather.constant(0.0, ghi_w_m2=500.0), initial_c=0.0)
    run(dark, DAY, {}, dt=60.0)
    run(sunny, DAY, {}, dt=60.0)
    assert dark.ledger.gains_j == pytest.approx(300.0 * 4 * 3600)
    assert sunny.ledger.gains_j == pytest.approx(300.0 * 4 * 3600 + 500.0 * 4.0 * 0.4 * DAY)
    assert sunny.air_c("room") > dark.air_c("room") > 0.0


def test_people_warm_the_air_in_the_hours_of_the_profile():
    room = quiet_room("room", internal_gains_w=[500.0 if hour == 20 else 0.0 for hour in range(24)])
    house = House(HouseParams(rooms=(room,)), Weather.constant(10.0), initial_c=10.0)
    run(house, 20 * 3600, {}, dt=60.0)
    assert house.air_c("room") == pytest.approx(10.0)
    run(house, 3600, {}, dt=60.0)
    warmed = house.air_c("room")
    assert warmed > 10.5
    run(house, 3600, {}, dt=60.0)
    assert 10.0 < house.air_c("room") < warmed


# -- noise and determinism ------------------------------------------------------


def noisy_house(seed, noise_sd=0.3, offset=0.5):
    sensors = (Sensor("a", "room", noise_sd_c=noise_sd, offset_c=offset),
               Sensor("b", "room", noise_sd_c=noise_sd))
    return House(HouseParams(rooms=(quiet_room("room"),), sensors=sensors),
                 Weather.constant(20.0), initial_c=20.0, seed=seed)


def test_noise_has_the_parameterised_spread_around_the_biased_temperature():
    house = noisy_house(seed=7)
    readings = [house.read("a") for _ in range(20000)]
    assert statistics.fmean(readings) == pytest.approx(20.5, abs=4 * 0.3 / math.sqrt(20000))
    assert statistics.stdev(readings) == pytest.approx(0.3, rel=0.03)


def test_noise_is_reproducible_by_seed_and_independent_per_sensor():
    first, again, other = noisy_house(seed=7), noisy_house(seed=7), noisy_house(seed=8)
    sequence = [first.read("a") for _ in range(50)]
    for _ in range(13):
        again.read("b")  # reading one sensor leaves another's sequence alone
    assert [again.read("a") for _ in range(50)] == sequence
    assert [other.read("a") for _ in range(50)] != sequence


def test_same_seed_and_inputs_give_the_same_run():
    def trace(seed):
        house = House(small_house(), load_weather("builtin"), start_s=30 * DAY, seed=seed)
        readings, heating = [], False
        for _ in range(3000):
            value = house.read("sim-living")
            heating = value < (20.5 if heating else 20.0)
            house.step(10.0, {"heat": heating})
            readings.append(value)
        return readings, house.energy_kwh()

    assert trace(3) == trace(3)
    assert trace(3) != trace(4)


# -- interface ------------------------------------------------------------------


def test_outputs_that_switch_nothing_are_refused():
    house = House(small_house(), Weather.constant(0.0))
    with pytest.raises(ValueError, match="gpio17"):
        house.step(10.0, {"gpio17": True})
    house.step(10.0, {"gpio17": False, "heat": False})
    assert house.time_s == 10.0


def test_time_only_goes_forward_and_advance_to_reaches_the_time():
    house = House(small_house(), Weather.constant(0.0), start_s=100.0)
    house.advance_to(1000.0, {})
    assert house.time_s == pytest.approx(1000.0)
    with pytest.raises(ValueError):
        house.step(-1.0, {})


@pytest.mark.parametrize("change, message", [
    (dict(couplings=(Coupling("living", "attic", 10.0),)), "coupling"),
    (dict(equipment=(Equipment("x", "heat", 1.0, 1.0, rooms=(("living", 0.5),)),)), "add up to 1"),
    (dict(sensors=(Sensor("s", "attic"),)), "unknown room"),
    (dict(sensors=(Sensor("s", "living"), Sensor("s", "bedroom"))), "unique"),
    (dict(rooms=(quiet_room("living"), quiet_room("living"))), "unique"),
])
def test_inconsistent_parameters_are_refused(change, message):
    values = dict(rooms=(quiet_room("living"), quiet_room("bedroom")))
    values.update(change)
    with pytest.raises(ValueError, match=message):
        HouseParams(**values)


def test_the_default_house_has_rooms_sensors_and_a_heater_that_recovers_a_setback():
    params = small_house()
    assert len(params.rooms) >= 2
    assert {"heat", "cool", "fan"} <= params.outputs()
    house = House(params, Weather.constant(0.0), initial_c=15.0)
    run(house, 3600, {"heat": True})
    assert 2.0 < house.air_c("living") - 15.0 < 5.0
    assert set(house.sensor_ids) == {"sim-living", "sim-bedroom", "sim-outdoor"}
