"""The hub and a relay node, run as systemd runs them with ``WatchdogSec=``, ping the
watchdog from their reactors once ready."""

import socket
import time

from tests.integration.procs import relay_api_url, start_hub, start_node


def datagrams(listener: socket.socket, count: int, timeout: float = 20.0) -> list[bytes]:
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        listener.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            got.append(listener.recv(256))
        except TimeoutError:
            break
    return got


def test_hub_and_relay_ping_the_watchdog_after_ready(tmp_path):
    listeners = {}
    for name in ("hub", "relay"):
        listeners[name] = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listeners[name].bind(str(tmp_path / f"{name}.sock"))
    # 0.4 s: a ping every 0.2 s.
    watchdog = {"WATCHDOG_USEC": "400000"}
    procs = []
    try:
        hub, url, _ = start_hub(tmp_path / "hub", "--no-zeroconf", "--no-tls",
                                env={"NOTIFY_SOCKET": str(tmp_path / "hub.sock"), **watchdog})
        procs.append(hub)
        relay = start_node("relay", tmp_path / "relay", "--no-tls", "--port", "0", "--listen", "127.0.0.1",
                           hub=url, env={"NOTIFY_SOCKET": str(tmp_path / "relay.sock"), **watchdog})
        procs.append(relay)
        relay_api_url(relay)
        for name, listener in listeners.items():
            got = datagrams(listener, 4)
            assert got == [b"READY=1"] + [b"WATCHDOG=1"] * 3, name
        started = time.monotonic()
        datagrams(listeners["hub"], 5)
        assert time.monotonic() - started < 5.0, "five pings at 0.2 s took far longer"
        for proc in procs:
            assert proc.stop() == 0
    finally:
        for proc in procs:
            proc.stop()
        for listener in listeners.values():
            listener.close()
