"""Tell systemd how a ``Type=notify`` service is doing (``READY=1``, ``STOPPING=1``,
``WATCHDOG=1``).

The protocol is one datagram to the unix socket named by ``$NOTIFY_SOCKET`` (a leading
``@`` means the abstract namespace). Outside systemd the variable is unset and
:func:`notify` does nothing, so the daemons call it unconditionally.

A unit with ``WatchdogSec=`` restarts a service that stops pinging. The pings go out from
the reactor, so a reactor that hangs (a blocking call on its thread, a deadlock) stops
them and systemd restarts the process. They start with ``READY=1``: every daemon already
sends it once it runs, and systemd arms the watchdog only from then on.
"""

from __future__ import annotations

import os
import socket
from typing import Any, Callable, Mapping

READY = "READY=1"
WATCHDOG = "WATCHDOG=1"


def notify(message: str, environ: Mapping[str, str] = os.environ, clock: Any = None) -> bool:
    """Send one state line; True when a socket was there to take it.

    After ``READY=1`` the watchdog pings start on ``clock`` (the reactor unless given), when
    systemd asked for them."""
    sent = send(message, environ)
    if sent and READY in message.splitlines():
        start_watchdog(clock, environ)
    return sent


def send(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    address = environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.connect(address)
            sock.sendall(message.encode())
        except OSError:
            return False
    return True


def watchdog_interval(environ: Mapping[str, str], pid: int) -> float | None:
    """Seconds between pings: half of ``$WATCHDOG_USEC``, as sd_watchdog_enabled(3)
    advises; None when systemd wants no pings from this process (no or a bad
    ``WATCHDOG_USEC``, or a ``WATCHDOG_PID`` naming another process, such as a parent
    whose environment a child inherited)."""
    try:
        usec = int(environ.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    if usec <= 0:
        return None
    owner = environ.get("WATCHDOG_PID")
    if owner is not None and owner != str(pid):
        return None
    return usec / 2_000_000


def start_watchdog(clock: Any = None, environ: Mapping[str, str] = os.environ,
                   pid: int | None = None, ping: Callable[[], object] | None = None) -> Any:
    """Ping at once and then every interval on ``clock``; the ``LoopingCall`` doing it,
    or None when no watchdog is wanted."""
    interval = watchdog_interval(environ, os.getpid() if pid is None else pid)
    if interval is None:
        return None
    from twisted.internet.task import LoopingCall

    if clock is None:
        from twisted.internet import reactor as clock
    loop = LoopingCall(ping or (lambda: send(WATCHDOG, environ)))
    loop.clock = clock
    loop.start(interval, now=True)
    return loop
