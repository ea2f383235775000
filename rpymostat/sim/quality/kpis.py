"""The figures of one run, over the evaluation period only (the warm-up is for learning).

BOPTEST's definitions (Blum et al. 2021): thermal discomfort in K·h is the integral of how
far the indoor temperature lies outside the comfort band (here with a tolerance of 0 and of
0.5 K); energy is the integral of the power drawn; cost is that energy priced by a
time-of-use tariff; peak demand is the largest 15-minute mean power. Beside them, what the
issue asks of an optimal start: how late (positive) or early (negative) each scheduled rise
reached its setpoint; how often the equipment starts; and whether the guard's rules held,
checked here from the trace and not by trusting the guard.
"""

from __future__ import annotations

from typing import Sequence

import attrs

from rpymostat.sim.quality.run import Trace
from rpymostat.sim.quality.scenarios import comfort_band
from rpymostat.sim.quality.schedule import Rise

HOUR_S = 3600.0
PEAK_WINDOW_S = 900.0
# Night tariff 00:00–07:00 and 22:00–24:00, day tariff otherwise, per kWh.
NIGHT_PRICE = 0.12
DAY_PRICE = 0.30
NIGHT_HOURS = frozenset(range(7)) | {22, 23}


def price_per_kwh(time_s: float) -> float:
    return NIGHT_PRICE if int(time_s // HOUR_S) % 24 in NIGHT_HOURS else DAY_PRICE


@attrs.frozen
class Kpis:
    discomfort_kh: float
    discomfort_tol_kh: float
    energy_kwh: float
    cost: float
    peak_kw: float
    lateness_min: tuple[float, ...]
    cycles_per_hour_mean: float
    cycles_per_hour_max: int
    short_runs: int
    guard_violations: int
    compute_us_mean: float
    compute_us_max: float

    @property
    def late_mean_min(self) -> float:
        return sum(self.lateness_min) / len(self.lateness_min) if self.lateness_min else 0.0

    @property
    def late_max_min(self) -> float:
        return max(self.lateness_min, default=0.0)


def _window(trace: Trace) -> range:
    """The indices of the evaluation period's steps."""
    first = round((trace.scenario.evaluation_start_s - trace.scenario.start_s) / trace.step_s)
    return range(first, len(trace.time_s))


def discomfort(trace: Trace, steps: range, tolerance_k: float) -> float:
    total = 0.0
    for i in steps:
        lower, upper = comfort_band(trace.setpoint_c[i])
        t = trace.indoor_c[i]
        total += max(0.0, lower - tolerance_k - t) + max(0.0, t - upper - tolerance_k)
    return total * trace.step_s / HOUR_S


def energy(trace: Trace, steps: range) -> tuple[float, float]:
    """Energy (kWh) and its cost."""
    kwh = cost = 0.0
    for i in steps:
        step_kwh = trace.power_w[i] * trace.step_s / 3.6e6
        kwh += step_kwh
        cost += step_kwh * price_per_kwh(trace.time_s[i])
    return kwh, cost


def peak_kw(trace: Trace, steps: range) -> float:
    """The largest mean power over the evaluation's 15-minute blocks (from its start)."""
    per_block = max(1, round(PEAK_WINDOW_S / trace.step_s))
    best = 0.0
    for first in range(steps.start, steps.stop - per_block + 1, per_block):
        block = trace.power_w[first:first + per_block]
        best = max(best, sum(block) / len(block))
    return best / 1000.0


def _crossing(trace: Trace, i: int, threshold: float) -> float:
    """When the temperature crossed ``threshold`` between samples i−1 and i (linear)."""
    t0, t1 = trace.indoor_c[i - 1], trace.indoor_c[i]
    fraction = 0.0 if t1 == t0 else (threshold - t0) / (t1 - t0)
    return trace.time_s[i - 1] + fraction * trace.step_s


def _index(trace: Trace, time_s: float) -> int:
    return round((time_s - trace.time_s[0]) / trace.step_s)


def lateness_s(trace: Trace, rise: Rise) -> float:
    """When the rise's setpoint was reached, relative to the rise: positive late, negative
    early (the last upward crossing since the segment before began); zero when the
    temperature never fell below it; the whole segment when it was never reached."""
    at = _index(trace, rise.time_s)
    if trace.indoor_c[at] < rise.to_c:
        last = min(_index(trace, rise.end_s), len(trace.time_s) - 1)
        for i in range(at + 1, last + 1):
            if trace.indoor_c[i] >= rise.to_c:
                return _crossing(trace, i, rise.to_c) - rise.time_s
        return rise.end_s - rise.time_s
    for i in range(at, max(_index(trace, rise.previous_start_s), 1) - 1, -1):
        if trace.indoor_c[i - 1] < rise.to_c:
            return _crossing(trace, i, rise.to_c) - rise.time_s
    return 0.0


def evaluated_rises(trace: Trace) -> list[Rise]:
    start, end = trace.scenario.evaluation_start_s, trace.scenario.end_s
    return [rise for rise in trace.schedule.rises if start <= rise.time_s < end]


def runs(heat: Sequence[bool], steps: range) -> list[tuple[int, int]]:
    """The heating runs as (first step, step after the last), those starting in ``steps``."""
    found = []
    i = steps.start
    while i < steps.stop:
        if heat[i] and (i == 0 or not heat[i - 1]):
            end = i
            while end < len(heat) and heat[end]:
                end += 1
            found.append((i, end))
            i = end
        else:
            i += 1
    return found


def _cycles(trace: Trace, found: list[tuple[int, int]], steps: range) -> tuple[float, int]:
    """Starts per hour over the evaluation, and the most in any hour (sliding)."""
    starts = [trace.time_s[first] for first, _ in found]
    hours = len(steps) * trace.step_s / HOUR_S
    most = 0
    for j, start in enumerate(starts):
        most = max(most, sum(1 for other in starts[j:] if other < start + HOUR_S))
    return len(starts) / hours, most


def _violations(trace: Trace, found: list[tuple[int, int]]) -> tuple[int, int]:
    """Runs shorter than the minimum run time (a run cut by the end of the trace is not), and
    all breaches of the guard's timing rules: short runs, short off times, too many starts."""
    s, dt = trace.settings, trace.step_s
    complete = [(a, b) for a, b in found if b < len(trace.heat)]
    short = sum(1 for a, b in complete if (b - a) * dt < s.min_run_s)
    short_off = sum(1 for (_, end), (start, _) in zip(found, found[1:]) if (start - end) * dt < s.min_off_s)
    starts = [a * dt for a, _ in found]
    crowded = sum(1 for j in range(len(starts))
                  if sum(1 for t in starts[j:] if t < starts[j] + HOUR_S) > s.max_starts_per_hour)
    return short, short + short_off + crowded


def kpis(trace: Trace) -> Kpis:
    steps = _window(trace)
    kwh, cost = energy(trace, steps)
    found = runs(trace.heat, steps)
    mean_cycles, max_cycles = _cycles(trace, found, steps)
    short, violations = _violations(trace, found)
    compute = [trace.compute_s[i] for i in steps]
    return Kpis(
        discomfort_kh=discomfort(trace, steps, 0.0),
        discomfort_tol_kh=discomfort(trace, steps, 0.5),
        energy_kwh=kwh,
        cost=cost,
        peak_kw=peak_kw(trace, steps),
        lateness_min=tuple(lateness_s(trace, rise) / 60.0 for rise in evaluated_rises(trace)),
        cycles_per_hour_mean=mean_cycles,
        cycles_per_hour_max=max_cycles,
        short_runs=short,
        guard_violations=violations,
        compute_us_mean=sum(compute) / len(compute) * 1e6,
        compute_us_max=max(compute) * 1e6,
    )
