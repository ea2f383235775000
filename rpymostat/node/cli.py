"""Command-line flags both node daemons take, and how a daemon's ``main`` runs."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from rpymostat import __version__
from rpymostat.runtime.config import ConfigError


def node_parser(prog: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    parser.add_argument("--config", help=f"TOML config file (default: $RPYMOSTAT_HOME/{prog.split('-')[-1]}.toml)")
    parser.add_argument("--data-dir", dest="data_dir",
                        help="where the node keeps its token, hub id and state "
                             "(default: $RPYMOSTAT_HOME or the XDG data dir, then the node kind)")
    parser.add_argument("--hub", help="the hub's URL, e.g. https://hub.local:8573 (default: find it over mDNS)")
    parser.add_argument("--hub-fingerprint", dest="hub_fingerprint", metavar="SHA256",
                        help="the SHA-256 fingerprint of the hub's certificate (the hub logs it at start) "
                             "to pin instead of trusting the first one seen")
    parser.add_argument("--no-tls", dest="tls", action="store_const", const=False,
                        help="speak plain HTTP only (no pyOpenSSL); a relay node then serves plain HTTP")
    parser.add_argument("--enrollment-key", dest="enrollment_key",
                        help="the hub's enrollment key, traded once for a device token")
    parser.add_argument("--token", help="a device token made with `rpymostat token create` (instead of enrolling)")
    parser.add_argument("--name", help="a name for this node on the hub (default: host name and kind)")
    parser.add_argument("--system", help="enroll only with a hub advertising this system name")
    parser.add_argument("--zeroconf-interface", dest="zeroconf_interfaces", action="append",
                        metavar="ADDR", help="IPv4 address of an interface to browse mDNS on "
                                             "(repeatable; default: all interfaces)")
    parser.add_argument("--driver", help="driver plugin name")
    parser.add_argument("--driver-settings", dest="driver_settings", metavar="JSON",
                        help="the driver's settings as a JSON object")
    parser.add_argument("--log-level", dest="log_level", choices=["debug", "info", "warn", "error"])
    simulation = parser.add_argument_group("simulation (the demo)")
    simulation.add_argument("--speed", type=float, help="run the node's clock N times faster")
    simulation.add_argument("--epoch", type=float, help="POSIX time the faster clock starts from")
    simulation.add_argument("--clock-start", dest="clock_start", type=float,
                            help="what the clock reads at the epoch (default: the epoch)")
    return parser


COMMON_FLAGS = ("data_dir", "hub", "enrollment_key", "token", "name", "system", "zeroconf_interfaces",
                "driver", "driver_settings", "log_level", "tls", "hub_fingerprint")


def run_daemon(prog: str, args, load: Callable, build: Callable, flags: tuple[str, ...]) -> int:
    """Load the config (exit 2 on a bad one), then run ``build(config, reactor, clock)``.

    ``clock`` is the reactor, or a faster one under ``--speed`` (the demo): it times the
    node's own behaviour (reports, leases, minimum off time) while network time-outs and
    retries keep real time.
    """
    try:
        config = load(args.config, flags={key: getattr(args, key) for key in flags})
        if args.speed is not None and not 0 < args.speed <= 3600:
            raise ConfigError("--speed must be within 0..3600")
    except (ConfigError, ValueError) as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    from rpymostat.runtime.clock import clock_for
    from rpymostat.runtime.process import install_reactor, run_service, start_logging

    reactor = install_reactor(tls=config.uses_tls)
    start_logging(config.log_level)
    clock = clock_for(reactor, args.speed, args.epoch, args.clock_start)
    return run_service(reactor, build(config, reactor, clock), prog)
