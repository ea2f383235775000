"""Teach schemathesis the formats of RPyMostat's OpenAPI document (``x-formats``).

schemathesis knows the standard formats only. For the API's own string formats it gets
generators of values the hub's parsers take, so that positive requests reach the
handlers. Formats on objects and arrays (a target's setpoints, distinct ids) it cannot
generate; where it counted a request as schema-valid (or invalid) that the document's
formats say otherwise, the case is dropped (positive cases), or the failure it reports is
the document's verdict misread and is dropped: the verdict is recomputed from the served
document with its formats.
Loaded through ``SCHEMATHESIS_HOOKS``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import available_timezones

import schemathesis
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData

from rpymostat.core.timeutil import format_duration
from rpymostat.hub.api import formats

_OFFSETS = st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5)),
                            timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=14))])
_TIMES = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(8999, 12, 30))
_INSTANTS = st.builds(lambda t, tz: t.replace(tzinfo=tz).isoformat(), _TIMES, _OFFSETS)
_LOCAL = _TIMES.map(lambda t: t.isoformat(timespec="minutes"))
_DURATIONS = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=31)).map(format_duration)
# Minutes fixed: a rule that starts every minute makes the hub resolve half a million
# occurrences for a 400-day timeline or a zone's next change (about 20 s on the reactor).
_CRON_FIELDS = [st.sampled_from(["0", "30", "15,45"]), st.sampled_from(["*", "6", "18", "6-9", "*/2"]),
                st.sampled_from(["*", "1", "15", "1-7"]), st.sampled_from(["*", "1", "6-8", "12"]),
                st.sampled_from(["*", "1-5", "0,6", "3"])]
STRATEGIES = {
    formats.INSTANT: _INSTANTS,
    formats.RULE_DURATION: _DURATIONS,
    formats.INTERVAL: st.one_of(st.builds(lambda a, d: f"{a}/{d}", _LOCAL, _DURATIONS),
                                st.builds(lambda d, b: f"{d}/{b}", _DURATIONS, _INSTANTS)),
    formats.CRON: st.tuples(*_CRON_FIELDS).map(" ".join),
    formats.HOLD_UNTIL: st.one_of(st.just("next"), _DURATIONS,
                                  st.datetimes(min_value=datetime(2030, 1, 1), max_value=datetime(2100, 1, 1))
                                  .map(lambda t: t.isoformat(timespec="seconds"))),
    formats.TIME_ZONE: st.sampled_from(sorted(available_timezones())),
}
for _name, _strategy in STRATEGIES.items():
    schemathesis.openapi.format(_name, _strategy.filter(lambda v, n=_name: formats.problem(n, v) is None))


@lru_cache(maxsize=4)
def _validators(document_id: int, document_json: str):
    import json

    document = json.loads(document_json)
    registry = Registry().with_resource(
        "urn:doc", Resource.from_contents(document, default_specification=DRAFT202012))
    checker = FormatChecker(formats=())
    for name in document.get("x-formats", {}):
        checker.checks(name, raises=ValueError)(lambda value, n=name: formats.problem(n, value) is None)
    return document, registry, checker


def _document_accepts(case) -> bool:
    import json

    raw = case.operation.schema.raw_schema
    document, registry, checker = _validators(id(raw), json.dumps(raw, sort_keys=True))
    item = document["paths"][case.operation.path][case.method.lower()]

    def valid(schema, value) -> bool:
        return Draft202012Validator(schema, registry=registry, format_checker=checker).is_valid(value)

    for param in item.get("parameters", ()):
        if param["in"] == "query" and param["name"] in (case.query or {}):
            value = case.query[param["name"]]
            if param["schema"].get("type") == "integer" and isinstance(value, str) \
                    and re.fullmatch(r"-?[0-9]+", value):
                value = int(value)
            if not valid(param["schema"], value):
                return False
    body = item.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None and case.body is not None:
        schema = {"$ref": "urn:doc" + body["schema"]["$ref"]}
        return valid(schema, case.body)
    return True


@schemathesis.hook
def filter_case(context, case) -> bool:
    """A positive case is one the document's formats accept too."""
    meta = case.meta
    return meta is None or not meta.generation.mode.is_positive or _document_accepts(case)


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    if isinstance(failure, RejectedPositiveData):
        return _document_accepts(case)
    if isinstance(failure, AcceptedNegativeData):
        return not _document_accepts(case)
    return True
