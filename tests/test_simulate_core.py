"""The simulator's first-order house, made from a learned model, and its weather."""

import pytest

from rpymostat.core.control.decide import Equipment, FunctionState
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.simulate import DEFAULT_LOSS_PER_H, House, built_in_weather, replayed_weather

H = 3600.0


def heating(since=0.0):
    return Equipment(hub_start=-H, heat=FunctionState(on=True, on_since=since))


def test_the_house_heats_at_the_learned_rate_for_each_outdoor_temperature():
    learned = Rate("heat", 2.8, per_kelvin=-0.05, reference_difference=20.0, dead_time_s=600.0, learned=True)
    house = House.from_model(ZoneModel(learned, Rate("cool", 2.0)))
    assert house.loss_per_h == pytest.approx(0.05)
    for outdoor in (-10.0, 0.0, 10.0):
        step = house.step(20.0, outdoor, heating(), now=H, dt=60.0) - 20.0
        assert step * 60 == pytest.approx(learned.rate_at(20.0 - outdoor))
    # Within the dead time the heating has not begun to act: the house only loses.
    assert house.step(20.0, 0.0, heating(since=H - 300), now=H, dt=60.0) < 20.0


def test_a_model_without_a_slope_gets_the_default_loss():
    house = House.from_model(ZoneModel(Rate("heat", 3.0), Rate("cool", 2.0)))
    assert house.loss_per_h == DEFAULT_LOSS_PER_H
    assert house.heat_gain == pytest.approx(3.0 + DEFAULT_LOSS_PER_H * 20.0)
    idle = house.step(20.0, 0.0, Equipment(hub_start=0.0), now=0.0, dt=H)
    assert idle == pytest.approx(20.0 - DEFAULT_LOSS_PER_H * 20.0)


def test_weather_replayed_and_built_in():
    replay = replayed_weather([(1000.0, -5.0), (2800.0, -4.0), (4600.0, -3.0)], start=50_000.0)
    assert [replay(50_000.0 + t) for t in (0, 1799, 1800, 3600, 5399, 5400, 7200)] == [-5, -5, -4, -3, -3, -5, -4]
    day = built_in_weather(0.0)
    assert day(3 * H) == pytest.approx(-2.0) and day(15 * H) == pytest.approx(8.0)
