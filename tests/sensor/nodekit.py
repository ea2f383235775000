"""Helpers for node daemon tests against the in-memory hub: an HTTP client that can be
switched off or made to answer a canned status, and an inline thread runner."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from twisted.internet.defer import fail, maybeDeferred, succeed
from twisted.internet.error import ConnectionRefusedError


def inline(f, *args):
    """The daemons' ``run`` without threads: tests stay synchronous."""
    return maybeDeferred(f, *args)


class Canned:
    def __init__(self, code: int, body):
        self.code = code
        self.body = json.dumps(body).encode()


class FlakyHttp:
    """Wraps a StubTreq: ``down`` refuses every connection; ``canned[path]`` answers
    ``(status, body)`` instead of the hub; ``calls`` lists (method, path)."""

    def __init__(self, inner):
        self.inner = inner
        self.down = False
        self.canned: dict[str, tuple[int, object]] = {}
        self.calls: list[tuple[str, str]] = []

    def request(self, method, url, **kwargs):
        path = urlsplit(url).path
        self.calls.append((method, path))
        if self.down:
            return fail(ConnectionRefusedError("hub down"))
        if path in self.canned:
            return succeed(Canned(*self.canned[path]))
        return self.inner.request(method, url, **kwargs)

    def content(self, response):
        if isinstance(response, Canned):
            return succeed(response.body)
        return self.inner.content(response)

    def posts(self, path: str) -> int:
        return sum(1 for method, p in self.calls if method == "POST" and p == path)
