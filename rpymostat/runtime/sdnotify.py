"""Tell systemd how a ``Type=notify`` service is doing (``READY=1``, ``STOPPING=1``).

The protocol is one datagram to the unix socket named by ``$NOTIFY_SOCKET`` (a leading
``@`` means the abstract namespace). Outside systemd the variable is unset and
:func:`notify` does nothing, so the daemons call it unconditionally.
"""

from __future__ import annotations

import os
import socket
from typing import Mapping


def notify(message: str, environ: Mapping[str, str] = os.environ) -> bool:
    """Send one state line; True when a socket was there to take it."""
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
