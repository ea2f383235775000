"""A real hub, started with the 1024 descriptors systemd gives a service by default, under
2,000 idle connections: it raises its own descriptor limit, keeps to its connection cap by
closing the oldest idle connections, and goes on answering health and authenticated
requests. A real relay node keeps the cap and header timeout it is configured with."""

from __future__ import annotations

import resource
import socket
import time
from urllib.parse import urlsplit

import pytest

from rpymostat.runtime.config import DEFAULT_LIMITS
from tests.integration.procs import http, relay_api_url, start_hub, start_node, wait_until

IDLE_SOCKETS = 2000
CAP = DEFAULT_LIMITS.max_connections
SYSTEMD_DEFAULT_SOFT = 1024


@pytest.fixture
def descriptors():
    """Room in this process for the idle sockets (CI runs as root and may raise the hard
    limit too); the previous limits come back afterwards."""
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft, hard = before
    wanted = IDLE_SOCKETS + 512
    if soft != resource.RLIM_INFINITY and soft < wanted:
        hard = hard if hard == resource.RLIM_INFINITY else max(hard, wanted)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, before)


def like_systemd():
    """Runs in the hub's process before it starts: the soft limit systemd gives a service."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (SYSTEMD_DEFAULT_SOFT, hard))


def soft_limit(pid: int) -> int:
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    raise AssertionError("no descriptor limit in /proc")


def open_idle(address: tuple[str, int], count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(address, timeout=10)
        sock.setblocking(False)
        sockets.append(sock)
    return sockets


def closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def kept_within(sockets: list[socket.socket], cap: int) -> list[socket.socket] | None:
    """The sockets the server has not closed, once they are at most ``cap``."""
    kept = [sock for sock in sockets if not closed_by_peer(sock)]
    return kept if len(kept) <= cap else None


def timed(method: str, url: str, token: str | None = None):
    started = time.perf_counter()
    answer = http(method, url, token=token)
    return answer, (time.perf_counter() - started) * 1000


def test_hub_answers_with_2000_idle_sockets_open(tmp_path, descriptors):
    proc, url, token = start_hub(tmp_path / "hub", "--no-zeroconf", preexec_fn=like_systemd)
    host, port = urlsplit(url).hostname, urlsplit(url).port
    sockets = []
    try:
        assert soft_limit(proc.popen.pid) > SYSTEMD_DEFAULT_SOFT, "the hub kept systemd's 1024 descriptors"
        sockets = open_idle((host, int(port)), IDLE_SOCKETS)
        still_open = wait_until(lambda: kept_within(sockets, CAP), 20.0)
        assert still_open, "the hub kept more connections than its cap"
        assert sockets[-1] in still_open, "the newest idle connection was closed"

        (status, health), health_ms = timed("GET", f"{url}/v1/health")
        assert status == 200 and health["status"] == "ok"
        (status, _), zones_ms = timed("GET", f"{url}/v1/zones", token)
        assert status == 200
        print(f"with {IDLE_SOCKETS} idle sockets opened: health {health_ms:.1f} ms, zones {zones_ms:.1f} ms")
    finally:
        for sock in sockets:
            sock.close()
    try:
        assert http("GET", f"{url}/v1/health")[0] == 200
        assert http("GET", f"{url}/v1/zones", token=token)[0] == 200
    finally:
        assert proc.stop() == 0
    assert not [line for line in proc.lines if "EMFILE" in line or "Traceback" in line]


def test_relay_node_keeps_its_configured_cap_and_header_timeout(tmp_path):
    relay = start_node("relay", tmp_path / "relay", "--listen", "127.0.0.1", "--port", "0",
                       hub="http://127.0.0.1:9", env={"RPYMOSTAT_RELAY_MAX_CONNECTIONS": "4",
                                                      "RPYMOSTAT_RELAY_HEADER_TIMEOUT_S": "2"})
    sockets = []
    try:
        url = relay_api_url(relay)
        host, port = urlsplit(url).hostname, urlsplit(url).port
        sockets = open_idle((host, int(port)), 8)
        still_open = wait_until(lambda: kept_within(sockets, 4), 10.0)
        assert still_open and sockets[-1] in still_open
        assert http("GET", f"{url}/v1/health")[0] == 200
        assert wait_until(lambda: all(closed_by_peer(s) for s in sockets), 10.0), \
            "connections that never sent a request outlived the header timeout"
        assert http("GET", f"{url}/v1/health")[0] == 200
    finally:
        for sock in sockets:
            sock.close()
        assert relay.stop() == 0
