"""Helpers for node daemon tests against the in-memory hub: an HTTP client that can be
switched off, frozen or made to answer a canned status, and an inline thread runner."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from twisted.internet.defer import Deferred, fail, maybeDeferred, succeed
from twisted.internet.error import ConnectionRefusedError


def inline(f, *args):
    """The daemons' ``run`` without threads: tests stay synchronous."""
    return maybeDeferred(f, *args)


class Canned:
    def __init__(self, code: int, body):
        self.code = code
        self.body = json.dumps(body).encode()


class FlakyHttp:
    """Wraps a StubTreq: ``down`` refuses every connection; ``frozen`` accepts them and
    never answers, so each request ends at its timeout on the caller's clock, as against
    a hub stopped with SIGSTOP; ``canned[path]`` answers ``(status, body)`` instead of the
    hub; ``calls`` lists (method, path); ``most_in_flight[path]`` is the largest number of
    requests to ``path`` that were open at one time."""

    def __init__(self, inner):
        self.inner = inner
        self.down = False
        self.frozen = False
        self.canned: dict[str, tuple[int, object]] = {}
        self.calls: list[tuple[str, str]] = []
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}

    def request(self, method, url, **kwargs):
        path = urlsplit(url).path
        self.calls.append((method, path))
        if self.down:
            return fail(ConnectionRefusedError("hub down"))
        if self.frozen:
            answer = Deferred()
            kwargs["reactor"].callLater(kwargs["timeout"], answer.cancel)
        elif path in self.canned:
            return succeed(Canned(*self.canned[path]))
        else:
            answer = self.inner.request(method, url, **kwargs)
        self.in_flight[path] = self.in_flight.get(path, 0) + 1
        self.most_in_flight[path] = max(self.most_in_flight.get(path, 0), self.in_flight[path])
        return answer.addBoth(self._answered, path)

    def _answered(self, result, path):
        self.in_flight[path] -= 1
        return result

    def content(self, response):
        if isinstance(response, Canned):
            return succeed(response.body)
        return self.inner.content(response)

    def posts(self, path: str) -> int:
        return sum(1 for method, p in self.calls if method == "POST" and p == path)
