"""Rule parsing and validation, holds, and the JSON Schemas (rpymostat.core.schedule.rules)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from rpymostat.core.schedule.rules import (
    SCHEMAS,
    HoldRequest,
    RuleError,
    parse_hold,
    patch_rule,
    rule_from_json,
    rule_from_record,
    rule_to_json,
)
from rpymostat.core.target import Target
from rpymostat.core.timeutil import UTC

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
TARGET = {"mode": "heat", "heat_setpoint": 20.5}
WEEKNIGHTS = {"zone_id": 1, "name": "weeknights", "kind": "recurring", "cron": "0 18 * * 1-5",
              "duration": "PT5H", "target": TARGET, "priority": 0, "enabled": True}
AWAY = {"zone_id": 1, "name": "away", "kind": "once",
        "interval": "2026-12-21T00:00/2026-12-28T23:59", "target": TARGET}
# Stands in for the API's Target schema, so that references resolve in these tests.
TARGET_SCHEMA = {"type": "object", "required": ["mode"],
                 "properties": {"mode": {"enum": ["heat", "cool", "auto", "off", "fan"]}}}


def parse(body, **kw):
    return rule_from_json(body, tz=NY, now=NOW, rule_id=kw.pop("rule_id", 7), **kw)


def problems_of(body):
    with pytest.raises(RuleError) as caught:
        parse(body)
    return dict(caught.value.problems)


def validator(name):
    root = {"$ref": f"#/components/schemas/{name}",
            "components": {"schemas": {**SCHEMAS, "Target": TARGET_SCHEMA}}}
    return jsonschema.Draft202012Validator(root)


def test_recurring_rule_with_duration():
    rule = parse(WEEKNIGHTS)
    assert (rule.id, rule.zone_id, rule.name, rule.kind) == (7, 1, "weeknights", "recurring")
    assert rule.cron == "0 18 * * 1-5" and rule.duration == timedelta(hours=5)
    assert rule.end_cron is None and rule.interval is None
    assert rule.target == Target(heat_setpoint=20.5)
    assert rule.changed_at == NOW and rule.enabled and rule.priority == 0


def test_recurring_rule_with_end_cron():
    body = {**WEEKNIGHTS, "end_cron": "0 23 * * 1-5"}
    del body["duration"]
    rule = parse(body)
    assert rule.end_cron == "0 23 * * 1-5" and rule.duration is None


def test_once_rule_keeps_the_interval_as_written():
    rule = parse(AWAY)
    assert rule.interval == "2026-12-21T00:00/2026-12-28T23:59"
    assert rule.cron is None and rule.priority == 0 and rule.enabled


@pytest.mark.parametrize("change, field, words", [
    ({"cron": "61 18 * * *"}, "cron", "invalid cron"),
    ({"cron": "0 18 * *"}, "cron", "five fields"),
    ({"cron": "0 0 30 2 *"}, "cron", "never fires"),
    ({"duration": "PT0S"}, "duration", "positive"),
    ({"duration": "-PT1H"}, "duration", "positive"),
    ({"duration": "P1M"}, "duration", "years or months"),
    ({"duration": "P40D"}, "duration", "at most P31D"),
    ({"duration": "5 hours"}, "duration", "not an ISO 8601 duration"),
    ({"end_cron": "0 23 * * *"}, "duration", "exactly one"),
    ({"interval": "2026-12-21T00:00/PT1H"}, "interval", "recurring rule"),
    ({"target": {"mode": "heat", "heat_setpoint": 40}}, "target", "within 5..35"),
    ({"target": {"mode": "heat", "heat_setpoint": 2}}, "target", "within 5..35"),
    ({"target": {"mode": "cool"}}, "target", "needs cool_setpoint"),
    ({"target": {"mode": "sauna", "heat_setpoint": 20}}, "target", "mode must be one of"),
    ({"target": {"sensors": [{"weight": 1}]}}, "target", "malformed"),
    ({"target": "warm"}, "target", "must be an object"),
    ({"priority": 101}, "priority", "-100..100"),
    ({"priority": True}, "priority", "-100..100"),
    ({"enabled": "yes"}, "enabled", "true or false"),
    ({"name": ""}, "name", "non-empty"),
    ({"name": "x" * 81}, "name", "at most 80"),
    ({"zone_id": 0}, "zone_id", "positive integer"),
    ({"colour": "red"}, "colour", "unknown field"),
])
def test_invalid_recurring_rule_says_which_field_and_why(change, field, words):
    found = problems_of({**WEEKNIGHTS, **change})
    assert words in found[field]


@pytest.mark.parametrize("interval, words", [
    ("2026-12-28T00:00/2026-12-21T00:00", "ends before or when it starts"),
    ("2026-12-21T00:00/2026-12-21T00:00", "ends before or when it starts"),
    ("2026-12-21T00:00/PT0S", "positive"),
    ("next week", "start/end"),
    ("2026-12-21/2026-12-28", "not just a date"),
    ("2026-12-32T00:00/PT1H", "not an ISO 8601 time"),
])
def test_invalid_once_interval_says_why(interval, words):
    assert words in problems_of({**AWAY, "interval": interval})["interval"]


def test_missing_fields_are_listed_together():
    found = problems_of({"kind": "recurring"})
    assert set(found) == {"zone_id", "name", "target"}


def test_kind_must_be_recurring_or_once():
    assert "recurring, once" in problems_of({**AWAY, "kind": "hold"})["kind"]


def test_error_message_and_details_name_the_fields():
    with pytest.raises(RuleError) as caught:
        parse({**WEEKNIGHTS, "cron": "bad", "priority": 500})
    assert "cron:" in str(caught.value) and "priority:" in str(caught.value)
    assert {d["field"] for d in caught.value.details()} == {"cron", "priority"}


def test_patch_changes_fields_and_the_change_time():
    rule = parse(WEEKNIGHTS)
    later = NOW + timedelta(hours=1)
    patched = patch_rule(rule, {"priority": 5, "cron": "0 17 * * 1-5"}, tz=NY, now=later)
    assert (patched.priority, patched.cron, patched.changed_at) == (5, "0 17 * * 1-5", later)
    assert patched.duration == rule.duration and patched.id == rule.id


def test_patch_switches_duration_for_end_cron():
    rule = parse(WEEKNIGHTS)
    patched = patch_rule(rule, {"end_cron": "0 23 * * *", "duration": None}, tz=NY, now=NOW)
    assert patched.end_cron == "0 23 * * *" and patched.duration is None
    with pytest.raises(RuleError, match="exactly one"):
        patch_rule(rule, {"end_cron": "0 23 * * *"}, tz=NY, now=NOW)


@pytest.mark.parametrize("body, field, words", [
    ({"kind": "once"}, "kind", "cannot be changed"),
    ({"zone_id": 2}, "zone_id", "cannot be changed"),
    ({}, "", "at least one field"),
    ({"name": None}, "name", "cannot be null"),
    ({"cron": "* * *"}, "cron", "five fields"),
    ({"target": {"mode": "heat", "heat_setpoint": 36}}, "target", "within 5..35"),
])
def test_bad_patch_is_refused(body, field, words):
    with pytest.raises(RuleError) as caught:
        patch_rule(parse(WEEKNIGHTS), body, tz=NY, now=NOW)
    assert words in dict(caught.value.problems)[field]


def test_patch_checks_the_once_interval():
    with pytest.raises(RuleError, match="ends before"):
        patch_rule(parse(AWAY), {"interval": "2026-12-21T00:00/2026-12-20T00:00"}, tz=NY, now=NOW)


@pytest.mark.parametrize("body", [WEEKNIGHTS, AWAY])
def test_rule_json_round_trips_and_matches_the_schema(body):
    rule = parse(body)
    data = rule_to_json(rule)
    validator("Rule").validate(data)
    assert rule_from_record(data, tz=NY) == rule


def test_hold_record_round_trips():
    hold = parse(WEEKNIGHTS)
    hold = type(hold)(id=3, zone_id=1, name="hold", kind="hold", target=hold.target,
                      start=NOW, end=None, changed_at=NOW)
    data = rule_to_json(hold)
    validator("Rule").validate(data)
    assert rule_from_record(data, tz=NY) == hold


@pytest.mark.parametrize("until, expected", [
    (None, None),
    ("next", "next"),
    ("PT2H", timedelta(hours=2)),
    ("2026-12-01T18:00", datetime(2026, 12, 1, 23, tzinfo=UTC)),  # local time in New York
    ("2026-12-01T18:00Z", datetime(2026, 12, 1, 18, tzinfo=UTC)),
])
def test_hold_until_forms(until, expected):
    request = parse_hold({"target": TARGET, "until": until}, tz=NY, now=NOW)
    assert request == HoldRequest(Target(heat_setpoint=20.5), expected)


@pytest.mark.parametrize("body, field, words", [
    ({"target": TARGET, "until": "2026-12-01T11:00Z"}, "until", "not after now"),
    ({"target": TARGET, "until": "PT0S"}, "until", "positive"),
    ({"target": TARGET, "until": "tomorrow"}, "until", "not an ISO 8601 time"),
    ({"target": TARGET, "until": 5}, "until", "a time, a duration"),
    ({"target": TARGET}, "until", "required"),
    ({"target": {"mode": "heat", "heat_setpoint": 50}, "until": None}, "target", "within 5..35"),
    ({"target": TARGET, "until": None, "why": 1}, "why", "unknown field"),
])
def test_bad_hold_is_refused(body, field, words):
    with pytest.raises(RuleError) as caught:
        parse_hold(body, tz=NY, now=NOW)
    assert words in dict(caught.value.problems)[field]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schemas_are_valid_draft_2020_12(name):
    jsonschema.Draft202012Validator.check_schema(SCHEMAS[name])


def test_object_schemas_refuse_unknown_fields():
    for name, schema in SCHEMAS.items():
        if schema.get("type") == "object":
            assert schema["additionalProperties"] is False, name


@pytest.mark.parametrize("body, valid", [
    (WEEKNIGHTS, True),
    (AWAY, True),
    ({**WEEKNIGHTS, "end_cron": "0 23 * * *"}, False),       # both duration and end_cron
    ({k: v for k, v in WEEKNIGHTS.items() if k != "duration"}, False),  # neither
    ({**WEEKNIGHTS, "priority": 101}, False),
    ({**WEEKNIGHTS, "name": "x" * 81}, False),
    ({**AWAY, "cron": "0 18 * * *"}, False),
    ({**AWAY, "kind": "hold"}, False),
    ({**AWAY, "colour": "red"}, False),
])
def test_rule_create_schema_agrees_with_the_parser(body, valid):
    assert validator("RuleCreate").is_valid(body) is valid
    if valid:
        parse(body)
    else:
        with pytest.raises(RuleError):
            parse(body)


@pytest.mark.parametrize("body, valid", [
    ({"target": TARGET, "until": None}, True),
    ({"target": TARGET, "until": "next"}, True),
    ({"target": TARGET, "until": "PT2H"}, True),
    ({"target": TARGET}, False),
    ({"target": TARGET, "until": None, "x": 1}, False),
])
def test_hold_schema(body, valid):
    assert validator("Hold").is_valid(body) is valid


def test_patch_schema():
    assert validator("RulePatch").is_valid({"duration": None, "end_cron": "0 7 * * *"})
    assert not validator("RulePatch").is_valid({})
    assert not validator("RulePatch").is_valid({"kind": "once"})
