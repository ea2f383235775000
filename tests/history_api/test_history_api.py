"""GET /v1/history, /v1/history/series and /v1/runs through the real API and store: raw
points or exact buckets, CSV, and bad input refused with a 4xx that changes nothing."""

import csv
import io
from urllib.parse import urlencode

import pytest

from rpymostat.core.timeutil import format_time
from tests.history_api.kit import S1, S2, decision, post_readings, switch, zone_with_equipment

HOUR = 3600.0


@pytest.fixture
def day(hub):
    """A zone, and a day of readings of S1 every minute (and S2 every 10) up to now."""
    zone_id = zone_with_equipment(hub)
    now = hub.clock.seconds()
    start = now - 24 * HOUR
    readings = [(S1, start + 60 * i, round(18 + (i % 97) / 10, 2)) for i in range(24 * 60)]
    readings += [(S2, start + 600 * i, 21.0) for i in range(24 * 6)]
    post_readings(hub, readings)
    hub.zone_id, hub.start, hub.readings = zone_id, start, readings
    return hub


def url(**query):
    return "/v1/history?" + urlencode([(k, v) for k, values in query.items()
                                       for v in (values if isinstance(values, list) else [values])])


def get_text(hub, path, headers=None):
    outcome = []
    headers = {"Host": "hub", "Authorization": f"Bearer {hub.admin_token}", **(headers or {})}
    d = hub.client.get("http://hub" + path, headers=headers)
    d.addCallback(lambda r: hub.client.content(r).addCallback(lambda body: outcome.append((r, body))))
    hub.client.flush()
    response, body = outcome[0]
    return response.code, response.headers.getRawHeaders("content-type")[0], body.decode()


def test_few_enough_points_come_raw(day):
    reply = day.call("GET", url(series=f"sensor/{S1}", **{"from": format_time(day.start)},
                                to=format_time(day.start + HOUR), max_points=100))
    assert reply.status == 200, reply.body
    (series,) = reply.body["series"]
    assert (series["name"], series["resolution"], series["step_s"]) == (f"sensor/{S1}", "raw", None)
    expected = [(format_time(t), v) for _, t, v in day.readings[:60]]
    assert [(p["time"], p["mean"]) for p in series["points"]] == expected
    assert all(p["min"] == p["mean"] == p["max"] and p["count"] == 1 for p in series["points"])


def test_many_points_come_as_buckets_equal_to_the_raw_points_they_hold(day):
    start, end = day.start, day.start + 24 * HOUR
    reply = day.call("GET", url(series=[f"sensor/{S1}", f"sensor/{S2}"], **{"from": format_time(start)},
                                to=format_time(end), max_points=30))
    assert reply.status == 200, reply.body
    first, second = reply.body["series"]
    assert second["name"] == f"sensor/{S2}"
    assert first["resolution"] != "raw" and len(first["points"]) <= 30
    step = first["step_s"]
    raw = [(t, v) for sensor, t, v in day.readings if sensor == S1]
    for point in first["points"]:
        begin = next(t for t, _ in raw if format_time(t) >= point["time"]) // step * step
        inside = [v for t, v in raw if begin <= t < begin + step]
        assert point["count"] == len(inside)
        assert (point["min"], point["max"]) == (min(inside), max(inside))
        assert point["mean"] == pytest.approx(sum(inside) / len(inside), abs=0.01)
    assert sum(p["count"] for p in first["points"]) == len(raw)


def test_csv_by_format_or_accept_header(day):
    query = dict(series=f"sensor/{S1}", **{"from": format_time(day.start)}, to=format_time(day.start + 600))
    for path, headers in ((url(**query, format="csv"), {}), (url(**query), {"Accept": "text/csv"})):
        status, kind, text = get_text(day, path, headers)
        assert status == 200 and kind.startswith("text/csv")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["series", "time", "min", "mean", "max", "count"]
        assert rows[1:] == [[f"sensor/{S1}", format_time(t), repr(v), repr(v), repr(v), "1"]
                            for _, t, v in day.readings[:10]]
    status, kind, _ = get_text(day, url(**query, format="json"), {"Accept": "text/csv"})
    assert status == 200 and kind == "application/json"


def test_the_series_are_listed(day):
    day.raw_store.record_control([decision(day.zone_id, day.clock.seconds())], [])
    names = day.call("GET", "/v1/history/series").body["series"]
    assert {f"sensor/{S1}", f"sensor/{S2}", f"zone/{day.zone_id}/temperature", "output/gpio17/state"} <= set(names)
    assert day.call("GET", f"/v1/history/series?prefix=zone/{day.zone_id}/").body["series"] == sorted(
        f"zone/{day.zone_id}/{field}" for field in ("action", "mode", "target", "temperature"))


def test_a_range_too_long_is_cut_and_one_backwards_is_empty(day):
    query = {"series": f"sensor/{S1}", "to": format_time(day.clock.seconds())}
    long = day.call("GET", url(**query, **{"from": "2010-01-01T00:00:00Z"}, max_points=10000)).body
    assert long["truncated"] is True and long["from"] == format_time(day.clock.seconds() - 3653 * 86400)
    assert sum(p["count"] for p in long["series"][0]["points"]) == 24 * 60
    backwards = day.call("GET", url(**query, **{"from": format_time(day.clock.seconds() + 60)})).body
    assert backwards["series"] == [{"name": f"sensor/{S1}", "resolution": "raw", "step_s": None, "points": []}]
    assert backwards["truncated"] is False


@pytest.mark.parametrize("query, status, words", [
    ({"series": "sensor/nope"}, 404, "no series 'sensor/nope'"),
    ({}, 422, "series is required"),
    ({"series": f"sensor/{S1}", "max_points": "0"}, 422, "max_points"),
    ({"series": f"sensor/{S1}", "max_points": "10001"}, 422, "max_points"),
    ({"series": f"sensor/{S1}", "from": "yesterday"}, 422, "from"),
    ({"series": [f"sensor/{i}" for i in range(17)]}, 422, "series"),
    ({"series": [f"sensor/{S1}", f"sensor/{S1}"]}, 422, "series"),
    ({"series": "../etc"}, 422, "series"),
    ({"series": f"sensor/{S1}", "format": "xml"}, 422, "format"),
])
def test_bad_queries_get_a_clear_4xx_and_change_nothing(day, query, status, words):
    before = day.dump()
    reply = day.call("GET", url(**query))
    assert reply.status == status, reply.body
    assert words in reply.body["error"]["message"]
    assert day.dump() == before


def test_runs_by_zone_and_range(day):
    store, zone_id, t0 = day.raw_store, day.zone_id, day.clock.seconds()
    store.record_control([decision(zone_id, t0)], [switch(zone_id, "on", t0)])
    store.sample_runs(t0 + 300, 300, {zone_id: 18.4})
    store.record_control([], [switch(zone_id, "off", t0 + HOUR)])
    store.record_control([], [switch(zone_id, "on", t0 + 2 * HOUR)])
    day.clock.advance(3 * HOUR)
    reply = day.call("GET", f"/v1/runs?zone_id={zone_id}")
    assert reply.status == 200, reply.body
    closed, running = reply.body["runs"]
    assert (closed["start"], closed["end"], closed["duration_s"]) == (format_time(t0), format_time(t0 + HOUR), HOUR)
    last_s1 = [v for sensor, _, v in day.readings if sensor == S1][-1]
    assert closed["start_sensors"] == {S1: last_s1, S2: 21.0}
    assert closed["start_temperature"] == 19.0
    assert [(s["time"], s["temperature"]) for s in closed["samples"]] == [(format_time(t0 + 300), 18.4)]
    assert running["end"] is None and running["duration_s"] is None
    assert reply.body["truncated"] is False
    newest = day.call("GET", f"/v1/runs?limit=1&from={format_time(t0 - HOUR)}").body
    assert [r["id"] for r in newest["runs"]] == [running["id"]] and newest["truncated"] is True
    assert day.call("GET", "/v1/runs?from=2020-01-01T00:00:00Z").body["truncated"] is True
    assert day.call("GET", f"/v1/runs?to={format_time(t0 - 60)}").body["runs"] == []
    assert day.call("GET", "/v1/runs?zone_id=99").status == 404
    assert day.call("GET", "/v1/runs?limit=0").status == 422
