"""Cron firings, ISO 8601 intervals and rule occurrences (rpymostat.core.schedule.occurrences)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from hypothesis import given
from hypothesis import strategies as st

from rpymostat.core.schedule.occurrences import (
    CronError,
    IntervalError,
    compile_cron,
    cron_firings,
    next_firing,
    occurrences,
    parse_interval,
    previous_firing,
    wall_firings,
)
from rpymostat.core.schedule.rules import Rule
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC

NY = ZoneInfo("America/New_York")
UTC_ZONE = ZoneInfo("UTC")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def recurring(cron, duration=None, end_cron=None, rule_id=1):
    return Rule(id=rule_id, zone_id=1, name="r", kind="recurring", target=Target(),
                cron=cron, duration=duration, end_cron=end_cron)


def croniter_walls(expr, start, end):
    it = croniter(expr, start - timedelta(minutes=1))
    found = []
    while (wall := it.get_next(datetime)) < end:
        if wall >= start:
            found.append(wall)
    return found


cron_fields = st.tuples(
    st.sampled_from(["*", "0", "30", "*/15", "0,45", "5-10", "59"]),
    st.sampled_from(["*", "0", "6", "18", "22-23", "*/6", "1,13"]),
    st.sampled_from(["*", "1", "1-15", "*/2", "13", "31"]),
    st.sampled_from(["*", "1-6", "mar", "*/3", "2"]),
    st.sampled_from(["*", "1-5", "sun", "0,6", "7", "mon-wed"]),
)


@given(fields=cron_fields, day=st.integers(0, 360), span=st.integers(1, 40))
def test_plain_cron_matches_croniter(fields, day, span):
    """The fast day-by-day matcher agrees with croniter on naive wall times."""
    expr = " ".join(fields)
    start = datetime(2026, 1, 1) + timedelta(days=day, minutes=7 * day)
    end = start + timedelta(days=span)
    if fields[2:] == ("31", "2", "*"):  # 31 February
        with pytest.raises(CronError, match="never fires"):
            compile_cron(expr)
        return
    spec = compile_cron(expr)
    assert not spec.exotic
    assert list(wall_firings(spec, start, end)) == croniter_walls(expr, start, end)


@pytest.mark.parametrize("expr, expected", [
    ("0 0 L * *", [datetime(2026, 1, 31), datetime(2026, 2, 28), datetime(2026, 3, 31)]),
    ("0 8 * * 1#2", [datetime(2026, 1, 12, 8), datetime(2026, 2, 9, 8), datetime(2026, 3, 9, 8)]),
])
def test_last_day_and_nth_weekday_use_croniter(expr, expected):
    spec = compile_cron(expr)
    assert spec.exotic
    assert list(wall_firings(spec, datetime(2026, 1, 1), datetime(2026, 4, 1))) == expected


def test_macros_are_accepted():
    assert compile_cron("@daily").minutes == (0,)
    assert compile_cron("  0   18 *  * 1-5 ").expr == "0 18 * * 1-5"


@pytest.mark.parametrize("expr, words", [
    ("61 * * * *", "invalid cron"),
    ("0 18 * *", "five fields"),
    ("0 18 * * * *", "five fields"),
    ("hello world", "five fields"),
    ("a b c d e", "invalid cron"),
    ("0 0 30 2 *", "never fires"),
    ("", "non-empty"),
])
def test_bad_cron_is_refused_with_reason(expr, words):
    with pytest.raises(CronError, match=words):
        compile_cron(expr)


def test_cron_firings_are_utc_instants_in_window():
    spec = compile_cron("0 18 * * 1-5")
    found = cron_firings(spec, NY, utc(2026, 12, 18), utc(2026, 12, 22))
    # Fri 18 and Mon 21 December, 18:00 EST = 23:00Z.
    assert found == [utc(2026, 12, 18, 23), utc(2026, 12, 21, 23)]


def test_previous_and_next_firing():
    spec = compile_cron("0 7 * * 1")
    assert previous_firing(spec, NY, utc(2026, 12, 16)) == utc(2026, 12, 14, 12)
    assert previous_firing(spec, NY, utc(2026, 12, 14, 12)) == utc(2026, 12, 14, 12)
    assert next_firing(spec, NY, utc(2026, 12, 14, 12)) == utc(2026, 12, 21, 12)
    leap = compile_cron("0 0 29 2 *")
    assert next_firing(leap, UTC_ZONE, utc(2026, 1, 1)) == utc(2028, 2, 29)
    assert previous_firing(leap, UTC_ZONE, utc(2026, 1, 1)) == utc(2024, 2, 29)


@pytest.mark.parametrize("text, start, end", [
    ("2026-12-21T00:00/2026-12-28T23:59", utc(2026, 12, 21, 5), utc(2026, 12, 29, 4, 59)),
    ("2026-12-21T00:00/PT36H", utc(2026, 12, 21, 5), utc(2026, 12, 22, 17)),
    ("P1DT2H/2026-12-22T00:00Z", utc(2026, 12, 20, 22), utc(2026, 12, 22)),
    ("2026-12-21T00:00+01:00/2026-12-21T06:00Z", utc(2026, 12, 20, 23), utc(2026, 12, 21, 6)),
])
def test_interval_forms(text, start, end):
    assert parse_interval(text, NY) == (start, end)


@pytest.mark.parametrize("text, words", [
    ("2026-12-28T00:00/2026-12-21T00:00", "ends before or when it starts"),
    ("2026-12-21T00:00/2026-12-21T00:00", "ends before or when it starts"),
    ("PT1H/PT2H", "two durations"),
    ("2026-12-21/2026-12-28", "not just a date"),
    ("2026-12-21T00:00", "start/end"),
    ("2026-12-21T00:00/2026-12-22T00:00/PT1H", "start/end"),
    ("2026-13-21T00:00/PT1H", "not an ISO 8601 time"),
    ("2026-12-21T00:00/P1M", "years or months"),
    ("2026-12-21T00:00/PT0S", "positive"),
    ("2026-12-21T00:00/soon", "not an ISO 8601 time"),
])
def test_bad_interval_is_refused_with_reason(text, words):
    with pytest.raises(IntervalError, match=words):
        parse_interval(text, NY)


def test_duration_occurrence_running_at_window_start_is_whole():
    rule = recurring("0 22 * * *", duration=timedelta(hours=9))
    found = occurrences(rule, UTC_ZONE, utc(2026, 12, 2, 3), utc(2026, 12, 3, 3))
    assert [(o.start, o.end) for o in found] == [
        (utc(2026, 12, 1, 22), utc(2026, 12, 2, 7)),
        (utc(2026, 12, 2, 22), utc(2026, 12, 3, 7)),
    ]


def test_end_cron_ends_at_the_first_end_after_each_start():
    weekend = recurring("0 18 * * 5", end_cron="0 7 * * 1")
    found = occurrences(weekend, UTC_ZONE, utc(2026, 12, 20), utc(2026, 12, 27))
    # The weekend running on Sunday 20th started Friday 18th; the next starts Friday 25th.
    assert [(o.start, o.end) for o in found] == [
        (utc(2026, 12, 18, 18), utc(2026, 12, 21, 7)),
        (utc(2026, 12, 25, 18), utc(2026, 12, 28, 7)),
    ]


def test_end_cron_far_from_start_is_found():
    winter = recurring("0 0 1 12 *", end_cron="0 0 1 3 *")
    found = occurrences(winter, UTC_ZONE, utc(2027, 2, 27), utc(2027, 3, 2))
    assert [(o.start, o.end) for o in found] == [(utc(2026, 12, 1), utc(2027, 3, 1))]


def test_occurrences_outside_window_are_left_out():
    rule = Rule(id=1, zone_id=1, name="away", kind="once", target=Target(),
                interval="2026-12-21T00:00Z/PT1H")
    assert occurrences(rule, NY, utc(2026, 12, 21, 1), utc(2026, 12, 22)) == []
    assert occurrences(rule, NY, utc(2026, 12, 20), utc(2026, 12, 21)) == []
    assert len(occurrences(rule, NY, utc(2026, 12, 20), utc(2026, 12, 21, 0, 1))) == 1


def test_indefinite_hold_has_no_end():
    hold = Rule(id=1, zone_id=1, name="hold", kind="hold", target=Target(),
                start=utc(2026, 1, 1), end=None)
    (found,) = occurrences(hold, NY, utc(2027, 1, 1), utc(2027, 1, 2))
    assert found.end is None and found.length() is None
