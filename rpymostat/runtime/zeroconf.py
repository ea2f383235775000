"""python-zeroconf on the asyncio reactor, as the hub's advertiser and the nodes' browser
both use it.

python-zeroconf must be created once the asyncio loop runs; every service using it waits
one reactor turn before touching it, and builds it with ``use_asyncio=True`` so misuse
raises instead of hanging.
"""

from __future__ import annotations

import asyncio
from typing import Sequence

from twisted.internet.defer import Deferred

SERVICE_TYPE = "_rpymostat._tcp.local."


def from_coroutine(coro) -> Deferred:
    return Deferred.fromFuture(asyncio.ensure_future(coro))


def zeroconf_for(listen: str):
    """An AsyncZeroconf bound to the interface the API listens on (all of them for 0.0.0.0)."""
    return zeroconf_on([] if listen in ("0.0.0.0", "") else [listen])


def zeroconf_on(interfaces: Sequence[str]):
    """An AsyncZeroconf on the given IPv4 interface addresses; an empty list means all.
    Tests pass 127.0.0.1 (or their namespace's address) so they never touch the LAN."""
    from zeroconf import InterfaceChoice, IPVersion, Zeroconf
    from zeroconf.asyncio import AsyncZeroconf

    chosen = list(interfaces) or InterfaceChoice.All
    return AsyncZeroconf(zc=Zeroconf(interfaces=chosen, ip_version=IPVersion.V4Only, use_asyncio=True))
