"""Make the builtin weather: a synthetic year for a cold-climate city near 42° N.

Run ``python -m rpymostat.sim.make_weather`` to rewrite ``data/builtin_weather.csv.gz``.
The output depends only on the constants below and the seed, so the shipped file can be
checked against a fresh run (a test does).

The model is simple on purpose, but has what a thermostat notices: a seasonal swing
(about −4 °C mean in late January, 24 °C in late July, like Chicago), a daily swing that
is larger on clear days, multi-day warm and cold spells (a slowly varying random anomaly,
wider in winter), and sunshine from the sun's elevation dimmed by a day-to-day cloudiness.
"""

from __future__ import annotations

import gzip
import math
import random
import sys
from pathlib import Path

LATITUDE_DEG = 42.0
ANNUAL_MEAN_C = 10.0
SEASONAL_AMPLITUDE_C = 14.0
COLDEST_DAY = 20
DAILY_AMPLITUDE_C = (2.0, 5.0)  # overcast, clear
WARMEST_HOUR = 15.0
SPELL_HOURS = 72.0
SPELL_SD_C = (3.0, 5.5)  # summer, winter
CLOUD_DAYS = 2.0
SEED = 20_170_101
HOURS = 8760

OUTPUT = Path(__file__).parent / "data" / "builtin_weather.csv.gz"


def clear_sky_ghi(day: int, hour: float) -> float:
    """Haurwitz's clear-sky irradiance (W/m²) with solar time taken as clock time."""
    declination = math.radians(23.45) * math.sin(2 * math.pi * (284 + day + 1) / 365)
    hour_angle = math.radians(15.0 * (hour - 12.0))
    latitude = math.radians(LATITUDE_DEG)
    sin_elevation = (math.sin(latitude) * math.sin(declination)
                     + math.cos(latitude) * math.cos(declination) * math.cos(hour_angle))
    if sin_elevation <= 0.01:
        return 0.0
    return 1098.0 * sin_elevation * math.exp(-0.057 / sin_elevation)


def generate(seed: int = SEED) -> list[tuple[int, float, float]]:
    """(hour, dry bulb °C, GHI W/m²) for each hour of a 365-day year."""
    rng = random.Random(seed)
    spell_keep = math.exp(-1.0 / SPELL_HOURS)
    cloud_keep = math.exp(-1.0 / (24.0 * CLOUD_DAYS))
    spell = 0.0
    cloud = 0.0
    rows = []
    for hour in range(HOURS):
        day, hour_of_day = divmod(hour, 24)
        season = math.cos(2 * math.pi * (day - COLDEST_DAY) / 365)
        winter = (1 + season) / 2
        spell_sd = SPELL_SD_C[0] + (SPELL_SD_C[1] - SPELL_SD_C[0]) * winter
        spell = spell * spell_keep + math.sqrt(1 - spell_keep ** 2) * spell_sd * rng.gauss(0, 1)
        cloud = cloud * cloud_keep + math.sqrt(1 - cloud_keep ** 2) * rng.gauss(0, 1)
        clearness = 1 / (1 + math.exp(-1.5 * cloud))
        daily = DAILY_AMPLITUDE_C[0] + (DAILY_AMPLITUDE_C[1] - DAILY_AMPLITUDE_C[0]) * clearness
        dry_bulb = (ANNUAL_MEAN_C - SEASONAL_AMPLITUDE_C * season + spell
                    + daily * math.cos(2 * math.pi * (hour_of_day - WARMEST_HOUR) / 24))
        ghi = clear_sky_ghi(day, hour_of_day) * (0.2 + 0.8 * clearness)
        rows.append((hour, round(dry_bulb, 1), round(ghi)))
    return rows


def render(rows: list[tuple[int, float, float]]) -> str:
    lines = ["hour,dry_bulb_c,ghi_w_m2"]
    lines += [f"{hour},{dry_bulb:.1f},{ghi:.0f}" for hour, dry_bulb, ghi in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    output = Path(args[0]) if args else OUTPUT
    text = render(generate())
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(gzip.compress(text.encode("ascii"), compresslevel=9, mtime=0))
    print(f"wrote {output} ({output.stat().st_size} bytes, {HOURS} hours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
