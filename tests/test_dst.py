"""Daylight saving time: the documented choices, in New York and Berlin.

New York 2026: spring forward Sun 8 March 02:00 EST -> 03:00 EDT (07:00Z); fall back
Sun 1 November 02:00 EDT -> 01:00 EST (06:00Z).
Berlin 2026: spring forward Sun 29 March 02:00 CET -> 03:00 CEST (01:00Z); fall back
Sun 25 October 03:00 CEST -> 02:00 CET (01:00Z).
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from rpymostat.core.schedule.occurrences import compile_cron, cron_firings, local_instant, occurrences, parse_interval
from rpymostat.core.schedule.rules import Rule
from rpymostat.core.schedule.timeline import ZoneSchedule, resolve_timeline
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def day_firings(expr, tz, year, month, day):
    """Firings whose *local* date is the given day."""
    start = local_instant(datetime(year, month, day), tz)
    end = local_instant(datetime(year, month, day) + timedelta(days=1), tz)
    return cron_firings(compile_cron(expr), tz, start, end)


def recurring(rule_id, cron, duration=None, end_cron=None, heat=20.0):
    return Rule(id=rule_id, zone_id=1, name=f"r{rule_id}", kind="recurring",
                target=Target(heat_setpoint=heat), cron=cron, duration=duration,
                end_cron=end_cron)


@pytest.mark.parametrize("tz, wall, expected", [
    (NY, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7)),       # gap -> 03:00 EDT
    (NY, datetime(2026, 3, 8, 2, 0), utc(2026, 3, 8, 7)),
    (NY, datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 7)),
    (NY, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),  # twice -> first, EDT
    (NY, datetime(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7)),
    (BERLIN, datetime(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1)),  # gap -> 03:00 CEST
    (BERLIN, datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),  # first, CEST
])
def test_local_instant(tz, wall, expected):
    assert local_instant(wall, tz) == expected


@pytest.mark.parametrize("tz, day, expected", [
    (NY, (2026, 3, 8), [utc(2026, 3, 8, 7)]),
    (NY, (2026, 3, 9), [utc(2026, 3, 9, 6, 30)]),
    (BERLIN, (2026, 3, 29), [utc(2026, 3, 29, 1)]),
    (BERLIN, (2026, 3, 30), [utc(2026, 3, 30, 0, 30)]),
])
def test_0230_on_spring_forward_day_fires_once_at_0300(tz, day, expected):
    found = day_firings("30 2 * * *", tz, *day)
    assert found == expected
    if day[2] in (8, 29):
        assert found[0].astimezone(tz).strftime("%H:%M") == "03:00"


@pytest.mark.parametrize("tz, expr, day, expected", [
    (NY, "30 1 * * *", (2026, 11, 1), [utc(2026, 11, 1, 5, 30)]),
    (BERLIN, "30 2 * * *", (2026, 10, 25), [utc(2026, 10, 25, 0, 30)]),
])
def test_repeated_wall_time_on_fall_back_day_fires_once_at_the_first(tz, expr, day, expected):
    assert day_firings(expr, tz, *day) == expected


def test_several_firings_in_the_gap_collapse_into_one():
    assert [f.astimezone(NY).strftime("%H:%M") for f in
            day_firings("0,30 2-3 * * *", NY, 2026, 3, 8)] == ["03:00", "03:30"]


@pytest.mark.parametrize("tz, day", [(NY, (2026, 11, 1)), (BERLIN, (2026, 10, 25)),
                                     (NY, (2026, 3, 8)), (BERLIN, (2026, 3, 29))])
def test_hourly_rule_never_fires_twice_at_one_instant_nor_twice_per_wall_hour(tz, day):
    found = day_firings("0 * * * *", tz, *day)
    walls = [f.astimezone(tz).strftime("%H:%M") for f in found]
    assert found == sorted(set(found))
    assert len(walls) == len(set(walls))
    # Spring: 02:00 lands on 03:00 and counts once (23). Fall: each wall hour once (24).
    assert len(found) == (23 if day[1] == 3 else 24)


@pytest.mark.parametrize("tz, start_day, end", [
    (NY, 7, datetime(2026, 3, 8, 8, 0)),       # spring night: 9 h elapsed ends 08:00 local
    (BERLIN, 28, datetime(2026, 3, 29, 8, 0)),
])
def test_duration_is_elapsed_time_in_spring(tz, start_day, end):
    rule = recurring(1, "0 22 * * *", duration=timedelta(hours=9))
    (occ,) = [o for o in occurrences(rule, tz, utc(2026, 3, start_day, 12), utc(2026, 3, start_day + 1, 12))
              if o.start.astimezone(tz).day == start_day]
    assert occ.end - occ.start == timedelta(hours=9)
    assert occ.end.astimezone(tz).replace(tzinfo=None) == end


def test_duration_is_elapsed_time_in_fall():
    rule = recurring(1, "0 22 * * *", duration=timedelta(hours=9))
    occ = occurrences(rule, NY, utc(2026, 11, 1, 3), utc(2026, 11, 1, 4))[0]
    assert occ.end.astimezone(NY).replace(tzinfo=None) == datetime(2026, 11, 1, 6)


@pytest.mark.parametrize("tz, night, hours", [
    (NY, (2026, 3, 7), 8), (NY, (2026, 10, 31), 10),
    (BERLIN, (2026, 3, 28), 8), (BERLIN, (2026, 10, 24), 10),
])
def test_end_cron_keeps_the_wall_clock_end(tz, night, hours):
    rule = recurring(1, "0 22 * * *", end_cron="0 7 * * *")
    start = local_instant(datetime(*night, 22), tz)
    (occ,) = occurrences(rule, tz, start, start + timedelta(minutes=1))
    assert occ.end.astimezone(tz).strftime("%H:%M") == "07:00"
    assert occ.end - occ.start == timedelta(hours=hours)


def test_once_interval_in_local_time_across_dst():
    assert parse_interval("2026-03-08T02:30/2026-03-08T04:00", NY) == (
        utc(2026, 3, 8, 7), utc(2026, 3, 8, 8))
    assert parse_interval("2026-11-01T01:30/PT1H", NY) == (
        utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30))


@pytest.mark.parametrize("tz, first, last, winners", [
    (NY, utc(2026, 3, 6), utc(2026, 3, 11), [4]),
    # The repeated hour (01:00-02:00 EST, 06:00-07:00Z) has no */20 firing: those wall
    # times already fired before the clocks went back. The night rule fills it.
    (NY, utc(2026, 10, 30), utc(2026, 11, 4), [4, 3, 4]),
    (BERLIN, utc(2026, 3, 27), utc(2026, 4, 1), [4]),
    # Berlin repeats 02:00-03:00; the 02:30 CEST one-hour rule runs into it.
    (BERLIN, utc(2026, 10, 23), utc(2026, 10, 28), [4, 1, 3, 4]),
])
def test_timeline_over_dst_days_loses_and_duplicates_nothing(tz, first, last, winners):
    rules = [
        recurring(1, "30 2 * * *", duration=timedelta(hours=1), heat=18),
        recurring(2, "0 1-3 * * *", duration=timedelta(minutes=45), heat=19),
        recurring(3, "0 22 * * *", end_cron="0 7 * * *", heat=17),
        recurring(4, "*/20 * * * *", duration=timedelta(minutes=20), heat=21),
    ]
    timeline = resolve_timeline(ZoneSchedule(1, tz, Target(), rules), first, last)
    segments = timeline.segments
    assert segments[0].start == first and segments[-1].end == last
    assert all(a.end == b.start for a, b in zip(segments, segments[1:]))
    assert sum((s.end - s.start for s in segments), timedelta()) == last - first
    assert [s.rule_id for s in segments] == winners


def test_timeline_spring_forward_segment_starts_at_0300():
    rules = [recurring(1, "30 2 * * *", duration=timedelta(hours=1), heat=18)]
    timeline = resolve_timeline(ZoneSchedule(1, NY, Target(), rules), utc(2026, 3, 8), utc(2026, 3, 9))
    ruled = [s for s in timeline.segments if s.rule_id == 1]
    assert [(s.start.astimezone(NY).strftime("%H:%M"), s.end.astimezone(NY).strftime("%H:%M"))
            for s in ruled] == [("03:00", "04:00")]


def test_timeline_fall_back_rule_applies_once():
    rules = [recurring(1, "30 1 * * *", duration=timedelta(minutes=30), heat=18)]
    timeline = resolve_timeline(ZoneSchedule(1, NY, Target(), rules), utc(2026, 11, 1), utc(2026, 11, 2))
    ruled = [s for s in timeline.segments if s.rule_id == 1]
    assert [(s.start, s.end) for s in ruled] == [(utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6))]
