"""The memory floor of a node's stack, for bench/nodes.py: Twisted's asyncio reactor,
python-zeroconf running on loopback, treq and twisted.web imported, and nothing of
RPyMostat; pyOpenSSL kept out as the nodes keep it out on plain HTTP. Prints "up" once
idle, then waits to be measured and stopped."""

import sys

sys.modules["OpenSSL"] = None

from twisted.internet import asyncioreactor  # noqa: E402

asyncioreactor.install()

import treq  # noqa: E402,F401
import twisted.web.server  # noqa: E402,F401
from twisted.internet import reactor  # noqa: E402
from zeroconf import Zeroconf  # noqa: E402
from zeroconf.asyncio import AsyncZeroconf  # noqa: E402

held = []


def start():
    held.append(AsyncZeroconf(zc=Zeroconf(interfaces=["127.0.0.1"], use_asyncio=True)))
    print("up", flush=True)


reactor.callLater(0.1, start)
reactor.run()
