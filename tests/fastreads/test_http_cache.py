"""ETag, If-None-Match and gzip on the read routes, in the one place every answer leaves."""

from __future__ import annotations

import gzip
import json

from twisted.web.test.requesthelper import DummyRequest

from rpymostat.web.http import send
from tests.hubkit import sensor_node


def raw(hub, method: str, path: str, headers: dict | None = None, body=None):
    """(status, headers, bytes as sent): unlike ``hub.call``, nothing is decoded."""
    all_headers = {"Host": "hub", "Authorization": f"Bearer {hub.admin_token}", **(headers or {})}
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    outcome = []
    d = hub.client.request(method, "http://hub" + path, data=data, headers=all_headers)
    d.addCallback(lambda r: hub.client.content(r).addCallback(lambda c: outcome.append((r, c))))
    hub.client.flush()
    response, content = outcome[0]
    return response.code, response.headers, content


def header(headers, name: str) -> str | None:
    values = headers.getRawHeaders(name)
    return None if values is None else values[0]


def test_a_read_carries_an_etag_and_an_unchanged_one_answers_304(hub):
    hub.call("POST", "/v1/zones", {"name": "Living"})
    status, headers, body = raw(hub, "GET", "/v1/zones")
    etag = header(headers, "etag")
    assert status == 200 and etag and json.loads(body)["zones"][0]["name"] == "Living"
    assert header(headers, "cache-control") == "private, no-cache"
    status, headers, body = raw(hub, "GET", "/v1/zones", {"If-None-Match": etag})
    assert (status, body, header(headers, "etag")) == (304, b"", etag)
    status, _, _ = raw(hub, "GET", "/v1/zones", {"If-None-Match": f'"other", W/{etag}'})
    assert status == 304


def test_a_change_makes_a_new_etag(hub):
    hub.call("POST", "/v1/zones", {"name": "Living"})
    _, headers, _ = raw(hub, "GET", "/v1/zones")
    etag = header(headers, "etag")
    hub.call("PATCH", "/v1/zones/1", {"name": "Lounge"})
    status, headers, body = raw(hub, "GET", "/v1/zones", {"If-None-Match": etag})
    assert status == 200 and header(headers, "etag") != etag
    assert json.loads(body)["zones"][0]["name"] == "Lounge"


def test_a_large_body_goes_gzipped_to_a_client_that_accepts_it(hub):
    # treq's client always asks for gzip, and takes it off on the way in.
    sensor_node(hub, sensors=[f"28-{i:012x}" for i in range(40)])
    status, headers, body = raw(hub, "GET", "/v1/sensors")
    assert status == 200 and len(json.loads(body)["sensors"]) == 40
    etag = header(headers, "etag")
    assert etag.endswith('-gz"') and header(headers, "vary") == "Accept-Encoding"
    plain_etag = etag.replace("-gz", "")
    status, _, _ = raw(hub, "GET", "/v1/sensors", {"If-None-Match": plain_etag})
    assert status == 304  # the same body, whatever encoding the client cached


def sent(body: bytes, headers: dict, method: bytes = b"GET"):
    request = DummyRequest([b""])
    request.method = method
    for name, value in headers.items():
        request.requestHeaders.addRawHeader(name, value)
    out = send(request, body, b"application/json")
    return request, out


def test_the_gzipped_bytes_are_the_body_compressed():
    body = json.dumps({"segments": [{"start": i, "why": "recurring rule 'nights'"} for i in range(200)]}).encode()
    request, out = sent(body, {b"accept-encoding": b"gzip, deflate"})
    assert request.responseHeaders.getRawHeaders(b"content-encoding") == [b"gzip"]
    assert gzip.decompress(out) == body and len(out) < len(body) / 5
    _, again = sent(body, {b"accept-encoding": b"gzip"})
    assert again is out  # compressed once, sent again from memory
    for refused in (b"identity", b"gzip;q=0", b"br"):
        request, out = sent(body, {b"accept-encoding": refused})
        assert out == body and request.responseHeaders.getRawHeaders(b"content-encoding") is None
    request, out = sent(body, {b"accept-encoding": b"gzip"}, method=b"POST")
    assert out == body and request.responseHeaders.getRawHeaders(b"etag") is None


def test_a_small_body_is_sent_as_it_is(hub):
    _, headers, body = raw(hub, "GET", "/v1/zones", {"Accept-Encoding": "gzip"})
    assert not header(headers, "etag").endswith('-gz"') and json.loads(body) == {"zones": []}


def test_writes_and_errors_are_never_cached(hub):
    status, headers, _ = raw(hub, "POST", "/v1/zones", body={"name": "Living"})
    assert status == 201 and header(headers, "etag") is None
    assert header(headers, "cache-control") == "no-store"
    status, headers, _ = raw(hub, "GET", "/v1/zones/9")
    assert status == 404 and header(headers, "etag") is None
    assert header(headers, "cache-control") == "no-store"
