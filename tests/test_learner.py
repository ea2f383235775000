"""The learner on synthetic runs whose rates are known."""

import random

import pytest

from rpymostat.core.control.learner import (
    Rate,
    Run,
    Sample,
    fit,
    fit_zone,
    measure,
    run_from_json,
    theil_sen,
)

TRUE_RATE_AT_20K = 2.8  # K/h heating when indoor − outdoor is 20 K
PER_KELVIN = -0.05  # the house loses more as the difference grows
DEAD_S = 420.0


def true_rate(difference):
    return TRUE_RATE_AT_20K + PER_KELVIN * (difference - 20.0)


def synthetic_run(run_id, outdoor, start_temperature=16.0, minutes=90, every=5, noise=0.0, rate=None,
                  kind="heat", rng=None):
    """A run that stays flat for the dead time, then changes at the house's rate for the
    run's mean difference (fixed by iterating once on the mean indoor temperature)."""
    sign = 1.0 if kind == "heat" else -1.0
    mean_indoor = start_temperature
    for _ in range(3):
        k_per_h = true_rate(mean_indoor - outdoor) if rate is None else rate
        temps = [start_temperature + sign * max(0.0, t * 60 - DEAD_S) / 3600 * k_per_h
                 for t in range(0, minutes + 1, every)]
        mean_indoor = sum(temps) / len(temps)
    rng = rng or random.Random(run_id)
    start = run_id * 86_400.0
    samples = tuple(Sample(start + t * 60, temp + rng.gauss(0, noise), outdoor)
                    for t, temp in zip(range(0, minutes + 1, every), temps))
    return Run(run_id, kind, start, start + minutes * 60, samples)


def house_runs(count=12, noise=0.02):
    outdoors = [-10 + 15 * i / (count - 1) for i in range(count)]
    return [synthetic_run(i + 1, outdoor, noise=noise) for i, outdoor in enumerate(outdoors)]


def test_theil_sen_ignores_a_wild_point():
    xs = [0, 1, 2, 3, 4, 5, 6]
    ys = [1, 3, 5, 7, 100, 11, 13]
    assert theil_sen(xs, ys) == pytest.approx((2.0, 1.0))
    assert theil_sen([1, 1], [2, 3]) is None


def test_one_run_gives_its_rate_and_dead_time():
    found = measure(synthetic_run(1, outdoor=0.0, rate=3.0))
    assert found.rate == pytest.approx(3.0, rel=0.02)
    assert found.dead_time_s == pytest.approx(DEAD_S, abs=60)
    assert found.difference == pytest.approx(found.difference)


def test_recovers_the_rate_and_its_dependence_on_outdoor_within_10_percent():
    model = fit(house_runs(), "heat", default_rate=3.0)
    assert model.learned
    for difference in (15.0, 20.0, 25.0):
        assert model.rate_at(difference) == pytest.approx(true_rate(difference), rel=0.10)
    assert model.per_kelvin == pytest.approx(PER_KELVIN, rel=0.10)
    assert model.dead_time_s == pytest.approx(DEAD_S, rel=0.10)
    assert model.confidence > 0.8
    assert len(model.runs) == 12


def test_an_open_window_run_moves_the_model_by_at_most_5_percent():
    runs = house_runs()
    clean = fit(runs, "heat", default_rate=3.0)
    window = synthetic_run(99, outdoor=0.0, rate=0.3)  # the window was open: hardly warmed
    spoiled = fit(runs + [window], "heat", default_rate=3.0)
    for difference in (15.0, 20.0, 25.0):
        assert spoiled.rate_at(difference) == pytest.approx(clean.rate_at(difference), rel=0.05)
    assert 99 in spoiled.outliers
    assert spoiled.dead_time_s == pytest.approx(clean.dead_time_s, rel=0.05)


def test_default_until_enough_runs_then_confidence_grows():
    runs = house_runs()
    few = fit(runs[:2], "heat", default_rate=3.0, min_runs=3)
    assert (few.rate, few.learned, few.confidence) == (3.0, False, 0.0)
    assert few.runs == (1, 2)
    some = fit(runs[:4], "heat", default_rate=3.0, min_runs=3)
    assert some.learned and 0 < some.confidence < fit(runs, "heat", 3.0).confidence


def test_noisy_runs_give_less_confidence():
    rng = random.Random(7)
    quiet = fit(house_runs(noise=0.01), "heat", 3.0)
    noisy = fit([synthetic_run(i, -5 + i, noise=0.0, rate=2.8 * rng.uniform(0.5, 1.5)) for i in range(1, 13)],
                "heat", 3.0)
    assert noisy.confidence < quiet.confidence


def test_cooling_is_learned_apart_and_as_a_fall():
    runs = house_runs() + [synthetic_run(100 + i, 30.0, start_temperature=27.0, rate=1.5, kind="cool")
                           for i in range(5)]
    model = fit_zone(runs, 3.0, 2.0)
    assert model.cool.rate == pytest.approx(1.5, rel=0.05) and model.cool.learned
    assert len(model.cool.runs) == 5 and len(model.heat.runs) == 12


def test_short_open_and_sparse_runs_are_not_used():
    good = synthetic_run(1, 0.0, rate=3.0)
    short = synthetic_run(2, 0.0, minutes=5, rate=3.0)
    going = Run(3, "heat", good.start, None, good.samples)
    sparse = Run(4, "heat", good.start, good.end, good.samples[:2])
    assert [measure(r) is None for r in (good, short, going, sparse)] == [False, True, True, True]


def test_runs_as_the_api_gives_them():
    row = {"id": 5, "zone_id": 1, "kind": "heat", "start": 0.0, "end": 3600.0, "start_temperature": 17.0,
           "start_outdoor": 2.0, "samples": [{"time": 600.0 * i, "temperature": 17 + 0.5 * i, "outdoor": 2.0,
                                              "sensors": {}} for i in range(1, 7)]}
    found = measure(run_from_json(row))
    assert found.rate == pytest.approx(3.0) and found.run_id == 5


def test_a_model_that_would_not_heat_keeps_the_default():
    runs = [synthetic_run(i, 0.0, rate=0.0) for i in range(1, 6)]
    model = fit(runs, "heat", 3.0)
    assert model == Rate("heat", 3.0, runs=model.runs, outliers=model.outliers)
