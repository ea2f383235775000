"""The benchmark's scenarios: a climate (weather and season) and a weekly schedule, as the
rules the hub would hold, over a 7-day learning warm-up and a 14-day evaluation (BOPTEST's
periods).

The schedule's clock is the weather's: weather time 0 (1 January 00:00 local standard
time) is 2025-01-01T00:00 in a UTC-based zone, so weekdays fall as in 2025.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

import attrs

from rpymostat.core.schedule.rules import Rule
from rpymostat.core.schedule.timeline import ZoneSchedule
from rpymostat.core.target import Target

DAY_S = 86_400.0
ZONE_ID = 1
TZ = ZoneInfo("UTC")
WEATHER_EPOCH = datetime(2025, 1, 1, tzinfo=TZ)
COMFORT_C = 21.0
SETBACK_C = 16.0
AWAY_C = 12.0
WARMUP_DAYS = 7
EVALUATION_DAYS = 14


@attrs.frozen
class Climate:
    name: str
    weather: str
    #: Weather-time day the warm-up starts on (0 = 1 January).
    first_day: int
    words: str


CLIMATES = {
    "cold": Climate("cold", "usa_il_chicago", 7, "Chicago (TMY3), January: mostly −15..0 °C"),
    "mild": Climate("mild", "usa_ca_san_francisco", 7, "San Francisco (TMY3), January: mostly 5..15 °C"),
    "builtin": Climate("builtin", "builtin", 7, "the shipped synthetic year, January (no extra needed)"),
}


def _heat(setpoint: float) -> Target:
    return Target("heat", setpoint)


def _recurring(rule_id: int, name: str, cron: str, hours: float, setpoint: float = COMFORT_C) -> Rule:
    return Rule(rule_id, ZONE_ID, name, "recurring", _heat(setpoint), cron=cron,
                duration=timedelta(hours=hours))


def daily(evaluation_day: int) -> tuple[Rule, ...]:
    """21 °C 06:00–22:00 every day, 16 °C otherwise."""
    return (_recurring(1, "day", "0 6 * * *", 16),)


def weekend(evaluation_day: int) -> tuple[Rule, ...]:
    """Weekdays 06:00–22:00; Saturday and Sunday 08:00–23:00 (a later rise, a later setback)."""
    return (_recurring(1, "weekdays", "0 6 * * 1-5", 16), _recurring(2, "weekend", "0 8 * * 0,6", 15))


def setback(evaluation_day: int) -> tuple[Rule, ...]:
    """Every day 06:00–22:00, and away at 12 °C for three days of the evaluation, from
    08:00 on its fourth day to 17:00 on its seventh: the return is a large rise from a
    house that has cooled right through."""
    leave = WEATHER_EPOCH + timedelta(days=evaluation_day + 3, hours=8)
    back = leave + timedelta(days=3, hours=9)
    away = Rule(2, ZONE_ID, "away", "once", _heat(AWAY_C),
                interval=f"{leave.isoformat()}/{back.isoformat()}")
    return daily(evaluation_day) + (away,)


SCHEDULES: dict[str, Callable[[int], tuple[Rule, ...]]] = {
    "daily": daily, "weekend": weekend, "setback": setback,
}


@attrs.frozen
class Scenario:
    climate: Climate
    schedule: str
    warmup_days: int = WARMUP_DAYS
    evaluation_days: int = EVALUATION_DAYS

    @property
    def name(self) -> str:
        return f"{self.climate.name}-{self.schedule}"

    @property
    def start_s(self) -> float:
        return self.climate.first_day * DAY_S

    @property
    def evaluation_start_s(self) -> float:
        return self.start_s + self.warmup_days * DAY_S

    @property
    def end_s(self) -> float:
        return self.evaluation_start_s + self.evaluation_days * DAY_S

    def zone(self) -> ZoneSchedule:
        rules = SCHEDULES[self.schedule](self.climate.first_day + self.warmup_days)
        return ZoneSchedule(ZONE_ID, TZ, _heat(SETBACK_C), rules)


def comfort_band(setpoint_c: float) -> tuple[float, float]:
    """The comfort band of a scheduled heat setpoint, as BOPTEST's: the setpoint below, and
    above it 24 °C while people are there (comfort) or 30 °C while the schedule sets back, so
    that warming ahead of a rise is no discomfort."""
    return setpoint_c, (24.0 if setpoint_c >= COMFORT_C else 30.0)


def wall_time(time_s: float) -> float:
    """Weather time as the POSIX time the control core works in."""
    return WEATHER_EPOCH.timestamp() + time_s


def weather_time(wall: float) -> float:
    return wall - WEATHER_EPOCH.timestamp()
