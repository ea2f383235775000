"""``rpymostat simulate``: POST /v1/zones/{id}/simulate from the command line, against a
running hub (``--hub URL --token T``) or, beside the hub, on its database through the same
API served in memory (so both give the same answers and the same refusals). Errors are one
line on stderr."""

from __future__ import annotations

import json
import secrets
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from rpymostat.hub.config import HubConfig
from rpymostat.runtime.config import add_flags

LOCAL_HOST = "simulate.invalid"
HTTP_TIMEOUT_S = 120.0


class Refused(Exception):
    pass


def add_parser(commands) -> None:
    parser = commands.add_parser("simulate", help="try rules, a decision plugin or settings on a zone's "
                                                  "learned model beside the current ones (changes nothing)")
    parser.add_argument("zone_id", type=int, metavar="ZONE", help="the zone's id")
    parser.add_argument("--days", type=int, default=3, help="days to simulate (1..14, default 3)")
    parser.add_argument("--plugin", dest="decision_plugin", metavar="NAME", help="decision plugin to try")
    parser.add_argument("--rules", metavar="FILE", help="a JSON file with a list of rules (as POST /v1/rules "
                                                       "takes them) to try in place of the zone's")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a control setting to try, e.g. preheat_max_hours=2 (repeat for more)")
    parser.add_argument("--hub", metavar="URL", help="a running hub, e.g. https://hub.local:8573; default: "
                                                    "the database, beside the hub")
    parser.add_argument("--token", help="an admin token (with --hub)")
    parser.add_argument("--cert", metavar="FILE", help="the hub's certificate to trust (with an https --hub)")
    parser.add_argument("--json", action="store_true", help="print the API's whole answer")
    add_flags(parser, HubConfig, ["db"])


def request_body(args) -> dict[str, Any]:
    body: dict[str, Any] = {"days": args.days}
    if args.decision_plugin:
        body["decision_plugin"] = args.decision_plugin
    if args.rules:
        try:
            body["rules"] = json.loads(Path(args.rules).read_text())
        except (OSError, ValueError) as exc:
            raise Refused(f"--rules {args.rules}: {exc}") from None
    settings = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise Refused(f"--set {item!r}: expected KEY=VALUE")
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    if settings:
        body["settings"] = settings
    return body


def over_http(url: str, token: str | None, cert: str | None, zone_id: int, body: dict) -> tuple[int, dict]:
    if not token:
        raise Refused("--hub needs --token (an admin token)")
    context = None
    if url.startswith("https:"):
        context = ssl.create_default_context(cafile=cert)
        if cert:  # the hub's own self-signed certificate: trusted as itself, whatever name it was reached by
            context.check_hostname = False
    request = urllib.request.Request(f"{url.rstrip('/')}/v1/zones/{zone_id}/simulate", method="POST",
                                     data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S, context=context) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.load(exc)
        except ValueError:
            raise Refused(f"{url} answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Refused(f"cannot reach {url}: {getattr(exc, 'reason', exc)}") from None


def in_memory(store, zone_id: int, body: dict) -> tuple[int, dict]:
    """The API on the database, served in memory with a token that exists only here."""
    from treq.testing import StubTreq
    from twisted.internet.task import Clock

    from rpymostat.hub.api.app import HubAPI
    from rpymostat.hub.auth import TokenBook
    from rpymostat.hub.live import Live
    from rpymostat.hub.store.aio import AsyncStore, ReadingWriter
    from rpymostat.hub.tokens import hash_token
    from rpymostat.web.gate import Gate, HostCheck

    clock = Clock()
    clock.advance(time.time())
    calls = AsyncStore(store)
    secret = secrets.token_hex(16)
    tokens = TokenBook(calls, clock)
    tokens.load([{"id": 0, "token_hash": hash_token(secret), "role": "admin", "name": "simulate", "node_id": None,
                  "revoked_at": None}])
    api = HubAPI(store=calls, writer=ReadingWriter(calls), tokens=tokens, live=Live(), clock=clock,
                 hub_id="local", system="local",
                 settings=store.get_settings(), started_at=clock.seconds(),
                 gate=Gate(clock, hosts=HostCheck(clock, [LOCAL_HOST], names=set, addresses=set)))
    client = StubTreq(api.resource())
    answers: list = []
    d = client.post(f"http://{LOCAL_HOST}/v1/zones/{zone_id}/simulate", data=json.dumps(body).encode(),
                    headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
                             "Host": LOCAL_HOST})
    d.addCallback(lambda response: client.json_content(response).addCallback(
        lambda parsed: answers.append((response.code, parsed))))
    d.addErrback(answers.append)
    client.flush()
    if not answers or not isinstance(answers[0], tuple):
        raise Refused(f"the simulation did not answer: {answers[0].getErrorMessage() if answers else 'no reply'}")
    return answers[0]


def table(reply: dict) -> str:
    current, candidate = reply["current"], reply["candidate"]
    heat = reply["model"]["heat"]
    model = f"{heat['rate_k_per_h']:.1f} K/h" + ("" if heat["learned"] else " (default)")
    rows = [("", f"current ({current['decision_plugin']})", f"candidate ({candidate['decision_plugin']})")]
    for label, key in (("run time (h)", "runtime_h"), ("starts", "starts"), ("discomfort (K·h)", "discomfort_kh")):
        rows.append((label, f"{current[key]:g}", f"{candidate[key]:g}"))
    for label, key in (("late, mean (min)", "mean"), ("late, max (min)", "max")):
        rows.append((label, str(current["lateness_min"][key]), str(candidate["lateness_min"][key])))
    head = (f"zone {reply['zone_id']}, {reply['from']} to {reply['to']}, weather {reply['weather']}, "
            f"heating model {model}, from {reply['start_temperature']:g} °C")
    return "\n".join([head] + [f"{a:<18}{b:>24}{c:>26}" for a, b, c in rows])


def simulate_command(args, config) -> int:
    from rpymostat.hub.cli import _with_store

    try:
        body = request_body(args)
        if args.hub:
            status, reply = over_http(args.hub, args.token, args.cert, args.zone_id, body)
        else:
            found: list = []
            code = _with_store(config, lambda store: found.append(in_memory(store, args.zone_id, body)) or 0)
            if code:
                return code
            status, reply = found[0]
    except Refused as exc:
        print(f"rpymostat: {exc}", file=sys.stderr)
        return 2
    if status != 200:
        error = reply.get("error", {}) if isinstance(reply, dict) else {}
        print(f"rpymostat: {status} {error.get('message', reply)}", file=sys.stderr)
        return 1
    print(json.dumps(reply, indent=2) if args.json else table(reply))
    return 0
