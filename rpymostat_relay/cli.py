"""``rpymostat-relay``: switch relay outputs on the hub's command, safely.

    rpymostat-relay [--hub URL] [--enrollment-key KEY] [--driver gpio|phidget|piface|sim]
                    [--listen ADDR] [--port N] ...
"""

from __future__ import annotations

import sys

from rpymostat.node.cli import node_parser, run_daemon
from rpymostat_relay.config import RelayConfig, load_relay_config

DESCRIPTION = ("RPyMostat relay node: switches heating, cooling and fan relays on the hub's command; "
               "every 'on' is a lease, and outputs go off when it runs out.")


def build_parser():
    return node_parser("rpymostat-relay", DESCRIPTION, RelayConfig)


def main(argv: list[str] | None = None) -> int:
    def build(config, reactor, clock):
        from rpymostat.runtime.clock import boot_for, timer_for
        from rpymostat_relay.service import RelayService

        return RelayService(config, reactor, clock, timer_for(reactor, config.speed), boot_for(config.speed))

    return run_daemon("rpymostat-relay", build_parser(), argv, RelayConfig, load_relay_config, build)


if __name__ == "__main__":
    sys.exit(main())
