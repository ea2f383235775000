"""Aggregation plugins: which sensors count, which drop out and why, and the result."""

import pytest

from rpymostat.core.control.aggregation import Aggregate, Dropped, Maximum, Mean, Minimum, Single, WeightedMean
from rpymostat.core.readings import Reading
from rpymostat.core.target import SensorWeight
from rpymostat.runtime import plugins

NOW = 100_000.0
INTERVAL = 30.0


def fresh(value, age=10.0):
    return Reading(value, NOW - age)


def run(plugin, readings, weights=()):
    return plugin.aggregate(readings, tuple(weights), now=NOW, report_interval_s=INTERVAL)


ZONE = {
    "bedroom": fresh(18.0, age=20.0),
    "hall": fresh(20.0, age=5.0),
    "office": fresh(22.0, age=1.0),
}


@pytest.mark.parametrize("plugin, temperature", [
    (Mean(), 20.0), (Minimum(), 18.0), (Maximum(), 22.0), (WeightedMean(), 20.0), (Single(), 18.0),
])
def test_every_sensor_of_the_zone_when_the_target_names_none(plugin, temperature):
    result = run(plugin, ZONE)
    assert result.temperature == pytest.approx(temperature)
    if plugin.name != "single":
        assert result.used == ("bedroom", "hall", "office")
        assert result.dropped == ()
        assert result.time == NOW - 20.0


def test_weighted_mean_uses_the_weights():
    weights = [SensorWeight("bedroom", 3.0), SensorWeight("office", 1.0)]
    result = run(WeightedMean(), ZONE, weights)
    assert result.temperature == pytest.approx((3 * 18.0 + 22.0) / 4)
    assert result.used == ("bedroom", "office")


def test_weighted_mean_drops_a_zero_weight():
    weights = [SensorWeight("bedroom", 0.0), SensorWeight("office", 2.0)]
    result = run(WeightedMean(), ZONE, weights)
    assert result.temperature == 22.0
    assert result.dropped == (Dropped("bedroom", "zero_weight"),)


def test_mean_ignores_weights_and_unlisted_sensors():
    weights = [SensorWeight("hall", 9.0), SensorWeight("office", 1.0)]
    assert run(Mean(), ZONE, weights).temperature == 21.0


@pytest.mark.parametrize("bad, reason", [
    (Reading(85.0, NOW - 1), "power_on_reset"),
    (Reading(-127.0, NOW - 1), "sensor_error"),
    (Reading(float("nan"), NOW - 1), "nan"),
    (Reading(0.0, NOW - 1, crc_failure=True), "crc_failure"),
    (Reading(75.0, NOW - 1), "out_of_range"),
    (Reading(21.0, NOW - 3 * INTERVAL), "stale"),
    (Reading(21.0, NOW + 2 * INTERVAL), "future"),
    (None, "no_reading"),
])
@pytest.mark.parametrize("plugin", [Mean(), Minimum(), Maximum(), WeightedMean()])
def test_an_unusable_sensor_drops_out_with_its_reason(plugin, bad, reason):
    result = run(plugin, {**ZONE, "bedroom": bad})
    assert result.used == ("hall", "office")
    assert result.dropped == (Dropped("bedroom", reason),)
    assert result.temperature == {"mean": 21.0, "weighted_mean": 21.0, "min": 20.0, "max": 22.0}[plugin.name]


def test_a_sensor_named_by_the_target_but_unknown_drops_out():
    result = run(Mean(), ZONE, [SensorWeight("attic"), SensorWeight("hall")])
    assert result.temperature == 20.0
    assert result.dropped == (Dropped("attic", "no_reading"),)


@pytest.mark.parametrize("plugin", [Mean(), Minimum(), Maximum(), WeightedMean(), Single()])
def test_nothing_usable_means_no_temperature(plugin):
    readings = {"a": Reading(85.0, NOW), "b": Reading(20.0, NOW - 1000), "c": None}
    result = run(plugin, readings)
    assert result == Aggregate(None, None, (), (
        Dropped("a", "power_on_reset"), Dropped("b", "stale"), Dropped("c", "no_reading")))
    assert run(plugin, {}) == Aggregate(None, None)


def test_single_takes_the_first_usable_sensor_in_the_targets_order():
    weights = [SensorWeight("office"), SensorWeight("bedroom"), SensorWeight("hall")]
    result = run(Single(), ZONE, weights)
    assert result.temperature == 22.0
    assert result.used == ("office",)
    assert result.dropped == (Dropped("bedroom", "spare"), Dropped("hall", "spare"))


def test_single_falls_back_to_the_next_listed_sensor():
    readings = {**ZONE, "office": Reading(-127.0, NOW)}
    weights = [SensorWeight("office"), SensorWeight("hall"), SensorWeight("bedroom")]
    result = run(Single(), readings, weights)
    assert result.temperature == 20.0
    assert result.used == ("hall",)
    assert result.time == NOW - 5.0
    assert result.dropped == (Dropped("office", "sensor_error"), Dropped("bedroom", "spare"))


def test_to_json():
    result = run(Single(), {"a": fresh(21.0), "b": Reading(85.0, NOW)})
    assert result.to_json() == {
        "temperature": 21.0, "time": NOW - 10.0, "used": ["a"],
        "dropped": [{"sensor_id": "b", "reason": "power_on_reset"}],
    }


def test_entry_points_load_the_plugins():
    loaded = plugins.load_all("rpymostat.aggregation")
    assert sorted(loaded) == ["max", "mean", "min", "single", "weighted_mean"]
    for name, plugin in loaded.items():
        assert plugin.name == name
        assert plugin.settings_schema["type"] == "object"
