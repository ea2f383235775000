"""Command-line flags both node daemons take, and how a daemon's ``main`` runs."""

from __future__ import annotations

import argparse
import sys
from typing import Callable

from rpymostat import __version__
from rpymostat.runtime.config import ConfigError, add_flags, flag_values


def node_parser(prog: str, description: str, config_class: type) -> argparse.ArgumentParser:
    """The daemon's flags: ``--config`` and one for each of ``config_class``'s settings that has one."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    parser.add_argument("--config", help=f"TOML config file (default: $RPYMOSTAT_HOME/{config_class.SECTION.file})")
    add_flags(parser, config_class)
    return parser


def run_daemon(prog: str, parser: argparse.ArgumentParser, argv: list[str] | None, config_class: type,
               load: Callable, build: Callable) -> int:
    """Parse ``argv`` with ``parser`` (``node_parser``'s), load the config with ``load(file,
    flags=...)`` (exit 2 on a bad one), then run ``build(config, reactor, clock)``.

    ``clock`` is the reactor, or a faster one under ``--speed`` (the demo): it times the
    node's own behaviour (reports, leases, minimum off time) while network time-outs and
    retries keep real time.
    """
    args = parser.parse_args(argv)
    try:
        config = load(args.config, flags=flag_values(args, config_class))
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    from rpymostat.runtime.clock import clock_for
    from rpymostat.runtime.process import install_reactor, run_service, start_logging

    reactor = install_reactor(tls=config.uses_tls)
    start_logging(config.log_level)
    clock = clock_for(reactor, config.speed, config.epoch, config.clock_start)
    return run_service(reactor, build(config, reactor, clock), prog)
