"""Conversions between the API's ISO 8601 text and the numbers the code works with.

Inside the hub, an instant is a float POSIX timestamp (what ``IReactorTime.seconds()``
returns) or an aware ``datetime``; on the wire it is ISO 8601 with an offset, and every
response uses UTC with a ``Z``. Durations are ISO 8601 (``PT2H``) on the wire and
seconds or ``timedelta`` inside.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import isodate

UTC = timezone.utc
# The instants the API takes: from the epoch to far enough before datetime's end that a
# window, a hold or a schedule's look-ahead added to any of them cannot overflow.
TIME_MIN = datetime(1970, 1, 1, tzinfo=UTC)
TIME_MAX = datetime(9000, 1, 1, tzinfo=UTC)
DURATION_MAX = timedelta(days=36525)


class TimeFormatError(ValueError):
    """Text that is not an acceptable ISO 8601 time or duration."""


def parse_time(text: str) -> datetime:
    """An ISO 8601 date-time with an explicit offset, as an aware UTC datetime."""
    if not isinstance(text, str):
        raise TimeFormatError("a time must be an ISO 8601 string")
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise TimeFormatError(f"not an ISO 8601 time: {text!r}") from exc
    if value.tzinfo is None:
        raise TimeFormatError(f"time has no offset (add Z or +HH:MM): {text!r}")
    return in_range(value, text)


def in_range(value: datetime, text: str) -> datetime:
    """An aware time as UTC, refused outside [TIME_MIN, TIME_MAX)."""
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise TimeFormatError(out_of_range(text)) from None
    if not TIME_MIN <= value < TIME_MAX:
        raise TimeFormatError(out_of_range(text))
    return value


def out_of_range(text: str) -> str:
    return f"time must be from {TIME_MIN.year} to before {TIME_MAX.year} (UTC): {text!r}"


def format_time(value: datetime | float) -> str:
    """UTC ISO 8601 with a ``Z``, to the millisecond when there is a fraction."""
    if not isinstance(value, datetime):
        value = from_timestamp(value)
    value = value.astimezone(UTC)
    if value.microsecond:
        text = value.isoformat(timespec="milliseconds")
    else:
        text = value.isoformat(timespec="seconds")
    return text.replace("+00:00", "Z")



def format_optional(value: datetime | float | None) -> str | None:
    """``format_time`` of a time that may be unknown (None stays None)."""
    return None if value is None else format_time(value)

def to_timestamp(value: datetime) -> float:
    return value.timestamp()


def from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def parse_duration(text: str) -> timedelta:
    """An ISO 8601 duration of fixed length (days and smaller), as a positive timedelta.

    Years and months have no fixed length, so a rule cannot use them.
    """
    if not isinstance(text, str):
        raise TimeFormatError("a duration must be an ISO 8601 string such as PT2H")
    try:
        value: timedelta = isodate.parse_duration(text)  # or an isodate.Duration, refused below
    except OverflowError:
        raise TimeFormatError(f"duration must be at most P{DURATION_MAX.days}D: {text!r}") from None
    except (isodate.ISO8601Error, ValueError) as exc:
        raise TimeFormatError(f"not an ISO 8601 duration: {text!r}") from exc
    if isinstance(value, isodate.Duration):
        raise TimeFormatError(f"duration uses years or months, which have no fixed length: {text!r}")
    if value <= timedelta(0):
        raise TimeFormatError(f"duration must be positive: {text!r}")
    if value > DURATION_MAX:
        raise TimeFormatError(f"duration must be at most P{DURATION_MAX.days}D: {text!r}")
    return value


def format_duration(value: timedelta | float) -> str:
    if not isinstance(value, timedelta):
        value = timedelta(seconds=value)
    text: str = isodate.duration_isoformat(value)
    return text


def is_finite_number(value: object) -> bool:
    """True for an int or float that is neither NaN nor infinite (bool is not a number here)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
    )
