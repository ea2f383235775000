"""How long the simulated house takes to run a week at 10 s steps.

The baseline is the cheapest loop that still does something per step (one room, one
node, explicit update), measured in the same run, so the figures compare across machines.
Run: ``python bench/sim.py [weather]``.
"""

from __future__ import annotations

import sys
import time

from rpymostat.sim.house import House, small_house
from rpymostat.sim.weather import load_weather

STEP_S = 10.0
WEEK_S = 7 * 86400.0
STEPS = int(WEEK_S / STEP_S)
START_S = 14 * 86400.0  # mid January


def house_week(weather_name: str) -> tuple[float, dict[str, float], float]:
    """A week under a simple hysteresis thermostat reading both room sensors."""
    house = House(small_house(), load_weather(weather_name), start_s=START_S, initial_c=19.0)
    heating = False
    began = time.perf_counter()
    for _ in range(STEPS):
        temperature = (house.read("sim-living") + house.read("sim-bedroom")) / 2
        heating = temperature < (20.5 if heating else 20.0)
        house.step(STEP_S, {"heat": heating})
    return time.perf_counter() - began, house.energy_kwh(), house.air_c("living")


def baseline_week() -> float:
    temperature, outdoor, rate = 19.0, -5.0, STEP_S / 36000.0
    heating = False
    began = time.perf_counter()
    for _ in range(STEPS):
        heating = temperature < (20.5 if heating else 20.0)
        temperature += rate * (outdoor - temperature) + (0.02 if heating else 0.0)
    return time.perf_counter() - began


def main(argv: list[str]) -> None:
    weather_name = argv[1] if len(argv) > 1 else "builtin"
    baseline = min(baseline_week() for _ in range(3))
    elapsed, energy, living = min(house_week(weather_name) for _ in range(3))
    print(f"simulated week at {STEP_S:g} s steps ({STEPS} steps, "
          f"weather {weather_name!r}), best of 3")
    print(f"  house model: {elapsed:.3f} s  ({elapsed / STEPS * 1e6:.1f} µs/step, "
          f"{WEEK_S / elapsed:,.0f}× real time)")
    print(f"  baseline   : {baseline:.4f} s  ({baseline / STEPS * 1e6:.2f} µs/step)")
    print(f"  ratio      : {elapsed / baseline:.0f}× the baseline loop")
    print(f"  end state  : living {living:.1f} °C, "
          + ", ".join(f"{name} {kwh:.1f} kWh" for name, kwh in energy.items()))


if __name__ == "__main__":
    main(sys.argv)
