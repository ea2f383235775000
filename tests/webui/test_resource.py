"""The UI's files in memory: served with a strict CSP and the security headers, gzipped
when asked, hashed assets cached for good and index.html revalidated; the API beside them
at /v1; a Host the hub does not know gets nothing; and the standalone server's proxy."""

import gzip
import json

import pytest
import treq
from treq.testing import StubTreq
from twisted.web.resource import Resource
from twisted.web.test.requesthelper import DummyRequest

from rpymostat.web.http import json_response
from rpymostat_webui.proxy import HubProxy, Standalone
from rpymostat_webui.resource import CSP, UIResource, WithUI, load_assets, mount
from tests.hubkit import kit_gate

INDEX = b'<!doctype html><link rel="stylesheet" href="/assets/app-X.css"><script src="/assets/app-X.js"></script>'


@pytest.fixture
def assets(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_bytes(INDEX)
    (tmp_path / "assets" / "app-X.js").write_bytes(b"console.log('hi');" * 50)
    (tmp_path / "assets" / "app-X.css").write_bytes(b"body{color:red}")
    return load_assets(tmp_path)


def fetch(resource, path, method="GET", headers=None, data=None):
    stub = StubTreq(resource)
    found = []
    d = stub.request(method, "http://hub" + path, headers={"Host": "hub", **(headers or {})}, data=data)
    d.addCallback(lambda r: stub.content(r).addCallback(lambda body: found.append((r, body))))
    stub.flush()
    return found[0]


class FakeAPI(Resource):
    isLeaf = True

    def render(self, request):
        return json_response(request, {"path": request.path.decode(), "auth": (
            request.getHeader(b"authorization") or b"").decode(), "body": request.content.read().decode()})


def test_index_is_served_with_a_strict_policy(clock, assets):
    response, body = fetch(UIResource(kit_gate(clock), assets), "/")
    assert response.code == 200 and body == INDEX
    headers = response.headers
    assert headers.getRawHeaders("content-security-policy") == [CSP]
    assert "script-src 'self'" in CSP and "unsafe" not in CSP and "connect-src 'self'" in CSP
    assert headers.getRawHeaders("x-content-type-options") == ["nosniff"]
    assert headers.getRawHeaders("x-frame-options") == ["DENY"]
    assert headers.getRawHeaders("cache-control") == ["no-cache"]
    assert headers.getRawHeaders("access-control-allow-origin") is None
    assert headers.getRawHeaders("set-cookie") is None


def render_raw(resource, path: bytes, accept_encoding: bytes | None):
    """Without treq, which would undo the gzip and drop its header."""
    request = DummyRequest(path.strip(b"/").split(b"/"))
    request.requestHeaders.setRawHeaders(b"host", [b"hub"])
    if accept_encoding:
        request.requestHeaders.setRawHeaders(b"accept-encoding", [accept_encoding])
    return request, resource.render(request)


def test_assets_are_gzipped_when_asked_and_cached_for_good(clock, assets):
    ui = UIResource(kit_gate(clock), assets)
    request, body = render_raw(ui, b"/assets/app-X.js", b"deflate, gzip;q=0.9")
    headers = request.responseHeaders
    assert headers.getRawHeaders(b"content-encoding") == [b"gzip"]
    assert gzip.decompress(body) == b"console.log('hi');" * 50 and len(body) < 100
    assert headers.getRawHeaders(b"content-length") == [str(len(body)).encode()]
    assert headers.getRawHeaders(b"cache-control") == [b"public, max-age=31536000, immutable"]
    assert headers.getRawHeaders(b"content-type") == [b"text/javascript; charset=utf-8"]
    request, body = render_raw(ui, b"/assets/app-X.css", b"identity")
    assert request.responseHeaders.getRawHeaders(b"content-encoding") is None and body == b"body{color:red}"
    assert request.responseHeaders.getRawHeaders(b"content-type") == [b"text/css; charset=utf-8"]


@pytest.mark.parametrize("path", ["/nope.js", "/assets/../index.html", "/assets/", "/.env"])
def test_anything_else_is_a_json_404(clock, assets, path):
    response, body = fetch(UIResource(kit_gate(clock), assets), path)
    assert response.code == 404 and json.loads(body)["error"]["code"] == "not_found"


def test_the_files_are_read_only(clock, assets):
    response, _ = fetch(UIResource(kit_gate(clock), assets), "/", method="POST", data=b"x")
    assert response.code == 405 and response.headers.getRawHeaders("allow") == ["GET, HEAD"]


def test_a_host_the_hub_does_not_answer_to_gets_nothing(clock, assets):
    response, body = fetch(UIResource(kit_gate(clock), assets), "/", headers={"Host": "attacker.example"})
    assert response.code == 421 and INDEX not in body


def test_the_api_answers_beside_the_ui(clock, assets):
    root = mount(FakeAPI(), kit_gate(clock), assets)
    assert isinstance(root, WithUI)
    for path in ("/v1/status", "/metrics", "/nope.js", "/assets2/x"):  # the API's, or its 404
        _, body = fetch(root, path)
        assert json.loads(body)["path"] == path
    for path in ("/", "/index.html"):
        _, body = fetch(root, path)
        assert body == INDEX
    _, body = fetch(root, "/assets/app-X.css")
    assert body == b"body{color:red}"


def test_without_built_files_the_hub_serves_its_api_alone(clock, tmp_path):
    api = FakeAPI()
    assert load_assets(tmp_path) == {}
    assert mount(api, kit_gate(clock), {}) is api


def test_the_hub_serves_the_ui_when_it_is_built(hub, assets, monkeypatch):
    from rpymostat.hub import service

    monkeypatch.setattr("rpymostat_webui.resource.load_assets", lambda: assets)
    root, with_ui = service.site_resource(hub.api)
    assert with_ui
    response, body = fetch(root, "/")
    assert body == INDEX
    response, body = fetch(root, "/v1/health")
    assert json.loads(body)["status"] == "ok"


# -- the standalone server's proxy ---------------------------------------------------------

class Recorder:
    """treq's request against an in-memory hub, keeping what was sent."""

    def __init__(self, resource):
        self.stub = StubTreq(resource)
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs))
        return self.stub.request(method, url, **kwargs)


def proxied(clock, assets, hub_url="http://127.0.0.1:8573"):
    recorder = Recorder(FakeAPI())
    root = Standalone(HubProxy(recorder, lambda: hub_url, kit_gate(clock)), UIResource(kit_gate(clock), assets))
    return root, recorder


def test_the_proxy_passes_api_calls_to_the_hub(clock, assets):
    root, recorder = proxied(clock, assets)
    stub = StubTreq(root)
    found = []
    d = stub.request("POST", "http://hub/v1/rules?zone_id=1", data=b'{"a":1}',
                     headers={"Host": "hub", "Authorization": "Bearer t0k3n", "Cookie": "session=1",
                              "Content-Type": "application/json"})
    d.addCallback(lambda r: treq.content(r).addCallback(lambda body: found.append((r, body))))
    recorder.stub.flush()
    stub.flush()
    recorder.stub.flush()
    stub.flush()
    response, body = found[0]
    assert json.loads(body) == {"path": "/v1/rules", "auth": "Bearer t0k3n", "body": '{"a":1}'}
    method, url, options = recorder.sent[0]
    assert (method, url) == ("POST", b"http://127.0.0.1:8573/v1/rules?zone_id=1")
    forwarded = {k.decode().lower() for k, _ in options["headers"].getAllRawHeaders()}
    assert forwarded == {"authorization", "content-type"}


def test_the_proxy_says_when_it_has_no_hub(clock, assets):
    root, recorder = proxied(clock, assets, hub_url=None)
    response, body = fetch(root, "/v1/status")
    assert response.code == 503 and json.loads(body)["error"]["code"] == "no_hub"
    assert recorder.sent == []


def test_the_proxy_checks_its_own_host_first(clock, assets):
    root, recorder = proxied(clock, assets)
    response, _ = fetch(root, "/v1/status", headers={"Host": "rebound.example"})
    assert response.code == 421 and recorder.sent == []


def test_the_standalone_server_follows_the_advertisements_of_its_system():
    from rpymostat.node.discovery import HubCandidate
    from rpymostat.runtime.tls import Pins
    from rpymostat_webui.cli import HubChoice

    pins = Pins()
    choice = HubChoice(None, "home", pins)
    assert choice() is None
    choice.heard(HubCandidate("https://192.0.2.9:8573", "other", "lab", fingerprint="ab" * 32))
    assert choice() is None and pins.pinned("https://192.0.2.9:8573") is None
    choice.heard(HubCandidate("https://192.0.2.7:8573", "hub-1", "home", fingerprint="cd" * 32))
    assert choice() == "https://192.0.2.7:8573" and pins.pinned(choice()) == "cd" * 32
    choice.heard(HubCandidate("https://192.0.2.8:9000", "hub-1", "home", fingerprint="cd" * 32))
    assert choice() == "https://192.0.2.8:9000"
    assert HubChoice("http://hub.local:8573/", None, None)() == "http://hub.local:8573"
