"""``rpymostat-webui`` as a process in front of a real hub on loopback: the UI's files with
their policy, API calls and the live event stream proxied through one origin, and the hub
found over mDNS (on loopback) when none is given."""

from __future__ import annotations

import json
import socket
import time

import pytest

from rpymostat_webui.resource import built
from tests.integration.procs import BIN, Proc, fingerprint_in_log, http, start_hub

pytestmark = pytest.mark.skipif(not built(), reason="the web UI is not built (make webui needs npm)")


def start_webui(*args: str) -> tuple[Proc, str]:
    proc = Proc([str(BIN / "rpymostat-webui"), "--port", "0", "--listen", "127.0.0.1", *args])
    url = proc.wait_for(r"web UI on (http://127\.0\.0\.1:\d+)/").group(1)
    return proc, url


def raw_get(url: str, path: str, headers: dict) -> tuple[socket.socket, bytes]:
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    sock.sendall("\r\n".join(lines).encode())
    return sock, b""


def read_until(sock: socket.socket, buffer: bytes, needle: bytes, timeout: float = 10.0) -> bytes:
    deadline = time.monotonic() + timeout
    while needle not in buffer:
        assert time.monotonic() < deadline, f"{needle!r} not in {buffer[-400:]!r}"
        chunk = sock.recv(65536)
        assert chunk, f"the stream closed before {needle!r}"
        buffer += chunk
    return buffer


@pytest.fixture
def hub(tmp_path):
    proc, url, token = start_hub(tmp_path / "hub", "--system", "webui-test")
    yield proc, url, token
    proc.stop()


def test_the_ui_server_proxies_a_given_hub_with_its_pinned_certificate(hub, tmp_path):
    hub_proc, hub_url, token = hub
    ui, url = start_webui("--hub", hub_url, "--hub-fingerprint", fingerprint_in_log(hub_proc))
    try:
        status, health = http("GET", f"{url}/v1/health")
        assert status == 200 and health["system"] == "webui-test"
        assert http("GET", f"{url}/v1/status", token=token)[0] == 200
        assert http("GET", f"{url}/v1/status", token="wrong")[0] == 401
        assert http("GET", f"{url}/v1/status", token=token, headers={"Origin": "http://evil.example"})[0] == 403
        sock, buffer = raw_get(url, "/", {"Accept-Encoding": "gzip"})
        head = read_until(sock, buffer, b"\r\n\r\n").lower()
        sock.close()
        assert b"content-security-policy: default-src 'none'" in head and b"content-encoding: gzip" in head

        sock, buffer = raw_get(url, "/v1/events", {"Authorization": f"Bearer {token}"})
        buffer = read_until(sock, buffer, b"event: hello")
        assert http("PATCH", f"{url}/v1/settings", {"deadband": 0.7}, token=token)[0] == 200
        buffer = read_until(sock, buffer, b'event: change\ndata: {"kind":"settings"}')
        sock.close()
    finally:
        ui.stop()


def test_the_ui_server_finds_the_hub_of_its_system_over_mdns(hub):
    _, _, token = hub
    ui, url = start_webui("--system", "webui-test", "--zeroconf-interface", "127.0.0.1")
    try:
        ui.wait_for(r"using the hub \w+ \(webui-test\)", 30)
        status, body = http("GET", f"{url}/v1/status", token=token)
        assert status == 200 and body["system"] == "webui-test", body
    finally:
        ui.stop()


def test_without_a_hub_the_proxy_says_so(tmp_path):
    ui, url = start_webui("--system", "no-such-system", "--zeroconf-interface", "127.0.0.1")
    try:
        status, body = http("GET", f"{url}/v1/status", token="x")
        assert status == 503 and body["error"]["code"] == "no_hub", json.dumps(body)
    finally:
        ui.stop()
