"""The OpenAPI document and the hub agree: a body or query value the document refuses is
refused with 422, and one it accepts is never refused as invalid (only the hub's state may
be against it: 404 or 409).

The document's verdict comes from a validator built here from the served document alone,
with its formats checked as ``x-formats`` describes them (by ``rpymostat.hub.api.formats``)."""

import itertools
from urllib.parse import quote

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from rpymostat.hub.api.app import HubAPI
from rpymostat.hub.api.formats import FORMATS
from tests.api.test_auth_and_input import OUT_OF_RANGE, VALID, concrete, seeded  # noqa: F401
from tests.hubkit import ENROLLMENT_KEY

DOCUMENT = HubAPI.build_openapi()
OPERATIONS = {op.name: op for op in HubAPI.routes.operations}


def _checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    for name, form in FORMATS.items():
        def check(value, form=form):
            if isinstance(value, form.kind):
                form.check(value)
            return True
        checker.checks(name, raises=ValueError)(check)
    return checker


REGISTRY = Registry().with_resource(
    "urn:doc", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))


def document_accepts(schema: dict, value) -> bool:
    return Draft202012Validator(schema, registry=REGISTRY, format_checker=_checker()).is_valid(value)


def test_the_document_names_only_formats_it_describes():
    used = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("format"), str):
                used.add(node["format"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(DOCUMENT["paths"])
    walk(DOCUMENT["components"]["schemas"])
    assert set(DOCUMENT["x-formats"]) == set(FORMATS)
    assert used - {"date-time"} == set(FORMATS)
    for name in FORMATS:
        assert f"`{name}`" in DOCUMENT["info"]["description"]


BODIES = [(name, body) for name, bodies in OUT_OF_RANGE.items() for body in [VALID[name], *bodies]]


@pytest.mark.parametrize("name, body", BODIES, ids=[f"{n}-{i}" for n, i in
                                                     zip((n for n, _ in BODIES), itertools.count())])
def test_the_hub_refuses_a_body_as_invalid_exactly_when_the_document_does(seeded, name, body):  # noqa: F811
    op = OPERATIONS[name]
    accepted = document_accepts({"$ref": f"urn:doc#/components/schemas/{op.body}"}, body)
    token = ENROLLMENT_KEY if op.role == "enrollment" else "admin"
    reply = seeded.call(op.method, concrete(op.path), body, token=token)
    if accepted:
        assert reply.status < 300 or reply.status in (404, 409), (reply.status, reply.body)
    else:
        assert reply.status == 422, (reply.status, reply.body)


QUERIES = [
    ("zone_timeline", "from", ["2026-10-01T00:00:00Z", "2026-10-01T02:00:00+02:00", "0", "yesterday",
                               "2026-10-01T00:00:00", "2026-06-30T23:59:60Z", "1969-12-31T23:59:59Z",
                               "8999-12-31T23:00:00Z", "9999-12-31T23:59:59-01:00", ""]),
    ("zone_timeline", "to", ["1970-01-01T00:00:00Z", "2026-09-21T14:13:20.5Z", "2026-09-21T14:13:20+14:00"]),
    ("zone_decisions", "to", ["2026-09-21T14:13:20Z", "1970-01-01T00:00:00Z", "20260921T141320Z"]),
    ("zone_decisions", "limit", ["1", "10000", "0", "1.0", "1_0", "１", "x"]),
    ("list_rules", "zone_id", ["1", "2", "-1", "2147483647", "2147483648"]),
]


@pytest.mark.parametrize("name, param, value", [(n, p, v) for n, p, values in QUERIES for v in values])
def test_the_hub_refuses_a_query_value_as_invalid_exactly_when_the_document_does(
        seeded, name, param, value):  # noqa: F811
    op = OPERATIONS[name]
    item = DOCUMENT["paths"][op.path][op.method.lower()]
    schema = next(p["schema"] for p in item["parameters"] if p["name"] == param)
    typed = int(value) if schema["type"] == "integer" and value.lstrip("-").isascii() \
        and value.lstrip("-").isdigit() else value
    accepted = document_accepts(schema, typed)
    reply = seeded.call("GET", f"{concrete(op.path)}?{param}={quote(value, safe='')}")
    if accepted:
        assert reply.status == 200 or reply.status == 404, (reply.status, reply.body)
    else:
        assert reply.status == 422, (reply.status, reply.body)
