"""Outdoor conditions for the simulated house: dry-bulb temperature and sunshine over a year.

Time here is *weather time*: seconds since 1 January 00:00 local standard time of the
weather year (what TMY3 files use). A series repeats itself every year, so any time,
negative or beyond the year, has a value, and a simulation may run across New Year.

Two sources: a synthetic cold-climate year that ships with the package (``"builtin"``,
made by :mod:`rpymostat.sim.make_weather`), and, when the ``energyplus`` extra is
installed, the TMY3 EPW files bundled with ``pyenergyplus-lbnl`` (``"usa_il_chicago"``,
``"usa_co_denver"``, ...).
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources
from pathlib import Path

import attrs

BUILTIN = "builtin"
BUILTIN_FILE = "builtin_weather.csv.gz"
HOUR_S = 3600.0

# EPW data rows: field 7 is dry bulb (°C), field 14 global horizontal radiation (Wh/m²
# over the hour ending at the time stamp); 99.9 and 9999 mark missing values.
_EPW_HEADER_LINES = 8
_EPW_DRY_BULB = 6
_EPW_GHI = 13
_EPW_MISSING_DRY_BULB = 99.9
_EPW_MISSING_GHI = 9999.0


class WeatherError(ValueError):
    """An unknown weather name or a weather file that cannot be used."""


@attrs.frozen
class Series:
    """Evenly spaced samples, repeating with period ``len(values) * step_s``.

    ``start_s`` is the time of ``values[0]``; between samples the value is linear.
    """

    start_s: float
    step_s: float = attrs.field(validator=attrs.validators.gt(0))
    values: tuple[float, ...] = attrs.field(converter=tuple,
                                            validator=attrs.validators.min_len(1))

    def at(self, time_s: float) -> float:
        count = len(self.values)
        position = ((time_s - self.start_s) / self.step_s) % count
        index = int(position)
        if index >= count:  # float rounding right at the end of the period
            index = 0
        fraction = position - index
        here = self.values[index]
        return here + fraction * (self.values[(index + 1) % count] - here)


@attrs.frozen
class Weather:
    name: str
    dry_bulb_c: Series
    ghi_w_m2: Series

    def outdoor_c(self, time_s: float) -> float:
        return self.dry_bulb_c.at(time_s)

    def ghi(self, time_s: float) -> float:
        """Global horizontal irradiance in W/m², never negative."""
        return max(0.0, self.ghi_w_m2.at(time_s))

    @classmethod
    def constant(cls, outdoor_c: float, ghi_w_m2: float = 0.0) -> "Weather":
        """Unchanging conditions, for tests that need a closed-form answer."""
        return cls(f"constant {outdoor_c:g} °C", Series(0.0, HOUR_S, (outdoor_c,)),
                   Series(0.0, HOUR_S, (ghi_w_m2,)))


def _epw_files() -> dict[str, str]:
    try:
        from pyenergyplus import dataset
    except ImportError:
        return {}
    return dict(dataset.weather_files)


def weather_names() -> list[str]:
    """The names :func:`load_weather` accepts on this installation."""
    return [BUILTIN] + sorted(_epw_files())


def load_weather(name: str) -> Weather:
    if name == BUILTIN:
        return read_builtin()
    epw = _epw_files()
    if name in epw:
        return read_epw(epw[name], name=name)
    hint = ("" if epw else
            "; TMY3 files such as 'usa_il_chicago' need the 'energyplus' extra "
            "(pip install rpymostat[energyplus])")
    raise WeatherError(f"unknown weather {name!r}: choose one of "
                       f"{', '.join(weather_names())}{hint}")


def read_builtin() -> Weather:
    data = resources.files("rpymostat.sim").joinpath("data", BUILTIN_FILE).read_bytes()
    return parse_builtin(gzip.decompress(data).decode("ascii"))


def parse_builtin(text: str) -> Weather:
    """The shipped CSV: one instantaneous sample per hour, the first at 00:00 on 1 January."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return Weather(
        BUILTIN,
        Series(0.0, HOUR_S, [float(row["dry_bulb_c"]) for row in rows]),
        Series(0.0, HOUR_S, [float(row["ghi_w_m2"]) for row in rows]),
    )


def read_epw(path: str | Path, name: str | None = None) -> Weather:
    """An EnergyPlus weather file, parsed with the csv module (no EnergyPlus needed).

    The EPW time stamp is the end of the hour: the dry bulb is the reading at that
    instant, the radiation the mean over the hour before it, so it is placed mid-hour.
    """
    path = Path(path)
    dry_bulb: list[float] = []
    ghi: list[float] = []
    with path.open(newline="", encoding="latin-1") as handle:
        rows = csv.reader(handle)
        for _ in range(_EPW_HEADER_LINES):
            next(rows, None)
        for number, row in enumerate(rows, start=_EPW_HEADER_LINES + 1):
            if not row:
                continue
            try:
                temperature = float(row[_EPW_DRY_BULB])
                radiation = float(row[_EPW_GHI])
            except (IndexError, ValueError) as exc:
                raise WeatherError(f"{path}:{number}: not an EPW data row") from exc
            if temperature >= _EPW_MISSING_DRY_BULB or radiation >= _EPW_MISSING_GHI:
                raise WeatherError(f"{path}:{number}: missing dry bulb or radiation")
            dry_bulb.append(temperature)
            ghi.append(radiation)
    if not dry_bulb:
        raise WeatherError(f"{path}: no data rows")
    return Weather(name or path.stem, Series(HOUR_S, HOUR_S, dry_bulb),
                   Series(HOUR_S / 2, HOUR_S, ghi))

