"""Tokens are answered from memory: a flood of wrong tokens costs the database at most one
read a second, while tokens made or revoked by another process (``rpymostat token
create``, a re-enrollment) still take effect at once or within the reload period."""

from __future__ import annotations

import json

import pytest
from twisted.internet.defer import Deferred
from twisted.logger import globalLogPublisher

from rpymostat.hub.auth import MISS_RELOAD_S, TOKEN_RELOAD_S


class Reads:
    """Counts the hub's reads of the token table."""

    def __init__(self, hub):
        self.count = 0
        original = hub.raw_store.active_tokens

        def counted():
            self.count += 1
            return original()

        hub.raw_store.active_tokens = counted


def send(hub, token: str, *, peer: str | None = None, path: str = "/v1/zones") -> list:
    """Start a request without waiting for its answer: ``[(status, body, headers)]`` once
    it has one, ``[]`` while it waits."""
    outcome: list = []
    headers = {"Authorization": f"Bearer {token}"}
    if peer:
        headers["X-Test-Peer"] = peer
    d = hub.client.request("GET", "http://hub" + path, headers=headers)
    d.addCallback(lambda r: hub.client.content(r).addCallback(
        lambda c: outcome.append((r.code, json.loads(c), r.headers))))
    hub.client.flush()
    return outcome


def advance(hub, seconds: float) -> None:
    hub.clock.advance(seconds)
    hub.client.flush()


def test_a_flood_of_wrong_tokens_reads_the_database_at_most_once_a_second(hub):
    reads = Reads(hub)
    answers = [send(hub, f"wrong-{i}", peer=f"10.0.{i // 250}.{i % 250 + 1}") for i in range(500)]
    good = send(hub, hub.admin_token, peer="10.9.9.9")
    assert good and good[0][0] == 200, "a known token is answered at once, from memory"
    assert reads.count == 1, "the first miss reads at once, the others wait for the next read"
    advance(hub, MISS_RELOAD_S)
    assert all(a and a[0][0] == 401 for a in answers)
    assert reads.count == 2
    for second in range(1, 4):
        answers = [send(hub, f"again-{second}-{i}", peer=f"10.1.{i // 250}.{i % 250 + 1}")
                   for i in range(300)]
        advance(hub, MISS_RELOAD_S)
        assert all(a and a[0][0] == 401 for a in answers)
    assert reads.count == 5


def test_a_token_made_by_another_process_works_at_once(hub):
    _, made = hub.raw_store.create_token("admin", "cli", hub.clock.seconds())
    assert hub.call("GET", "/v1/zones", token=made).status == 200


def test_a_token_made_by_another_process_during_a_flood_works_within_a_second(hub):
    send(hub, "wrong", peer="10.0.0.1")
    _, made = hub.raw_store.create_token("admin", "cli", hub.clock.seconds())
    answer = send(hub, made)
    advance(hub, MISS_RELOAD_S)
    assert answer[0][0] == 200


def test_a_token_revoked_by_another_process_stops_within_the_reload_period(hub):
    row, made = hub.raw_store.create_token("admin", "phone", hub.clock.seconds())
    assert hub.call("GET", "/v1/zones", token=made).status == 200
    hub.raw_store.revoke_token(row["id"], hub.clock.seconds())
    assert hub.call("GET", "/v1/zones", token=made).status == 200, "still in memory"
    advance(hub, TOKEN_RELOAD_S - 0.1)
    assert hub.call("GET", "/v1/zones", token=made).status == 200
    advance(hub, 0.1)
    answer = send(hub, made)
    advance(hub, MISS_RELOAD_S)
    assert answer[0][0] == 401


def test_misses_wait_only_for_a_read_that_began_after_them(hub):
    reads = Reads(hub)
    first = send(hub, "wrong-1")
    assert first and first[0][0] == 401 and reads.count == 1
    advance(hub, 0.4)
    second = send(hub, "wrong-2")
    third = send(hub, "wrong-3")
    assert second == [] and third == []
    advance(hub, 0.6)
    assert second[0][0] == 401 and third[0][0] == 401
    assert reads.count == 2, "waiting misses share one read"


def test_a_read_under_way_when_a_token_is_revoked_here_cannot_bring_it_back(hub):
    """The revocation commits after the read began: that read's rows still hold the token."""
    made = hub.call("POST", "/v1/tokens", {"role": "admin", "name": "tablet"}).body
    held: list[Deferred] = []
    rows = hub.raw_store.active_tokens()
    hub.api.tokens._store = HeldStore(held)
    hub.api.tokens.reload()
    assert len(held) == 1
    hub.api.tokens._store = hub.store
    assert hub.call("DELETE", f"/v1/tokens/{made['id']}").status == 204
    held[0].callback(rows)
    answer = send(hub, made["token"])
    advance(hub, MISS_RELOAD_S)
    assert answer[0][0] == 401


class HeldStore:
    """A store whose token read waits until the test fires it."""

    def __init__(self, held: list):
        self.held = held

    def active_tokens(self):
        d: Deferred = Deferred()
        self.held.append(d)
        return d


@pytest.mark.logs_errors("could not read the tokens again; answering from the ones in memory")
def test_a_database_that_cannot_be_read_leaves_the_tokens_in_memory(hub):
    seen: list = []
    globalLogPublisher.addObserver(seen.append)
    try:
        hub.raw_store.active_tokens = unreadable
        answer = send(hub, "wrong")
        assert answer[0][0] == 401
        assert hub.call("GET", "/v1/zones").status == 200
    finally:
        globalLogPublisher.removeObserver(seen.append)
    assert [e for e in seen if "could not read the tokens again" in (e.get("log_format") or "")]


def unreadable():
    raise OSError("disk gone")
