"""Which readings the control core refuses, and when a sensor goes stale."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpymostat.core.readings import Reading, age_problem, invalid_reason, stale_at


@pytest.mark.parametrize("value, crc_failure, reason", [
    (math.nan, False, "nan"),
    (math.inf, False, "infinite"),
    (-math.inf, False, "infinite"),
    (85.0, False, "power_on_reset"),
    (85, False, "power_on_reset"),
    (-127.0, False, "sensor_error"),
    (-127, False, "sensor_error"),
    (70.01, False, "out_of_range"),
    (84.9, False, "out_of_range"),
    (-40.01, False, "out_of_range"),
    (1000.0, False, "out_of_range"),
    (0.0, True, "crc_failure"),
    (21.5, True, "crc_failure"),
    ("21.5", False, "not_a_number"),
    (None, False, "not_a_number"),
    (True, False, "not_a_number"),
    ([21.5], False, "not_a_number"),
])
def test_invalid_kinds_have_their_reason(value, crc_failure, reason):
    assert invalid_reason(value, crc_failure) == reason
    reading = Reading(value, 0.0, crc_failure)
    assert reading.problem == reason
    assert not reading.valid


@pytest.mark.parametrize("value", [0.0, 0, -40.0, 70.0, 21.5, -26.9, 4.9])
def test_plausible_values_are_valid(value):
    assert invalid_reason(value) is None
    assert Reading(value, 0.0).valid


def test_a_plain_zero_is_a_real_temperature():
    assert Reading(0.0, 0.0).valid
    assert Reading(0.0, 0.0, crc_failure=True).problem == "crc_failure"


@given(st.floats(-40, 70).filter(lambda v: v not in (85.0, -127.0)))
def test_every_value_in_range_is_valid(value):
    assert invalid_reason(value) is None


@given(st.floats(allow_nan=False).filter(lambda v: not -40 <= v <= 70))
def test_every_value_out_of_range_is_invalid(value):
    assert invalid_reason(value) in ("out_of_range", "infinite", "power_on_reset", "sensor_error")


@pytest.mark.parametrize("age, problem", [
    (0.0, None),
    (60.0, None),
    (89.999, None),
    (90.0, "stale"),
    (3600.0, "stale"),
    (-30.0, None),
    (-30.001, "future"),
])
def test_stale_after_three_missed_report_intervals(age, problem):
    now = 10_000.0
    assert age_problem(now - age, now, report_interval_s=30) == problem


def test_stale_after_is_a_setting():
    assert stale_at(100.0, 60, 3) == 280.0
    assert stale_at(100.0, 60, 5) == 400.0
    assert age_problem(100.0, 330.0, 60, 5) is None
    assert age_problem(100.0, 400.0, 60, 5) == "stale"


def test_unusable_reports_invalid_before_age():
    assert Reading(85.0, 0.0).unusable(now=1000.0, report_interval_s=30) == "power_on_reset"
    assert Reading(21.0, 0.0).unusable(now=1000.0, report_interval_s=30) == "stale"
    assert Reading(21.0, 990.0).unusable(now=1000.0, report_interval_s=30) is None
