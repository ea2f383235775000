"""sd_notify: one datagram to $NOTIFY_SOCKET, nothing without it."""

import socket

from rpymostat.runtime.sdnotify import notify


def test_sends_the_state_to_the_socket(tmp_path):
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(path)
        assert notify("READY=1", {"NOTIFY_SOCKET": path}) is True
        assert server.recv(100) == b"READY=1"


def test_does_nothing_outside_systemd():
    assert notify("READY=1", {}) is False
    assert notify("READY=1", {"NOTIFY_SOCKET": "/nonexistent/socket"}) is False
