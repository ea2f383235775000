"""The hub's commands: run the hub, and the tools that work on its database beside it
(``token``, ``node re-enroll``, ``history``)."""

from __future__ import annotations

import sys
import time

from rpymostat.runtime.process import install_reactor, run_service, start_logging


def _with_store(config, work) -> int:
    """``work(store)`` on the hub's database, for the tools that run beside the hub; its
    home must be private (a file tightened is a warning on stderr: stdout carries the
    result alone)."""
    from rpymostat.hub.service import private_home
    from rpymostat.hub.store.store import Store
    from rpymostat.runtime.private import NotPrivate

    start_logging(config.log_level, sys.stderr)
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


def _history_export(args, history) -> int:
    from rpymostat.core.timeutil import parse_time
    from rpymostat.hub.api.history import (
        MAX_POINTS_MAX,
        history_csv,
        series_json,
        unknown_series,
        window_problem,
    )

    try:
        start, end = parse_time(args.start), parse_time(args.end)
    except ValueError as exc:
        return _say(f"{exc}; give times like 2026-12-01T00:00:00Z", 2)
    problem = window_problem(start, end) or unknown_series(args.series, set(history.series_names()))
    if problem:
        return _say(f"{problem} (`rpymostat history series` lists the series)", 2)
    if not 1 <= args.max_points <= MAX_POINTS_MAX:
        return _say(f"--max-points must be within 1..{MAX_POINTS_MAX}", 2)
    series = [series_json(history.query(name, start.timestamp(), end.timestamp(), args.max_points))
              for name in args.series]
    sys.stdout.write(history_csv(series).decode("utf-8"))
    return 0


def _say(text: str, code: int) -> int:
    print(f"rpymostat: {text}", file=sys.stderr)
    return code


def history_command(args, config) -> int:
    """``history export`` and ``history series``: read the database directly, so they work
    with the hub stopped too (and need no token)."""
    def work(store) -> int:
        if args.history_command == "series":
            for name in store.history.series_names(args.prefix):
                print(name)
            return 0
        return _history_export(args, store.history)

    return _with_store(config, work)


def run_hub(config) -> int:
    reactor = install_reactor(tls=config.tls)
    start_logging(config.log_level)
    from rpymostat.hub.service import HubService

    service = HubService(config, reactor, announce=lambda text: print(text, flush=True))
    return run_service(reactor, service, "the hub", namespace="rpymostat.hub.service")
