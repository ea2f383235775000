"""``rpymostat-relay``: switch relay outputs on the hub's command, safely.

    rpymostat-relay [--hub URL] [--enrollment-key KEY] [--driver gpio|phidget|piface|sim]
                    [--listen ADDR] [--port N] ...
"""

from __future__ import annotations

import sys

from rpymostat.node.cli import COMMON_FLAGS, node_parser, run_daemon


def build_parser():
    parser = node_parser("rpymostat-relay", "RPyMostat relay node: switches heating, cooling and fan "
                                            "relays on the hub's command; every 'on' is a lease, "
                                            "and outputs go off when it runs out.")
    parser.add_argument("--listen", help="address the API listens on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, help="TCP port of the API (default 8574; 0 picks a free one)")
    parser.add_argument("--url", help="the API's URL as the hub should call it "
                                      "(default: from the address that reaches the hub)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def load(config_file, flags):
        from rpymostat_relay.config import load_relay_config

        return load_relay_config(config_file, flags=flags)

    def build(config, reactor, clock):
        from rpymostat.runtime.clock import boot_for, timer_for
        from rpymostat_relay.service import RelayService

        return RelayService(config, reactor, clock, timer_for(reactor, args.speed), boot_for(args.speed))

    return run_daemon("rpymostat-relay", args, load, build, COMMON_FLAGS + ("listen", "port", "url"))


if __name__ == "__main__":
    sys.exit(main())
