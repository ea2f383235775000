"""``rpymostat``: the hub and its tools.

    rpymostat [--home DIR] [--config FILE] hub [--port N] [--db URL] [--listen ADDR] [--no-tls] ...
    rpymostat [--home DIR] token create --role admin [--name NAME]
    rpymostat [--home DIR] token create --role device --node ID [--name NAME]
    rpymostat [--home DIR] token list
    rpymostat [--home DIR] node re-enroll ID
    rpymostat [--home DIR] login-link [--url BASE] [--minutes N]
    rpymostat [--home DIR] history export --series NAME [--series NAME ...] --from T --to T [--max-points N]
    rpymostat [--home DIR] history series [--prefix TEXT]
    rpymostat [--home DIR] demo [--port N] [--speed N] [--weather NAME]
    rpymostat install-units [--venv PATH] [--dir DIR] [--only hub|sensor|relay] [--check]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rpymostat import __version__
from rpymostat.hub.config import HubConfig, load_hub_config
from rpymostat.runtime.config import ConfigError, add_flags, flag_values, home_dir
from rpymostat.runtime.install_units import add_parser as add_install_units


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpymostat", description="RPyMostat hub and tools.")
    parser.add_argument("--version", action="version", version=f"rpymostat {__version__}")
    parser.add_argument("--home", help="data directory (default: $RPYMOSTAT_HOME or the XDG data dir)")
    parser.add_argument("--config", help="TOML config file (default: <home>/rpymostat.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_flags(commands.add_parser("hub", help="run the hub"), HubConfig)

    demo = commands.add_parser("demo", help="run the whole system with a simulated house")
    demo.add_argument("--port", type=int, default=8573, help="the hub's port (default 8573; 0 = free)")
    demo.add_argument("--speed", type=float, default=1.0,
                      help="run every clock N times faster (60: an hour a minute)")
    demo.add_argument("--weather", default="builtin",
                      help="weather for the house: builtin, or a TMY3 name such as usa_il_chicago "
                           "(needs the energyplus extra)")

    token = commands.add_parser("token", help="manage API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_commands.add_parser("create", help="create a token and print it alone on stdout")
    create.add_argument("--role", choices=["admin", "device", "metrics"], required=True)
    create.add_argument("--name", help="a name to recognise the token by")
    create.add_argument("--node", "--node-id", dest="node_id", metavar="ID",
                        help="the node a device token speaks for (required for --role device)")
    add_flags(create, HubConfig, ["db"])
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    add_flags(listing, HubConfig, ["db"])

    node = commands.add_parser("node", help="manage nodes")
    node_commands = node.add_subparsers(dest="node_command", required=True, metavar="ACTION")
    reenroll = node_commands.add_parser(
        "re-enroll", help="allow a known node to enroll once more (within 24 h); revokes its tokens now")
    reenroll.add_argument("node_id", metavar="ID", help="the node's id")
    add_flags(reenroll, HubConfig, ["db"])

    link = commands.add_parser("login-link", help="print a one-time link that signs a browser in to the web UI")
    link.add_argument("--url", help="the UI's address (default: this machine's hub, from its config)")
    link.add_argument("--minutes", type=int, default=10, help="how long the link works (default 10)")
    add_flags(link, HubConfig, ["db", "port", "listen", "tls"])

    add_install_units(commands)
    history = commands.add_parser("history", help="read the hub's history (its database, beside the hub)")
    history_commands = history.add_subparsers(dest="history_command", required=True, metavar="ACTION")
    export = history_commands.add_parser("export", help="series over a range as CSV on stdout")
    export.add_argument("--series", action="append", required=True, metavar="NAME",
                        help="a series (repeat for more; `history series` lists them)")
    export.add_argument("--from", dest="start", required=True, metavar="TIME",
                        help="ISO 8601 with an offset, e.g. 2026-12-01T00:00:00Z")
    export.add_argument("--to", dest="end", required=True, metavar="TIME", help="ISO 8601 with an offset")
    export.add_argument("--max-points", type=int, default=10_000, metavar="N",
                        help="most points per series, as in GET /v1/history (default 10000)")
    add_flags(export, HubConfig, ["db"])
    names = history_commands.add_parser("series", help="list the stored series")
    names.add_argument("--prefix", default="", help="only names that start so, e.g. zone/1/")
    add_flags(names, HubConfig, ["db"])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "install-units":
        from rpymostat.runtime.install_units import install_units_command

        return install_units_command(args)
    home = home_dir(args.home)
    try:
        config = load_hub_config(home, args.config, os.environ, flag_values(args, HubConfig))
    except ConfigError as exc:
        print(f"rpymostat: {exc}", file=sys.stderr)
        return 2
    if args.command == "hub":
        from rpymostat.hub.cli import run_hub

        return run_hub(config)
    if args.command == "demo":
        if not 0 < args.speed <= 3600:
            print("rpymostat: --speed must be within 0..3600", file=sys.stderr)
            return 2
        from rpymostat.sim.demo import run_demo

        return run_demo(Path(args.home) if args.home else None, args.port, args.speed, args.weather)
    if args.command == "token":
        from rpymostat.hub.cli import token_command

        return token_command(args, config)
    if args.command == "login-link":
        from rpymostat.hub.login import login_link_command

        return login_link_command(args, config)
    if args.command == "node":
        from rpymostat.hub.cli import node_command

        return node_command(args, config)
    if args.command == "history":
        from rpymostat.hub.cli import history_command

        return history_command(args, config)
    return 2


if __name__ == "__main__":
    sys.exit(main())
