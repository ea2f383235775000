"""Whether a temperature reading can be trusted, and whether it is still recent enough.

A wrong temperature is worse than none: a heater driven by a sensor stuck at a plausible
value keeps running. So every reading is classified before anything uses it, and the
reason it is refused is kept (as a short code) for the sensor list, the decision log and
the alarms.

Invalid values, with their reason codes:

- ``not_a_number``: not an int or float at all (text, ``None``, ``True``).
- ``nan`` / ``infinite``: a driver or a client bug; never a temperature.
- ``crc_failure``: the reading itself says it failed its CRC (a DS18B20 read as all
  zeros gives 0.0 °C). A plain 0.0 °C without the flag is a real, valid temperature.
- ``sensor_error``: exactly −127 °C, what a DS18B20 reports when it is disconnected.
- ``power_on_reset``: exactly 85.0 °C, a DS18B20's register value after power-on, before
  its first conversion; a real 85 °C is outside any room's range anyway.
- ``out_of_range``: outside −40..70 °C, which no room being heated or cooled can be.

Age, with its reason codes:

- ``stale``: the sensor has missed ``stale_after_intervals`` (default 3) report intervals:
  the reading is stale from ``time + 3 × report_interval_s`` on (that instant included, so
  that a timer set for it finds the sensor stale).
- ``future``: stamped more than one report interval ahead of the hub's clock; a node
  with a wrong clock would otherwise look fresh for ever.
"""

from __future__ import annotations

import math
from typing import Optional

import attrs

VALID_MIN = -40.0
VALID_MAX = 70.0
DS18B20_POWER_ON = 85.0
DS18B20_ERROR = -127.0
STALE_AFTER_INTERVALS = 3

INVALID_REASONS = (
    "not_a_number", "nan", "infinite", "crc_failure", "sensor_error", "power_on_reset",
    "out_of_range",
)
AGE_REASONS = ("stale", "future")


def invalid_reason(value: object, crc_failure: bool = False) -> Optional[str]:
    """The reason code a value cannot be used as a temperature, or None when it can."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "not_a_number"
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "infinite"
    if crc_failure:
        return "crc_failure"
    if value == DS18B20_ERROR:
        return "sensor_error"
    if value == DS18B20_POWER_ON:
        return "power_on_reset"
    if not VALID_MIN <= value <= VALID_MAX:
        return "out_of_range"
    return None


def stale_at(
    time: float, report_interval_s: float, stale_after_intervals: int = STALE_AFTER_INTERVALS
) -> float:
    """The instant a reading taken at ``time`` becomes stale."""
    return time + stale_after_intervals * report_interval_s


def age_problem(
    time: float,
    now: float,
    report_interval_s: float,
    stale_after_intervals: int = STALE_AFTER_INTERVALS,
) -> Optional[str]:
    """``stale``, ``future`` or None for a reading taken at ``time`` seen at ``now``."""
    if now >= stale_at(time, report_interval_s, stale_after_intervals):
        return "stale"
    if time - now > report_interval_s:
        return "future"
    return None


@attrs.frozen
class Reading:
    """A sensor's latest report. ``problem`` is the invalid-reason code, None when valid.

    The value is kept even when invalid, so that the sensor list can show what came in.
    """

    value: object
    time: float
    crc_failure: bool = False
    problem: Optional[str] = attrs.field(init=False)

    @problem.default
    def _classify(self) -> Optional[str]:
        return invalid_reason(self.value, self.crc_failure)

    @property
    def valid(self) -> bool:
        return self.problem is None

    def unusable(
        self,
        now: float,
        report_interval_s: float,
        stale_after_intervals: int = STALE_AFTER_INTERVALS,
    ) -> Optional[str]:
        """Why this reading cannot count at ``now`` (invalid first, then age), or None."""
        return self.problem or age_problem(
            self.time, now, report_interval_s, stale_after_intervals
        )
