"""The benchmark's output: a table on the terminal, the same as Markdown and JSON, and a
PNG per house and scenario with each day's temperatures, setpoint and heating."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from rpymostat.sim.quality.bench import Result
from rpymostat.sim.quality.scenarios import DAY_S

COLUMNS = (
    # header, format, value
    ("late mean min", "{:+.1f}", lambda k: k.late_mean_min),
    ("late max min", "{:+.1f}", lambda k: k.late_max_min),
    ("discomfort K·h", "{:.2f}", lambda k: k.discomfort_kh),
    ("discomf. 0.5K K·h", "{:.2f}", lambda k: k.discomfort_tol_kh),
    ("energy kWh", "{:.1f}", lambda k: k.energy_kwh),
    ("cost", "{:.2f}", lambda k: k.cost),
    ("peak kW", "{:.2f}", lambda k: k.peak_kw),
    ("cycles/h mean", "{:.2f}", lambda k: k.cycles_per_hour_mean),
    ("cycles/h max", "{:d}", lambda k: k.cycles_per_hour_max),
    ("short runs", "{:d}", lambda k: k.short_runs),
    ("guard violations", "{:d}", lambda k: k.guard_violations),
    ("µs/tick", "{:.0f}", lambda k: k.compute_us_mean),
)


def _rows(results: Sequence[Result]) -> list[list[str]]:
    return [[result.house, result.scenario.name, result.controller]
            + [form.format(value(result.kpis)) for _, form, value in COLUMNS] for result in results]


def table(results: Sequence[Result]) -> str:
    headers = ["house", "scenario", "controller"] + [header for header, _, _ in COLUMNS]
    rows = _rows(results)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    lines = ["  ".join(cell.rjust(width) if i > 2 else cell.ljust(width)
                       for i, (cell, width) in enumerate(zip(row, widths)))
             for row in [headers] + rows]
    return "\n".join(lines)


def markdown(results: Sequence[Result]) -> str:
    headers = ["house", "scenario", "controller"] + [header for header, _, _ in COLUMNS]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * 3 + "---:|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(results)]
    return "\n".join(lines) + "\n"


def as_json(results: Sequence[Result]) -> list[dict[str, Any]]:
    return [{"house": r.house, "scenario": r.scenario.name, "controller": r.controller,
             "lateness_min": list(r.kpis.lateness_min),
             **{header: value(r.kpis) for header, _, value in COLUMNS}} for r in results]


def write(results: Sequence[Result], folder: Path, plots: bool = True) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "results.md", folder / "results.json"]
    written[0].write_text(markdown(results))
    written[1].write_text(json.dumps(as_json(results), indent=1, ensure_ascii=False) + "\n")
    if plots:
        groups: dict[tuple[str, str], list[Result]] = {}
        for result in results:
            groups.setdefault((result.house, result.scenario.name), []).append(result)
        for (house, scenario), group in groups.items():
            written.append(plot(group, folder / f"{house.replace(':', '-')}-{scenario}.png"))
    return written


def plot(results: Sequence[Result], path: Path) -> Path:
    """One panel per evaluated day: each controller's indoor temperature and, below it, a bar
    where it heated; the scheduled setpoint in black."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    first = results[0]
    scenario = first.scenario
    days = scenario.evaluation_days
    columns = 2
    rows = (days + columns - 1) // columns
    figure, axes = pyplot.subplots(rows, columns, figsize=(14, 2.2 * rows), sharey=True, squeeze=False)
    for day in range(days):
        ax = axes[day // columns][day % columns]
        start = scenario.evaluation_start_s + day * DAY_S
        _day_panel(ax, results, start)
        ax.set_title(f"day {day + 1}", fontsize=8, loc="left")
    for extra in range(days, rows * columns):
        axes[extra // columns][extra % columns].axis("off")
    axes[0][0].legend(fontsize=7, loc="upper left", ncol=len(results) + 1)
    figure.suptitle(f"{first.house} · {scenario.name}: indoor °C by hour (bars: heating)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    pyplot.close(figure)
    return path


def _day_panel(ax: Any, results: Sequence[Result], start: float) -> None:
    trace = results[0].trace
    first = round((start - trace.time_s[0]) / trace.step_s)
    last = first + round(DAY_S / trace.step_s)
    hours = [(t - start) / 3600.0 for t in trace.time_s[first:last]]
    ax.step(hours, trace.setpoint_c[first:last], where="post", color="black", linewidth=1, label="setpoint")
    for k, result in enumerate(results):
        series = result.trace
        line = ax.plot(hours, series.indoor_c[first:last], linewidth=0.9, label=result.controller)[0]
        heating = [10.0 - 0.8 * k if on else float("nan") for on in series.heat[first:last]]
        ax.plot(hours, heating, color=line.get_color(), linewidth=3)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_ylim(6, 25)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
