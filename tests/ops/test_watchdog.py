"""Watchdog pings: ``WATCHDOG=1`` on the reactor at half of ``$WATCHDOG_USEC``, started by
``READY=1``, only for the process systemd named."""

import os
import socket

import pytest
from twisted.internet.task import Clock

from rpymostat.runtime.sdnotify import notify, start_watchdog, watchdog_interval


@pytest.fixture
def systemd(tmp_path):
    """A socket standing in for systemd's, and what it received so far."""
    path = str(tmp_path / "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.setblocking(False)

    def received() -> list[bytes]:
        got = []
        while True:
            try:
                got.append(server.recv(100))
            except BlockingIOError:
                return got

    yield path, received
    server.close()


def test_ready_starts_pings_at_half_the_watchdog_time(systemd):
    path, received = systemd
    clock = Clock()
    environ = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}
    assert notify("READY=1", environ, clock) is True
    assert received() == [b"READY=1", b"WATCHDOG=1"]
    clock.advance(14.9)
    assert received() == []
    clock.advance(0.1)
    assert received() == [b"WATCHDOG=1"]
    clock.pump([15] * 4)
    assert received() == [b"WATCHDOG=1"] * 4


def test_a_hung_reactor_sends_no_pings(systemd):
    """The pings prove the reactor turns: while no time passes on it, none go out."""
    path, received = systemd
    clock = Clock()
    notify("READY=1", {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, clock)
    received()
    assert clock.getDelayedCalls() and clock.getDelayedCalls()[0].getTime() == 1.0
    assert received() == []


@pytest.mark.parametrize("message", ["STOPPING=1", "STATUS=READY=1"])
def test_other_messages_start_nothing(systemd, message):
    path, received = systemd
    clock = Clock()
    notify(message, {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"}, clock)
    clock.advance(10)
    assert received() == [message.encode()]
    assert clock.getDelayedCalls() == []


def test_no_pings_outside_systemd():
    clock = Clock()
    assert notify("READY=1", {"WATCHDOG_USEC": "2000000"}, clock) is False
    assert clock.getDelayedCalls() == []


@pytest.mark.parametrize("environ, interval", [
    ({}, None),
    ({"WATCHDOG_USEC": ""}, None),
    ({"WATCHDOG_USEC": "soon"}, None),
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "-5"}, None),
    ({"WATCHDOG_USEC": "3000000"}, 1.5),
    ({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "42"}, 1.5),
    ({"WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "43"}, None),
])
def test_interval_only_for_the_process_systemd_watches(environ, interval):
    assert watchdog_interval(environ, pid=42) == interval


def test_a_child_that_inherited_the_environment_does_not_ping(systemd):
    path, received = systemd
    clock = Clock()
    environ = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}
    assert start_watchdog(clock, environ, pid=4242) is None
    clock.advance(5)
    assert received() == []


def test_a_vanished_socket_does_not_stop_the_loop(tmp_path):
    """systemd restarting (its socket briefly gone) costs pings, not the loop."""
    clock = Clock()
    loop = start_watchdog(clock, {"NOTIFY_SOCKET": str(tmp_path / "gone"), "WATCHDOG_USEC": "2000000"})
    clock.advance(3)
    assert loop.running
