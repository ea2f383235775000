"""The control-quality benchmark, short: it asserts properties of the runs, never timings.

One quick benchmark (the RC house, the built-in January, the daily schedule, 2 days of
warm-up and 3 evaluated) is shared by the tests of this module.
"""

import io
import json
import math

import pytest

from rpymostat.sim.quality import cli
from rpymostat.sim.quality.bench import benchmark
from rpymostat.sim.quality.houses import HouseError, house_class
from rpymostat.sim.quality.scenarios import CLIMATES, Scenario

CONTROLLERS = ("naive", "fixed-rate", "predictive", "oracle")
EARLY_STARTERS = ("fixed-rate", "predictive", "oracle")


@pytest.fixture(scope="module")
def results():
    scenario = Scenario(CLIMATES["builtin"], "daily", warmup_days=2, evaluation_days=3)
    found = benchmark(["rc"], [scenario], CONTROLLERS, oracle_iterations=3,
                      stream=io.StringIO())
    return {result.controller: result for result in found}


def evaluated(trace):
    return [i for i, t in enumerate(trace.time_s) if t >= trace.scenario.evaluation_start_s]


def band(setpoint):
    return setpoint, 24.0 if setpoint >= 21.0 else 30.0


def brute_discomfort(trace, tolerance):
    total = 0.0
    for i in evaluated(trace):
        low, high = band(trace.setpoint_c[i])
        if trace.indoor_c[i] < low - tolerance:
            total += (low - tolerance - trace.indoor_c[i]) * trace.step_s
        if trace.indoor_c[i] > high + tolerance:
            total += (trace.indoor_c[i] - high - tolerance) * trace.step_s
    return total / 3600


def brute_energy_cost_peak(trace):
    joules = cost = 0.0
    blocks = {}
    for i in evaluated(trace):
        joules += trace.power_w[i] * trace.step_s
        hour = (trace.time_s[i] % 86400) // 3600
        cost += trace.power_w[i] * trace.step_s / 3.6e6 * (0.12 if hour < 7 or hour >= 22 else 0.30)
        block = (trace.time_s[i] - trace.scenario.evaluation_start_s) // 900
        blocks.setdefault(block, []).append(trace.power_w[i])
    peak = max(sum(b) / len(b) for b in blocks.values() if len(b) * trace.step_s == 900)
    return joules / 3.6e6, cost, peak / 1000


def temperature_at(trace, t):
    """The logged temperature, linear between samples."""
    i = int((t - trace.time_s[0]) // trace.step_s)
    a = (t - trace.time_s[i]) / trace.step_s
    return trace.indoor_c[i] + a * (trace.indoor_c[i + 1] - trace.indoor_c[i])


def brute_lateness_min(trace, rise):
    """Second by second: the first second at or above the setpoint after a rise found cold,
    or the last second below it before a rise found warm."""
    t = rise.time_s
    if temperature_at(trace, t) < rise.to_c:
        while temperature_at(trace, t) < rise.to_c:
            t += 1
        return (t - rise.time_s) / 60
    while t > rise.previous_start_s and temperature_at(trace, t - 1) >= rise.to_c:
        t -= 1
    return 0.0 if t <= max(rise.previous_start_s, trace.time_s[0]) else (t - rise.time_s) / 60


def heat_edges(trace):
    """(start, stop) instants of each heating run that starts in the evaluation."""
    runs, start = [], None
    for i, on in enumerate(trace.heat):
        if on and start is None:
            start = trace.time_s[i]
        if not on and start is not None:
            runs.append((start, trace.time_s[i]))
            start = None
    return [(a, b) for a, b in runs if a >= trace.scenario.evaluation_start_s]


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_the_kpis_agree_with_a_brute_force_recomputation_from_the_trace(results, controller):
    result = results[controller]
    trace, kpis = result.trace, result.kpis
    assert kpis.discomfort_kh == pytest.approx(brute_discomfort(trace, 0.0), abs=1e-9)
    assert kpis.discomfort_tol_kh == pytest.approx(brute_discomfort(trace, 0.5), abs=1e-9)
    energy, cost, peak = brute_energy_cost_peak(trace)
    assert (kpis.energy_kwh, kpis.cost, kpis.peak_kw) == pytest.approx((energy, cost, peak))
    rises = [r for r in trace.schedule.rises
             if trace.scenario.evaluation_start_s <= r.time_s < trace.scenario.end_s]
    assert len(kpis.lateness_min) == len(rises) == 3
    for figure, rise in zip(kpis.lateness_min, rises):
        assert figure == pytest.approx(brute_lateness_min(trace, rise), abs=1 / 60 + 1e-9)
    starts = [a for a, _ in heat_edges(trace)]
    hours = (trace.scenario.end_s - trace.scenario.evaluation_start_s) / 3600
    assert kpis.cycles_per_hour_mean == pytest.approx(len(starts) / hours)
    windows = range(int(trace.scenario.evaluation_start_s), int(trace.scenario.end_s), 60)
    assert kpis.cycles_per_hour_max == max(sum(1 for s in starts if w <= s < w + 3600) for w in windows)


@pytest.mark.parametrize("controller", CONTROLLERS)
def test_no_guard_rule_is_broken(results, controller):
    result = results[controller]
    runs = heat_edges(result.trace)
    settings = result.trace.settings
    assert runs, "the quick run heats"
    assert all(b - a >= settings.min_run_s for a, b in runs)
    assert all(c - b >= settings.min_off_s for (_, b), (c, _) in zip(runs, runs[1:]))
    assert max(sum(1 for c, _ in runs if a <= c < a + 3600) for a, _ in runs) <= settings.max_starts_per_hour
    assert result.kpis.guard_violations == result.kpis.short_runs == 0


@pytest.mark.parametrize("controller", EARLY_STARTERS)
def test_an_early_start_is_no_later_than_naive_at_any_rise(results, controller):
    naive = results["naive"].kpis.lateness_min
    assert min(naive) > 20, "the naive controller is late on a January morning"
    assert all(late <= slow for late, slow in zip(results[controller].kpis.lateness_min, naive))


def test_the_oracle_arrives_on_time_and_spends_less_than_the_fixed_rate_start(results):
    oracle = results["oracle"].kpis
    assert all(-15 <= late <= 1 for late in oracle.lateness_min)
    assert oracle.energy_kwh <= results["fixed-rate"].kpis.energy_kwh
    assert oracle.discomfort_tol_kh < results["naive"].kpis.discomfort_tol_kh


class FirstOrderHouse:
    """A house of one time constant, to plug into the benchmark by module:Class."""

    def __init__(self, *, weather, start_s, step_s):
        self.time_s, self.indoor_c, self.outdoor_c, self.power_w = start_s, 16.0, 0.0, 0.0

    def step(self, dt_s, equipment):
        heat_w = 8000.0 if equipment.get("heat") else 0.0
        self.indoor_c += dt_s * ((self.outdoor_c - self.indoor_c) / 36_000 + heat_w / 1e7)
        self.time_s += dt_s
        self.power_w = heat_w

    def close(self):
        pass


def test_any_house_plugs_in_by_module_and_class(tmp_path, capsys):
    house = f"{__name__}:FirstOrderHouse"
    assert cli.main(["--quick", "--house", house, "--controller", "naive", "--no-plots",
                     "--out", str(tmp_path)]) == 0
    written = json.loads((tmp_path / "results.json").read_text())
    assert [(r["house"], r["controller"]) for r in written] == [(house, "naive")]
    assert written[0]["energy kWh"] > 0 and written[0]["guard violations"] == 0
    assert "FirstOrderHouse" in (tmp_path / "results.md").read_text()
    assert "naive" in capsys.readouterr().out


@pytest.mark.parametrize("spec, words", [
    ("nonesuch.module:House", "cannot import nonesuch.module"),
    ("rpymostat.sim.house:NoSuchHouse", "has no class NoSuchHouse"),
    ("no-colon", "expected module:Class"),
])
def test_a_house_that_names_nothing_is_refused_in_words(spec, words, tmp_path, capsys):
    with pytest.raises(HouseError, match=words):
        house_class(spec)
    assert cli.main(["--quick", "--house", spec, "--out", str(tmp_path)]) == 2
    assert words in capsys.readouterr().err


def test_the_plots_show_each_evaluated_day(results, tmp_path):
    from rpymostat.sim.quality.report import write

    paths = write(list(results.values()), tmp_path)
    png = tmp_path / "rc-builtin-daily.png"
    assert png in paths and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_energyplus_house_runs_in_lock_step():
    pytest.importorskip("pyenergyplus")
    from rpymostat.sim.quality.energyplus import EnergyPlusHouse

    house = EnergyPlusHouse(weather="usa_il_chicago", start_s=7 * 86400, step_s=60, days=2)
    try:
        start = house.indoor_c
        assert 15.0 <= start <= 17.5, "EnergyPlus's warm-up days ran at 16 °C"
        for _ in range(60):
            house.step(60, {"heat": True})
        heated = house.indoor_c
        assert heated > start + 1.0 and house.power_w == 10_000.0
        for _ in range(60):
            house.step(60, {"heat": False})
        assert house.indoor_c < heated and house.power_w == 0.0
        assert house.time_s == 7 * 86400 + 120 * 60
        assert math.isfinite(house.outdoor_c) and house.outdoor_c < 10
    finally:
        house.close()


def test_predictive_learns_the_house_from_the_runs_it_made():
    from rpymostat.sim.quality.houses import RCHouse
    from rpymostat.sim.quality.learning import PredictiveController
    from rpymostat.sim.quality.run import simulate

    controller = PredictiveController()
    assert not controller.model.heat.learned
    simulate(Scenario(CLIMATES["builtin"], "daily", warmup_days=2, evaluation_days=1), RCHouse, controller)
    heat = controller.model.heat
    assert heat.learned and len(heat.runs) >= 3
    assert 1.0 < heat.rate < 20.0, "the 10 kW furnace warms the house by a few K/h"
