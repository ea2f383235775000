import gzip
import statistics
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpymostat.sim import make_weather
from rpymostat.sim.weather import (
    BUILTIN_FILE,
    Series,
    WeatherError,
    load_weather,
    read_epw,
    weather_names,
)

HOUR = 3600.0
YEAR = 8760 * HOUR

try:
    from pyenergyplus import dataset as energyplus_dataset
except ImportError:
    energyplus_dataset = None

needs_energyplus = pytest.mark.skipif(
    energyplus_dataset is None,
    reason="pyenergyplus-lbnl (the 'energyplus' extra) is not installed")


def test_series_passes_through_its_samples_and_is_linear_between():
    series = Series(start_s=100.0, step_s=10.0, values=(0.0, 4.0, -2.0))
    assert series.at(100.0) == 0.0
    assert series.at(110.0) == 4.0
    assert series.at(105.0) == pytest.approx(2.0)
    assert series.at(117.5) == pytest.approx(-0.5)
    assert series.at(125.0) == pytest.approx(-1.0)  # back towards the first sample


@given(time=st.floats(-1e9, 1e9), years=st.integers(-5, 5))
def test_series_repeats_every_period(time, years):
    series = Series(start_s=HOUR, step_s=HOUR, values=(1.0, 5.0, 2.0, -3.0))
    assert series.at(time + years * 4 * HOUR) == pytest.approx(series.at(time), abs=1e-6)
    assert -3.0 <= series.at(time) <= 5.0


def test_builtin_weather_is_a_cold_climate_year():
    weather = load_weather("builtin")
    assert len(weather.dry_bulb_c.values) == 8760
    january = [weather.outdoor_c(t * HOUR) for t in range(31 * 24)]
    july = [weather.outdoor_c(t * HOUR) for t in range(181 * 24, 212 * 24)]
    assert statistics.fmean(january) < 0.0 < 20.0 < statistics.fmean(july)
    assert min(january) < -10.0
    noon, midnight = 180 * 24 * HOUR + 12 * HOUR, 180 * 24 * HOUR
    assert weather.ghi(noon) > 200.0
    assert weather.ghi(midnight) == 0.0
    # Between hourly samples the value is interpolated, not held.
    between = weather.outdoor_c(10.5 * HOUR)
    ends = weather.outdoor_c(10 * HOUR), weather.outdoor_c(11 * HOUR)
    assert between == pytest.approx(sum(ends) / 2)


def test_shipped_builtin_weather_is_what_the_generator_makes():
    shipped = resources.files("rpymostat.sim").joinpath("data", BUILTIN_FILE).read_bytes()
    assert len(shipped) < 300_000
    assert gzip.decompress(shipped).decode("ascii") == make_weather.render(make_weather.generate())


def test_generator_depends_on_its_seed():
    assert make_weather.generate(1)[:48] != make_weather.generate(2)[:48]


def test_unknown_weather_names_are_refused_with_the_choices():
    with pytest.raises(WeatherError, match="builtin"):
        load_weather("atlantis")
    assert weather_names()[0] == "builtin"


EPW_HEADER = """LOCATION,Testville,XX,USA,TMY3,000000,42.0,-88.0,-6.0,200.0
DESIGN CONDITIONS,0
TYPICAL/EXTREME PERIODS,0
GROUND TEMPERATURES,0
HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0
COMMENTS 1,made for a test
COMMENTS 2,
DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31
"""


def epw_row(hour, dry_bulb, ghi):
    fields = ["1990", "1", "1", str(hour), "0", "?9?9?9?9E0", f"{dry_bulb}", "-5.0", "80",
              "99000", "0", "0", "250", f"{ghi}", "0", "0"]
    return ",".join(fields + ["0"] * 19)


def test_epw_reader_places_temperatures_at_the_hour_end_and_radiation_mid_hour(tmp_path):
    path = tmp_path / "test.epw"
    rows = [epw_row(1, -10.0, 0), epw_row(2, -8.0, 100), epw_row(3, -4.0, 300)]
    path.write_text(EPW_HEADER + "\n".join(rows) + "\n", encoding="latin-1")
    weather = read_epw(path)
    assert weather.name == "test"
    assert weather.outdoor_c(1 * HOUR) == -10.0
    assert weather.outdoor_c(2.5 * HOUR) == pytest.approx(-6.0)
    assert weather.ghi(1.5 * HOUR) == 100.0
    assert weather.ghi(2.0 * HOUR) == pytest.approx(200.0)


def test_epw_reader_refuses_missing_values(tmp_path):
    path = tmp_path / "gap.epw"
    path.write_text(EPW_HEADER + epw_row(1, 99.9, 0) + "\n", encoding="latin-1")
    with pytest.raises(WeatherError, match="missing"):
        read_epw(path)


@needs_energyplus
@pytest.mark.parametrize("name", ["usa_il_chicago", "usa_co_denver"])
def test_energyplus_tmy3_weather_loads_by_name(name):
    assert name in weather_names()
    weather = load_weather(name)
    assert weather.name == name
    assert len(weather.dry_bulb_c.values) == 8760
    january = [weather.outdoor_c(t * HOUR) for t in range(31 * 24)]
    july = [weather.outdoor_c(t * HOUR) for t in range(181 * 24, 212 * 24)]
    assert statistics.fmean(january) < 5.0 < 18.0 < statistics.fmean(july)
    assert max(weather.ghi(t * HOUR) for t in range(180 * 24, 181 * 24)) > 500.0
    assert weather.outdoor_c(YEAR + 5 * HOUR) == pytest.approx(weather.outdoor_c(5 * HOUR))


@needs_energyplus
def test_chicago_first_reading_is_the_files_first_row():
    path = energyplus_dataset.weather_files["usa_il_chicago"]
    with open(path, encoding="latin-1") as handle:
        first = handle.read().splitlines()[8].split(",")
    assert load_weather("usa_il_chicago").outdoor_c(HOUR) == float(first[6])
