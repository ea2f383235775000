"""An in-memory hub for tests: the real API and store (SQLite file or PostgreSQL),
the store called inline instead of in threads, a Clock, and StubTreq as the client."""

from __future__ import annotations

import json
import os

import attrs
from sqlalchemy import create_engine, text
from treq.testing import StubTreq
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.task import Clock
from twisted.web.resource import Resource

from rpymostat.hub.api.app import HubAPI
from rpymostat.hub.auth import TokenBook, TokenReloads
from rpymostat.hub.live import Live
from rpymostat.hub.store.aio import AsyncStore, ReadingWriter
from rpymostat.hub.store.store import Store
from rpymostat.hub.tokens import hash_token
from rpymostat.web.gate import Gate, HostCheck

START = 1_790_000_000.0  # 2026-09-21T14:13:20Z
ENROLLMENT_KEY = "test-enrollment-key"
POSTGRES_URL = os.environ.get("RPYMOSTAT_TEST_POSTGRES_URL")


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def kit_gate(clock, name: str = "hub", **options) -> Gate:
    """The gate of an API known only by ``name`` (the host of a kit's URLs) and loopback."""
    return Gate(clock, hosts=HostCheck(clock, [name], names=set, addresses=set), **options)


class Peers(Resource):
    """Serves a resource as if each request came from the address in its ``X-Test-Peer``
    header: StubTreq's requests all come from 127.0.0.1."""

    isLeaf = True

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def render(self, request):
        peer = request.getHeader(b"x-test-peer")
        if peer is not None:
            kind = IPv6Address if b":" in peer else IPv4Address
            request.client = kind("TCP", peer.decode(), 40000)
        return self.inner.render(request)


@attrs.define
class Reply:
    status: int
    body: object
    headers: object

    @property
    def error(self):
        return self.body["error"]["code"] if isinstance(self.body, dict) and "error" in self.body else None


class Hub:
    """``control``: what makes the API's control loop (``functools.partial(ControlService,
    ...)``); the kit starts nothing, the test starts the loop when it wants it to run."""

    def __init__(self, url: str, clock: Clock | None = None, control=None):
        self.url = url
        self.control = control
        self.clock = clock or Clock()
        if not self.clock.seconds():
            self.clock.advance(START)
        self.raw_store = Store(url)
        self.store = AsyncStore(self.raw_store)
        opened = self.raw_store.open(self.clock.seconds())
        self.hub_id = opened["hub_id"]
        self.node_tokens: dict[str, str] = {}
        if opened["first_start"]:
            self.admin_token = self.raw_store.create_token("admin", "admin", self.clock.seconds())[1]
        self.changes: list[str] = []
        self.build()

    def node_token(self, node_id: str) -> str:
        """A device token that speaks for ``node_id``, made on first use."""
        if node_id not in self.node_tokens:
            row, self.node_tokens[node_id] = self.raw_store.create_token(
                "device", node_id, self.clock.seconds(), node_id=node_id)
            self.api.tokens.add(row)
        return self.node_tokens[node_id]

    @property
    def device_token(self) -> str:
        """The default sensor node's token (node-1, as made by ``sensor_node``)."""
        return self.node_token("node-1")

    def build(self, gate: Gate | None = None):
        tokens = TokenBook(self.store, self.clock, hash_token(ENROLLMENT_KEY))
        tokens.load(self.raw_store.active_tokens())
        self.token_reloads = TokenReloads(tokens)
        self.token_reloads.startService()
        live = Live().load_snapshot(self.raw_store.snapshot())
        self.api = HubAPI(store=self.store, writer=ReadingWriter(self.store), tokens=tokens, live=live,
                          clock=self.clock, hub_id=self.hub_id, system="test",
                          settings=self.raw_store.get_settings(), started_at=self.clock.seconds(),
                          on_change=self.changes.append, gate=gate or kit_gate(self.clock), control=self.control)
        self.client = StubTreq(Peers(self.api.resource()))

    def restart(self) -> "Hub":
        """A new hub process on the same database."""
        self.token_reloads.stopService()
        self.raw_store.close()
        again = Hub.__new__(Hub)
        again.url, again.clock, again.control = self.url, self.clock, self.control
        again.raw_store = Store(self.url)
        again.store = AsyncStore(again.raw_store)
        again.hub_id = again.raw_store.open(self.clock.seconds())["hub_id"]
        again.admin_token, again.node_tokens = self.admin_token, dict(self.node_tokens)
        again.changes = []
        again.build()
        return again

    def call(self, method: str, path: str, body=None, *, token="admin", raw: bytes | None = None,
             headers: dict | None = None, host: str = "hub", peer: str | None = None) -> Reply:
        all_headers = {"Host": host, **(headers or {})}
        if peer is not None:
            all_headers["X-Test-Peer"] = peer
        if token == "admin":
            token = self.admin_token
        elif token == "device":
            token = self.device_token
        elif token and token.startswith("node:"):
            token = self.node_token(token.removeprefix("node:"))
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            all_headers.setdefault("Content-Type", "application/json")
        outcome = []
        d = self.client.request(method, "http://hub" + path, data=data, headers=all_headers)
        d.addCallback(lambda response: self.client.content(response).addCallback(
            lambda content: outcome.append((response, content))))
        d.addErrback(outcome.append)
        self.client.flush()
        assert outcome, f"no answer to {method} {path}"
        if not isinstance(outcome[0], tuple):
            outcome[0].raiseException()
        response, content = outcome[0]
        parsed = json.loads(content) if content else None
        return Reply(response.code, parsed, response.headers)

    def dump(self) -> dict:
        """Every row of every table, to show that a refused request changed nothing."""
        from rpymostat.hub.store.schema import metadata

        with self.raw_store.engine.connect() as conn:
            return {name: sorted(map(repr, conn.execute(table.select()).all()))
                    for name, table in metadata.tables.items()}

    def close(self):
        self.token_reloads.stopService()
        self.raw_store.close()


def sensor_node(hub: Hub, node_id="node-1", sensors=("28-000000000001", "28-000000000002")) -> Reply:
    return hub.call("POST", "/v1/nodes", {
        "node_id": node_id, "kind": "sensor", "name": "Sensor node",
        "sensors": [{"sensor_id": s, "type": "DS18B20", "name": s} for s in sensors]}, token=f"node:{node_id}")


def relay_node(hub: Hub, node_id="relay-1", outputs=("gpio17", "gpio27"), fingerprint: str | None = None) -> Reply:
    """A relay node on plain HTTP, or on HTTPS presenting the certificate ``fingerprint``."""
    body = {"node_id": node_id, "kind": "relay", "name": "Relay node", "url": "http://127.0.0.1:8574/",
            "outputs": [{"output_id": o, "name": o} for o in outputs]}
    if fingerprint:
        body.update(url="https://127.0.0.1:8574/", tls_fingerprint=fingerprint)
    return hub.call("POST", "/v1/nodes", body, token=f"node:{node_id}")


def backends():
    """The databases a store test runs on: SQLite always, PostgreSQL when its URL is set."""
    import pytest

    yield pytest.param("sqlite", id="sqlite")
    yield pytest.param("postgres", id="postgres", marks=pytest.mark.skipif(
        not POSTGRES_URL, reason="RPYMOSTAT_TEST_POSTGRES_URL is not set"))
