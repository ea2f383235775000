"""When rules are active: cron firings, ISO 8601 intervals and rule occurrences.

Everything here is a pure function of its arguments. Instants at the interface are
aware UTC datetimes; a rule's wall-clock meaning lives in the hub's IANA zone.

Cron is evaluated in *naive local wall time* and each wall time is then turned into an
instant by :func:`local_instant`. croniter's own time-zone mode fires a 01:30 rule twice
on the fall-back day, so it is only used to parse expressions and, for the rare
``L``/``#`` forms, to step through naive wall times. The rules for wall times that do
not exist or exist twice (see ``docs/scheduling.md``):

- a wall time inside the spring-forward gap (02:30 in New York on the second Sunday of
  March) happens at the end of the gap, 03:00 local; several firings in one gap collapse
  into that one instant, so a rule fires once;
- a wall time that happens twice on the fall-back day (01:30 in New York) happens at its
  first occurrence, before the clocks go back, and only then.

A ``duration`` is elapsed time: ``22:00`` + ``PT9H`` ends at 08:00 local on the
spring-forward night and at 06:00 on the fall-back night. ``end_cron`` gives a
wall-clock end instead.
"""

from __future__ import annotations

import bisect
import functools
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Iterator, Optional, Sequence
from zoneinfo import ZoneInfo

import attrs
from croniter import CroniterBadCronError, CroniterBadDateError, croniter

from rpymostat.core.timeutil import UTC, TimeFormatError, in_range, out_of_range, parse_duration

if TYPE_CHECKING:  # rules imports this module
    from rpymostat.core.schedule.rules import Rule

# Local offsets stay within ±26 h of UTC; a wall window widened by this much is sure to
# contain every firing whose instant lies in the requested instant window.
_OFFSET_SLACK = timedelta(hours=27)
# How far to look for the previous/next firing before giving up on a rule that fires
# more rarely than this (a leap-day rule, say) and asking croniter.
_SCAN_STEPS = (timedelta(days=2), timedelta(days=35), timedelta(days=400))
_ONE_SECOND = timedelta(seconds=1)


class CronError(ValueError):
    """A cron expression the schedule cannot use."""


class IntervalError(ValueError):
    """An ISO 8601 interval the schedule cannot use."""


@attrs.frozen
class CronSpec:
    """A compiled five-field cron expression.

    The plain forms (lists, ranges, steps, names, ``@daily``...) are matched day by day,
    which is much faster than stepping croniter; ``L`` and ``#`` fall back to croniter.
    """

    expr: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    doms: Optional[frozenset[int]]
    months: Optional[frozenset[int]]
    dows: Optional[frozenset[int]]
    exotic: bool


@functools.lru_cache(maxsize=4096)
def compile_cron(expr: str) -> CronSpec:
    """Parse a cron expression, or raise :class:`CronError` saying why it is unusable."""
    if not isinstance(expr, str) or not expr.strip():
        raise CronError("cron must be a non-empty string such as '0 18 * * 1-5'")
    text = " ".join(expr.split())
    if not text.startswith("@") and len(text.split(" ")) != 5:
        raise CronError(
            f"cron must have five fields (minute hour day-of-month month day-of-week): {expr!r}"
        )
    try:
        parsed = croniter(text)
    except (CroniterBadCronError, ValueError, KeyError) as exc:
        raise CronError(f"invalid cron expression {expr!r}: {exc}") from exc
    fields: list[list[Any]] = parsed.expanded  # ints, or '*' and 'l' (not the stubs' str)
    if len(fields) != 5:
        raise CronError(f"cron must have five fields: {expr!r}")

    def values(field: list[Any]) -> Optional[frozenset[int]]:
        return None if field == ["*"] else frozenset(field)

    exotic = bool(parsed.nth_weekday_of_month) or any(
        isinstance(v, str) for field in fields for v in field if v != "*"
    )
    spec = CronSpec(
        expr=text,
        minutes=tuple(sorted(range(60) if fields[0] == ["*"] else fields[0])),
        hours=tuple(sorted(range(24) if fields[1] == ["*"] else fields[1])),
        doms=None if exotic else values(fields[2]),
        months=None if exotic else values(fields[3]),
        dows=None if exotic else values(fields[4]),
        exotic=exotic,
    )
    try:
        croniter(text, datetime(2000, 1, 1)).get_next(datetime)
    except CroniterBadDateError as exc:
        raise CronError(f"cron expression never fires: {expr!r}") from exc
    return spec


def _day_matches(spec: CronSpec, day: date) -> bool:
    if spec.months is not None and day.month not in spec.months:
        return False
    dom_ok = spec.doms is None or day.day in spec.doms
    dow_ok = spec.dows is None or (day.weekday() + 1) % 7 in spec.dows
    if spec.doms is not None and spec.dows is not None:
        return dom_ok or dow_ok  # classic cron: a restricted day-of-month OR day-of-week
    return dom_ok and dow_ok


def wall_firings(spec: CronSpec, start: datetime, end: datetime) -> Iterator[datetime]:
    """Naive local wall times in [start, end) at which the expression fires, in order."""
    if spec.exotic:
        it = croniter(spec.expr, start - timedelta(minutes=1))
        while True:
            wall = it.get_next(datetime)
            if wall >= end:
                return
            if wall >= start:
                yield wall
    day = start.date()
    while day <= end.date():
        if _day_matches(spec, day):
            for hour in spec.hours:
                for minute in spec.minutes:
                    wall = datetime(day.year, day.month, day.day, hour, minute)
                    if wall >= end:
                        return
                    if wall >= start:
                        yield wall
        day += timedelta(days=1)


def local_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time, DST-decided as the module says.

    A wall time in the spring-forward gap maps to the end of the gap; a wall time that
    happens twice maps to the first of the two (``fold=0``).
    """
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap, fold=0 uses the offset before the change and lands after it; fold=1
    # uses the offset after and lands before it. The change lies between: find it.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = first
    after = hi.astimezone(tz).utcoffset()
    while hi - lo > _ONE_SECOND:
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def cron_firings(spec: CronSpec, tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in [start, end) at which the expression fires in zone ``tz``.

    Firings that DST maps onto the same instant count once.
    """
    found: list[datetime] = []
    walls = wall_firings(spec, _wall(start, tz) - _OFFSET_SLACK, _wall(end, tz) + _OFFSET_SLACK)
    for wall in walls:
        instant = local_instant(wall, tz)
        if start <= instant < end and (not found or instant > found[-1]):
            found.append(instant)
    return found


def previous_firing(spec: CronSpec, tz: ZoneInfo, at: datetime) -> Optional[datetime]:
    """The last firing at or before ``at``; None when it never fired since 1970."""
    for step in _SCAN_STEPS:
        found = cron_firings(spec, tz, at - step, at + _ONE_SECOND)
        if found:
            return found[-1]
    wall = _wall(at, tz) - _SCAN_STEPS[-1]
    while wall.year >= 1970:
        wall = croniter(spec.expr, wall).get_prev(datetime)
        instant = local_instant(wall, tz)
        if instant <= at:
            return instant
    return None


def next_firing(spec: CronSpec, tz: ZoneInfo, after: datetime) -> datetime:
    """The first firing strictly after ``after``."""
    for step in _SCAN_STEPS:
        found = [f for f in cron_firings(spec, tz, after, after + step) if f > after]
        if found:
            return found[0]
    wall = _wall(after, tz) + _SCAN_STEPS[-1]
    while True:
        wall = croniter(spec.expr, wall).get_next(datetime)
        instant = local_instant(wall, tz)
        if instant > after:
            return instant


def _interval_time(text: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise IntervalError(f"not an ISO 8601 time: {text!r}") from exc
    if "T" not in text.upper():
        raise IntervalError(
            f"give a date and a time, e.g. 2026-12-21T00:00, not just a date: {text!r}"
        )
    try:
        return in_range(local_instant(value, tz) if value.tzinfo is None else value, text)
    except OverflowError:  # a local time at the very ends of what datetime holds
        raise IntervalError(out_of_range(text)) from None
    except TimeFormatError as exc:
        raise IntervalError(str(exc)) from None


def parse_local_time(text: str, tz: ZoneInfo) -> datetime:
    """An ISO 8601 date-time as a UTC instant; without an offset it is local time in ``tz``."""
    if not isinstance(text, str):
        raise IntervalError("a time must be an ISO 8601 string")
    return _interval_time(text.strip(), tz)


def parse_interval(text: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """An ISO 8601 interval (start/end, start/duration or duration/end) as UTC instants.

    A time without an offset is local time in ``tz``. Durations are elapsed time and may
    not use years or months.
    """
    if not isinstance(text, str):
        raise IntervalError("interval must be an ISO 8601 string such as 2026-12-21T00:00/PT36H")
    parts = text.strip().split("/")
    if len(parts) != 2 or not all(parts):
        raise IntervalError(
            f"interval must be start/end, start/duration or duration/end: {text!r}"
        )
    first, second = (p.strip() for p in parts)
    first_is_duration = first.upper().startswith("P")
    second_is_duration = second.upper().startswith("P")
    try:
        if first_is_duration and second_is_duration:
            raise IntervalError(f"interval needs at least one time, not two durations: {text!r}")
        if first_is_duration:
            end = _interval_time(second, tz)
            start = end - parse_duration(first)
        elif second_is_duration:
            start = _interval_time(first, tz)
            end = start + parse_duration(second)
        else:
            start, end = _interval_time(first, tz), _interval_time(second, tz)
    except TimeFormatError as exc:
        raise IntervalError(f"{exc} in interval {text!r}") from exc
    if end <= start:
        raise IntervalError(f"interval ends before or when it starts: {text!r}")
    return start, end


# An occurrence's start and end (None: open-ended).
_Span = tuple[datetime, Optional[datetime]]


@attrs.frozen
class Occurrence:
    """One period during which a rule is active; ``end`` None means it never ends."""

    rule: Rule
    start: datetime
    end: Optional[datetime]

    def length(self) -> Optional[timedelta]:
        return None if self.end is None else self.end - self.start


def occurrences(rule: Rule, tz: ZoneInfo, start: datetime, end: datetime) -> list[Occurrence]:
    """The rule's occurrences that overlap [start, end), whole (not clipped), in order.

    ``rule`` is a :class:`rpymostat.core.schedule.rules.Rule`. The ``enabled`` flag is not looked at:
    choosing which rules count is the caller's business.
    """
    return [
        Occurrence(rule, s, e)
        for s, e in _spans(rule, tz, start, end)
        if s < end and (e is None or (e > start and e > s))
    ]


def _spans(rule: Rule, tz: ZoneInfo, start: datetime, end: datetime) -> Sequence[_Span]:
    """Parsing gave each kind of rule its fields: a hold its start, a once rule its
    interval, a recurring one its cron and a duration or an end cron."""
    if rule.kind == "hold":
        assert rule.start is not None
        return [(rule.start, rule.end)]
    if rule.kind == "once":
        assert rule.interval is not None
        return [parse_interval(rule.interval, tz)]
    assert rule.cron is not None
    if rule.duration is not None:
        return _duration_spans(compile_cron(rule.cron), rule.duration, tz, start, end)
    assert rule.end_cron is not None
    return _end_cron_spans(compile_cron(rule.cron), compile_cron(rule.end_cron), tz, start, end)


def _duration_spans(spec: CronSpec, duration: timedelta, tz: ZoneInfo, start: datetime,
                    end: datetime) -> list[_Span]:
    return [(s, s + duration) for s in cron_firings(spec, tz, start - duration, end)]


def _end_cron_spans(spec: CronSpec, end_spec: CronSpec, tz: ZoneInfo, start: datetime,
                    end: datetime) -> list[_Span]:
    """Each start lasts until the first end firing after it.

    An occurrence that covers ``start`` began no earlier than the last end firing at or
    before ``start``, so that is where the look-back stops.
    """
    since = previous_firing(end_spec, tz, start) or start
    starts = cron_firings(spec, tz, since, end)
    if not starts:
        return []
    ends = cron_firings(end_spec, tz, since, end + _SCAN_STEPS[0])
    spans: list[_Span] = []
    for s in starts:
        i = bisect.bisect_right(ends, s)
        spans.append((s, ends[i] if i < len(ends) else next_firing(end_spec, tz, s)))
    return spans
