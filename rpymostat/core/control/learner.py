"""The learner: how fast a zone heats or cools, from its recorded runs (DESIGN §6).

Per zone and mode (``heat``, ``cool``) it fits the rate of temperature change while the
equipment runs, in K/h in the mode's direction (a rise for heat, a fall for cool), as a
straight line in the indoor − outdoor difference, plus the dead time between a start and
the first change. A house loses heat in proportion to that difference, so a line is the
first-order (RC) picture the predictive plugin and the simulator need, and little data
fixes it.

Both fits are Theil–Sen (medians of pairwise slopes): a run with the window open or the
door to the garden left ajar is one wrong point among many, and a median does not move
for it, where a least-squares line would. Each run is first reduced to one point (its
own Theil–Sen slope over its samples, its mean difference, its dead time), so a long run
weighs no more than a short one.

Until ``min_runs`` usable runs exist the model is the configured default rate with
confidence 0. Confidence grows with the number of runs (full at ``FULL_CONFIDENCE_RUNS``)
and falls with their scatter about the line (a robust spread, relative to the rate).
"""

from __future__ import annotations

import statistics
from typing import Any, Mapping, Optional, Sequence

import attrs

MODES = ("heat", "cool")
SIGN = {"heat": 1.0, "cool": -1.0}
MIN_RUN_S = 600.0  # a shorter run is mostly dead time and says little about the rate
MIN_POINTS = 3
MIN_SPREAD_K = 2.0  # indoor − outdoor differences must spread this much before a slope is fitted
FULL_CONFIDENCE_RUNS = 10
MAD_TO_SIGMA = 1.4826
OUTLIER_SIGMAS = 3.0
LEARN_RUNS = 200  # the newest runs the learner reads: a house changes over the years
MAX_POINTS = 60  # samples of one run fitted (evenly thinned): bounds the pairwise fit's cost


@attrs.frozen
class Sample:
    time: float
    temperature: Optional[float]
    outdoor: Optional[float] = None


@attrs.frozen
class Run:
    """A recorded run as the learner reads it: the start is the first sample."""

    id: int
    kind: str
    start: float
    end: Optional[float]
    samples: tuple[Sample, ...]


def run_from_json(row: Mapping[str, Any]) -> Run:
    """A run as ``GET /v1/runs`` and the runs store give it (times in POSIX seconds)."""
    first = Sample(row["start"], row.get("start_temperature"), row.get("start_outdoor"))
    samples = tuple(Sample(s["time"], s.get("temperature"), s.get("outdoor")) for s in row.get("samples", ()))
    return Run(row["id"], row["kind"], row["start"], row.get("end"), (first,) + samples)


@attrs.frozen
class RunFit:
    """One run reduced to a point: its rate (K/h in the mode's direction), its mean indoor
    − outdoor difference (None with no outdoor temperature) and its dead time."""

    run_id: int
    rate: float
    difference: Optional[float]
    dead_time_s: float
    kind: str = "heat"


@attrs.frozen
class Rate:
    """One mode's model: ``rate_at(d) = rate + per_kelvin · (d − reference_difference)``.

    ``learned`` is False while the default stands in; ``runs`` are the ids of the runs it
    came from and ``outliers`` those it found far off its line (kept in the fit, where the
    median makes them harmless, and listed so people can see what was odd)."""

    mode: str
    rate: float
    per_kelvin: float = 0.0
    reference_difference: Optional[float] = None
    dead_time_s: float = 0.0
    confidence: float = 0.0
    learned: bool = False
    runs: tuple[int, ...] = ()
    outliers: tuple[int, ...] = ()

    def rate_at(self, difference: Optional[float]) -> float:
        """K/h at an indoor − outdoor ``difference`` (the reference rate when unknown)."""
        if difference is None or self.reference_difference is None:
            return self.rate
        return self.rate + self.per_kelvin * (difference - self.reference_difference)

    def to_json(self) -> dict[str, Any]:
        return {"mode": self.mode, "rate_k_per_h": round(self.rate, 3), "per_kelvin": round(self.per_kelvin, 4),
                "reference_difference": None if self.reference_difference is None
                else round(self.reference_difference, 2),
                "dead_time_s": round(self.dead_time_s, 1), "confidence": round(self.confidence, 3),
                "learned": self.learned, "runs": list(self.runs), "outliers": list(self.outliers)}


@attrs.frozen
class ZoneModel:
    heat: Rate
    cool: Rate

    def for_mode(self, mode: str) -> Rate:
        return self.heat if mode == "heat" else self.cool

    def to_json(self) -> dict[str, Any]:
        return {"heat": self.heat.to_json(), "cool": self.cool.to_json()}


def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> Optional[tuple[float, float]]:
    """The median of the pairwise slopes and the median intercept; None when every x is the same."""
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i])
              for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[j] != xs[i]]
    if not slopes:
        return None
    slope = statistics.median(slopes)
    return slope, statistics.median(y - slope * x for x, y in zip(xs, ys))


def _points(run: Run) -> list[Sample]:
    end = run.end if run.end is not None else float("inf")
    points = [s for s in run.samples if s.temperature is not None and run.start <= s.time <= end]
    if len(points) <= MAX_POINTS:
        return points
    step = (len(points) - 1) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS)]


def measure(run: Run) -> Optional[RunFit]:
    """The run's own rate, difference and dead time; None for a run too short or too
    sparsely sampled to say, or still going."""
    points = _points(run)
    if run.end is None or run.end - run.start < MIN_RUN_S or len(points) < MIN_POINTS:
        return None
    times = [s.time - run.start for s in points]
    temperatures = [float(s.temperature) for s in points if s.temperature is not None]
    line = theil_sen(times, temperatures)
    if line is None:
        return None
    slope, intercept = line
    sign = SIGN[run.kind]
    dead = 0.0
    if slope * sign > 0:
        dead = min(max((temperatures[0] - intercept) / slope, 0.0), run.end - run.start)
    outdoors = [s.outdoor for s in points if s.outdoor is not None]
    difference = None
    if outdoors:
        outdoor = statistics.median(outdoors)
        difference = statistics.fmean(temperatures) - outdoor
    return RunFit(run.id, sign * slope * 3600.0, difference, dead, run.kind)


def _line(fits: Sequence[RunFit]) -> tuple[float, float, Optional[float]]:
    """(rate at the reference, per_kelvin, reference difference)."""
    known = [f for f in fits if f.difference is not None]
    differences = [float(f.difference) for f in known if f.difference is not None]
    if len(known) >= len(fits) / 2 and differences and max(differences) - min(differences) >= MIN_SPREAD_K:
        reference = statistics.median(differences)
        line = theil_sen([d - reference for d in differences], [f.rate for f in known])
        if line is not None:
            return line[1], line[0], reference
    reference_or_none = statistics.median(differences) if differences else None
    return statistics.median(f.rate for f in fits), 0.0, reference_or_none


def fit(runs: Sequence[Run], mode: str, default_rate: float, min_runs: int = 3) -> Rate:
    """The mode's model from the runs of that mode (the others are ignored)."""
    return fit_measured([measure(r) for r in runs[-LEARN_RUNS:]], mode, default_rate, min_runs)


def fit_measured(measured: Sequence[Optional[RunFit]], mode: str, default_rate: float, min_runs: int = 3) -> Rate:
    """``fit`` from runs already measured (None: a run that could not be), so that a caller
    which keeps each run's measure measures it once."""
    fits = [f for f in measured if f is not None and f.kind == mode]
    ids = tuple(f.run_id for f in fits)
    if len(fits) < max(min_runs, 1):
        return Rate(mode, default_rate, runs=ids)
    rate, per_kelvin, reference = _line(fits)
    model = Rate(mode, rate, per_kelvin, reference)
    residuals = [f.rate - model.rate_at(f.difference) for f in fits]
    sigma = MAD_TO_SIGMA * statistics.median(abs(r) for r in residuals)
    scatter = sigma / max(abs(rate), 0.1)
    confidence = min(1.0, len(fits) / FULL_CONFIDENCE_RUNS) * max(0.0, 1.0 - scatter)
    limit = OUTLIER_SIGMAS * sigma + 0.05 * abs(rate)
    outliers = tuple(f.run_id for f, r in zip(fits, residuals) if abs(r) > limit)
    if rate <= 0:  # equipment that never moved the temperature: keep the default, say nothing learned
        return Rate(mode, default_rate, runs=ids, outliers=outliers)
    return attrs.evolve(model, dead_time_s=statistics.median(f.dead_time_s for f in fits),
                        confidence=confidence, learned=True, runs=ids, outliers=outliers)


def fit_zone(runs: Sequence[Run], default_heat_rate: float, default_cool_rate: float,
             min_runs: int = 3) -> ZoneModel:
    return fit_zone_measured([measure(r) for r in runs[-LEARN_RUNS:]], default_heat_rate, default_cool_rate,
                             min_runs)


def fit_zone_measured(measured: Sequence[Optional[RunFit]], default_heat_rate: float, default_cool_rate: float,
                      min_runs: int = 3) -> ZoneModel:
    return ZoneModel(fit_measured(measured, "heat", default_heat_rate, min_runs),
                     fit_measured(measured, "cool", default_cool_rate, min_runs))


def default_model(default_heat_rate: float, default_cool_rate: float) -> ZoneModel:
    return ZoneModel(Rate("heat", default_heat_rate), Rate("cool", default_cool_rate))
