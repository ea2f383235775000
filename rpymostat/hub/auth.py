"""The hub's bearer tokens: who is calling, and may they.

Tokens are stored as SHA-256 hashes. The hub answers every request from the active ones
in memory, compared in constant time. Tokens made or revoked by other processes on the
same database (``rpymostat token create``) are read again every ``TOKEN_RELOAD_S``; an
unknown token also waits for a read, but misses share one read and start at most one
per ``MISS_RELOAD_S``, so wrong tokens cost the database nothing however many arrive.
"""

from __future__ import annotations

import hmac

import attrs
from twisted.application.service import Service
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from rpymostat.hub.tokens import hash_token

log = Logger()
TOKEN_RELOAD_S = 5.0
MISS_RELOAD_S = 1.0

ROLES = ("admin", "device", "metrics")
# Who may call a route of each role: an admin anything; a device token the node routes; a
# metrics token (what a Prometheus server holds) only the read-only scrape, and nothing else.
CALLERS = {"admin": frozenset({"admin"}), "device": frozenset({"admin", "device"}),
           "metrics": frozenset({"admin", "metrics"})}


@attrs.frozen
class Principal:
    token_id: int | None
    role: str
    name: str
    node_id: str | None = None

    def may_act_for(self, node_id: str) -> bool:
        """A device token speaks for its own node only; one bound to no node (made before
        every device token had one) speaks for none."""
        return self.role == "admin" or (self.node_id is not None and self.node_id == node_id)


ENROLLMENT = "enrollment"


class TokenBook:
    """The active tokens by hash, plus the enrollment key's hash.

    Each read of the database gets a number; only a read newer than the one in memory is
    kept, and a read that was under way when this process added or dropped a token is
    read again (it may predate that change, and would bring back a revoked token).
    """

    def __init__(self, store, clock, enrollment_key_hash: str | None = None):
        self._store = store
        self.clock = clock
        self._active: dict[str, Principal] = {}
        self.enrollment_key_hash = enrollment_key_hash
        self._changes = 0
        self._reads = 0
        self._shown = 0
        self._read_started = float("-inf")
        self._waiting: list[Deferred] = []
        self._next_read = None

    def load(self, rows: list[dict]) -> None:
        self._active = {row["token_hash"]: _principal(row) for row in rows if row["revoked_at"] is None}

    def add(self, row: dict) -> None:
        self._changes += 1
        self._active[row["token_hash"]] = _principal(row)

    def forget(self, token_id: int) -> None:
        self._changes += 1
        self._active = {h: p for h, p in self._active.items() if p.token_id != token_id}

    def forget_node(self, node_id: str) -> None:
        self._changes += 1
        self._active = {h: p for h, p in self._active.items() if p.node_id != node_id}

    def _match(self, presented_hash: str) -> Principal | None:
        found = None
        for known, principal in self._active.items():
            if hmac.compare_digest(known, presented_hash):
                found = principal
        return found

    def is_enrollment_key(self, token: str) -> bool:
        return self.enrollment_key_hash is not None and hmac.compare_digest(
            self.enrollment_key_hash, hash_token(token))

    def lookup(self, token: str) -> Principal | None:
        """The principal of an active token known in memory, or None."""
        return self._match(hash_token(token))

    def find(self, token: str) -> Principal | None | Deferred:
        """The token's principal from memory; for a token not known there, a Deferred of
        it (or of None) after the next read of the database that starts after now."""
        principal = self.lookup(token)
        if principal is not None:
            return principal
        waiting: Deferred = Deferred()
        self._waiting.append(waiting)
        if self._next_read is None:
            delay = self._read_started + MISS_RELOAD_S - self.clock.seconds()
            if delay > 0:
                self._next_read = self.clock.callLater(delay, self.reload)
            else:
                self.reload()
        return waiting.addCallback(lambda _: self.lookup(token))

    def reload(self) -> Deferred:
        """Read the active tokens again; fires once they are in memory (or, when the
        database cannot be read, once that is logged: the tokens in memory stay)."""
        if self._next_read is not None:
            if self._next_read.active():
                self._next_read.cancel()
            self._next_read = None
        waiting, self._waiting = self._waiting, []
        self._read_started = self.clock.seconds()
        self._reads += 1
        reading = self._store.active_tokens()
        reading.addCallback(self._read, self._reads, self._changes)
        reading.addErrback(lambda failure: log.failure(
            "could not read the tokens again; answering from the ones in memory", failure))
        for each in waiting:
            reading.addBoth(lambda _, each=each: each.callback(None))
        return reading

    def _read(self, rows: list[dict], number: int, changes: int):
        if changes != self._changes:
            return self.reload()
        if number > self._shown:
            self._shown = number
            self.load(rows)
        return None


class TokenReloads(Service):
    """Reads the tokens again every ``every_s`` on the book's clock, so that a token
    revoked by another process stops working within that time."""

    def __init__(self, book: TokenBook, every_s: float = TOKEN_RELOAD_S):
        self.book = book
        self.every_s = every_s
        self._loop: LoopingCall | None = None

    def startService(self):
        super().startService()
        self._loop = LoopingCall(self.book.reload)
        self._loop.clock = self.book.clock
        self._loop.start(self.every_s, now=False)

    def stopService(self):
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()


def _principal(row: dict) -> Principal:
    return Principal(token_id=row["id"], role=row["role"], name=row["name"], node_id=row["node_id"])
