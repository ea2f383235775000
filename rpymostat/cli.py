"""``rpymostat``: the hub and its tools.

    rpymostat [--home DIR] hub [--port N] [--db URL] [--listen ADDR] [--config FILE] [--no-tls]
    rpymostat [--home DIR] token create --role admin [--name NAME]
    rpymostat [--home DIR] token create --role device --node ID [--name NAME]
    rpymostat [--home DIR] token list
    rpymostat [--home DIR] node re-enroll ID
    rpymostat [--home DIR] demo [--port N] [--speed N] [--weather NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from rpymostat import __version__
from rpymostat.hub.config import load_hub_config
from rpymostat.runtime.config import ConfigError, home_dir


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpymostat", description="RPyMostat hub and tools.")
    parser.add_argument("--version", action="version", version=f"rpymostat {__version__}")
    parser.add_argument("--home", help="data directory (default: $RPYMOSTAT_HOME or the XDG data dir)")
    parser.add_argument("--config", help="TOML config file (default: <home>/rpymostat.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    hub = commands.add_parser("hub", help="run the hub")
    hub.add_argument("--port", type=int, help="TCP port of the API (default 8573; 0 picks a free one)")
    hub.add_argument("--listen", help="address to listen on (default 0.0.0.0)")
    hub.add_argument("--db", help="database URL (default: SQLite in the home dir)")
    hub.add_argument("--system", help="name of this RPyMostat system, advertised to nodes")
    hub.add_argument("--enrollment-key", dest="enrollment_key",
                     help="key nodes enroll with (at least 128 bits; default: one made at first start)")
    hub.add_argument("--no-zeroconf", dest="zeroconf", action="store_const", const=False,
                     help="do not advertise the hub over mDNS")
    hub.add_argument("--no-tls", dest="tls", action="store_const", const=False,
                     help="serve plain HTTP instead of HTTPS with the hub's self-signed certificate")
    simulation = hub.add_argument_group("simulation (the demo)")
    simulation.add_argument("--speed", type=float, help="run the hub's clock N times faster")
    simulation.add_argument("--epoch", type=float, help="POSIX time the faster clock starts from")
    simulation.add_argument("--clock-start", dest="clock_start", type=float,
                            help="what the clock reads at the epoch (default: the epoch)")

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
    create.add_argument("--role", choices=["admin", "device"], required=True)
    create.add_argument("--name", help="a name to recognise the token by")
    create.add_argument("--node", "--node-id", dest="node_id", metavar="ID",
                        help="the node a device token speaks for (required for --role device)")
    create.add_argument("--db", help="database URL (default: SQLite in the home dir)")
    listing = token_commands.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--db", help="database URL (default: SQLite in the home dir)")

    node = commands.add_parser("node", help="manage nodes")
    node_commands = node.add_subparsers(dest="node_command", required=True, metavar="ACTION")
    reenroll = node_commands.add_parser(
        "re-enroll", help="allow a known node to enroll once more (within 24 h); revokes its tokens now")
    reenroll.add_argument("node_id", metavar="ID", help="the node's id")
    reenroll.add_argument("--db", help="database URL (default: SQLite in the home dir)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    home = home_dir(args.home)
    try:
        flags = {key: getattr(args, key, None) for key in
                 ("port", "listen", "db", "system", "enrollment_key", "zeroconf", "tls", "speed",
                  "epoch", "clock_start")}
        config = load_hub_config(home, args.config, os.environ, flags)
    except ConfigError as exc:
        print(f"rpymostat: {exc}", file=sys.stderr)
        return 2
    if args.command == "hub":
        return run_hub(config)
    if args.command == "demo":
        if not 0 < args.speed <= 3600:
            print("rpymostat: --speed must be within 0..3600", file=sys.stderr)
            return 2
        from rpymostat.sim.demo import run_demo

        return run_demo(Path(args.home) if args.home else None, args.port, args.speed, args.weather)
    if args.command == "token":
        return token_command(args, config)
    if args.command == "node":
        return node_command(args, config)
    return 2


def _with_store(config, work) -> int:
    """``work(store)`` on the hub's database, for the tools that run beside the hub; its
    home must be private (a file tightened is a warning on stderr: stdout carries the
    result alone)."""
    from rpymostat.hub.service import private_home
    from rpymostat.hub.store.store import Store
    from rpymostat.runtime.private import NotPrivate

    start_logging(sys.stderr)
    try:
        private_home(config)
    except NotPrivate as exc:
        print(f"rpymostat: {exc}", file=sys.stderr)
        return 1
    store = Store(config.db_url)
    try:
        store.open(time.time())
        return work(store)
    finally:
        store.close()


def token_command(args, config) -> int:
    from rpymostat.core.timeutil import format_time

    if args.token_command == "create" and (args.role == "device") != bool(args.node_id):
        print("rpymostat: " + ("a device token speaks for one node: add --node ID" if args.role == "device"
                               else "only device tokens belong to a node: drop --node"), file=sys.stderr)
        return 2

    def work(store) -> int:
        if args.token_command == "create":
            _, plain = store.create_token(args.role, args.name or args.role, time.time(), node_id=args.node_id)
            print(plain)
        else:
            for row in store.list_tokens():
                state = f"revoked {format_time(row['revoked_at'])}" if row["revoked_at"] else "active"
                print(f"{row['id']}\t{row['role']}\t{row['name']}\t{row['node_id'] or '-'}\t{state}")
        return 0

    return _with_store(config, work)


def node_command(args, config) -> int:
    """``node re-enroll``: works on the database, so it needs no running hub (and no admin
    token); a running hub stops accepting the revoked tokens when it next reloads them."""
    from rpymostat.core.errors import NotFound
    from rpymostat.core.timeutil import format_time

    def work(store) -> int:
        try:
            permit = store.allow_reenrollment(args.node_id, time.time())
        except NotFound as exc:
            print(f"rpymostat: {exc}", file=sys.stderr)
            return 1
        print(f"node {args.node_id} may enroll once more until {format_time(permit['expires_at'])}; "
              f"{permit['revoked_tokens']} token(s) of it revoked")
        return 0

    return _with_store(config, work)


def start_logging(stream=sys.stdout) -> None:
    from twisted.logger import FilteringLogObserver, LogLevel, LogLevelFilterPredicate, formatEvent, globalLogBeginner

    def observer(event):
        if event.get("log_namespace", "").endswith("_HTTP11ClientFactory"):
            return  # the hub's HTTP client pool opening and closing connections to relays
        text = formatEvent(event)
        if event.get("log_failure") is not None:
            text += "\n" + event["log_failure"].getTraceback()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.get("log_time", time.time())))
        namespace = event.get("log_namespace", "-").split(".")[-1]
        stream.write(f"{stamp} [{namespace}] {text}\n")
        stream.flush()

    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.info)
    globalLogBeginner.beginLoggingTo([FilteringLogObserver(observer, [predicate])],
                                     redirectStandardIO=False)


def run_hub(config) -> int:
    from rpymostat.runtime.process import install_reactor

    reactor = install_reactor(tls=config.tls)
    start_logging()
    from twisted.logger import Logger

    from rpymostat.hub.service import HubService
    from rpymostat.runtime.private import NotPrivate
    from rpymostat.runtime.sdnotify import notify
    from rpymostat.runtime.tls import CertificateError

    log = Logger(namespace="rpymostat.hub.service")
    service = HubService(config, reactor, announce=lambda text: print(text, flush=True))
    outcome = {"code": 0}

    def failed(failure):
        if failure.check(NotPrivate, CertificateError):
            log.critical("the hub cannot start: {why}", why=failure.value)
        else:
            log.failure("the hub could not start", failure)
        outcome["code"] = 1
        reactor.stop()

    def ready(_):
        notify("READY=1")

    def stopping():
        notify("STOPPING=1")
        return service.stopService()

    reactor.callWhenRunning(service.startService)
    reactor.callWhenRunning(lambda: service.ready.addCallbacks(ready, failed))
    reactor.addSystemEventTrigger("before", "shutdown", stopping)
    reactor.run()
    log.info("hub stopped")
    return outcome["code"]


if __name__ == "__main__":
    sys.exit(main())
