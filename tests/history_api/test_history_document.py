"""The history routes and their OpenAPI entries agree: a query value the document refuses is
refused with 422, one it accepts never is; the document shows an example of each answer,
and the examples hold to the schemas that describe the answers."""

from urllib.parse import quote

import pytest

from tests.api.test_document_agrees import DOCUMENT, OPERATIONS, document_accepts
from tests.history_api.kit import S1, post_readings, zone_with_equipment

QUERIES = [
    ("get_history", "max_points", ["1", "10000", "0", "10001", "1.5", "x"]),
    ("get_history", "from", ["2026-09-21T00:00:00Z", "2026-09-21T02:00:00+02:00", "yesterday", ""]),
    ("get_history", "format", ["json", "xml", ""]),  # csv, which is not JSON: test_history_api
    ("history_series", "prefix", ["zone/", "", "a b", "x" * 201]),
    ("list_runs", "zone_id", ["1", "0", "-1", "2147483648"]),
    ("list_runs", "limit", ["1", "1000", "1001", "0"]),
]


@pytest.fixture
def with_data(hub):
    zone_with_equipment(hub)
    post_readings(hub, [(S1, hub.clock.seconds() - 60, 20.0)])
    return hub


def schema_of(name, param):
    op = OPERATIONS[name]
    item = DOCUMENT["paths"][op.path][op.method.lower()]
    return next(p["schema"] for p in item["parameters"] if p["name"] == param)


@pytest.mark.parametrize("name, param, value", [(n, p, v) for n, p, values in QUERIES for v in values])
def test_a_query_value_is_refused_exactly_when_the_document_refuses_it(with_data, name, param, value):
    schema = schema_of(name, param)
    typed = int(value) if schema["type"] == "integer" and value.lstrip("-").isdigit() else value
    accepted = document_accepts(schema, typed)
    op = OPERATIONS[name]
    series = f"series={quote(f'sensor/{S1}', safe='')}&" if name == "get_history" else ""
    reply = with_data.call("GET", f"{op.path}?{series}{param}={quote(value, safe='')}")
    if accepted:
        assert reply.status in (200, 404), (reply.status, reply.body)
    else:
        assert reply.status == 422, (reply.status, reply.body)


@pytest.mark.parametrize("series", [[f"sensor/{S1}"], [f"sensor/{S1}"] * 2, [], ["x" * 201], ["/x"],
                                    [f"s/{i}" for i in range(17)]])
def test_repeated_series_are_checked_as_the_documented_array(with_data, series):
    accepted = document_accepts(schema_of("get_history", "series"), series)
    reply = with_data.call("GET", "/v1/history?" + "&".join(f"series={quote(s, safe='')}" for s in series))
    assert reply.status in ((200, 404) if accepted else (422,)), (reply.status, reply.body)


@pytest.mark.parametrize("path, schema", [("/v1/history", "History"), ("/v1/history/series", "SeriesNames"),
                                          ("/v1/runs", "RunList")])
def test_each_answer_has_an_example_that_its_schema_accepts(path, schema):
    content = DOCUMENT["paths"][path]["get"]["responses"]["200"]["content"]
    example = content["application/json"]["example"]
    assert document_accepts({"$ref": f"urn:doc#/components/schemas/{schema}"}, example)
    if path == "/v1/history":
        assert content["text/csv"]["example"].startswith("series,time,min,mean,max,count\r\n")
