"""The nodes' side of the hub API: one method per call a node makes, and two kinds of
failure that the nodes treat differently.

- :class:`HubUnreachable`: the network failed, the call timed out or the hub answered
  5xx. Nothing is wrong with what was sent; it is sent again later.
- :class:`HubRefused`: the hub answered 4xx. Sending the same thing again will not help;
  the caller decides (drop the readings, re-register, re-enroll).

The HTTP client is injected: ``treq`` in the daemons, a ``StubTreq`` around the in-memory
hub in tests. Every call has a timeout on the injected clock.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.internet.error import ConnectError, ConnectingCancelledError, ConnectionClosed
from twisted.internet.error import TimeoutError as TimedOut
from twisted.web.client import RequestNotSent, RequestTransmissionFailed, ResponseFailed, ResponseNeverReceived

DEFAULT_TIMEOUT_S = 10.0
# How a call fails on the way: refused, reset, cut, unresolved, timed out (the timeout
# cancels it), a TLS handshake refused. Anything else is a bug and is not taken for these.
NETWORK_FAILURES = (ConnectError, ConnectingCancelledError, ConnectionClosed, CancelledError, TimedOut, OSError,
                    ResponseFailed, ResponseNeverReceived, RequestNotSent, RequestTransmissionFailed)


class HubUnreachable(Exception):
    """The call may succeed if tried again later."""


class HubRefused(Exception):
    """The hub answered with a 4xx error."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class HubClient:
    def __init__(self, http, clock, url: str, token: str | None = None,
                 timeout_s: float = DEFAULT_TIMEOUT_S):
        self.http = http
        self.clock = clock
        self.url = url.rstrip("/")
        self.token = token
        self.timeout_s = timeout_s

    @inlineCallbacks
    def call(self, method: str, path: str, body: Any = None, token: str | None = None):
        """The decoded JSON reply of a 2xx answer; raises HubUnreachable or HubRefused."""
        headers = {"Accept": "application/json"}
        bearer = token or self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        data = None
        if body is not None:
            data = json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = yield self.http.request(method, self.url + path, data=data, headers=headers,
                                               timeout=self.timeout_s, reactor=self.clock)
            raw = yield self.http.content(response)
        except NETWORK_FAILURES as exc:
            raise HubUnreachable(f"{method} {self.url}{path}: {exc.__class__.__name__}: {exc}") from exc
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = None
        if response.code >= 500 or (response.code < 400 and raw and payload is None):
            raise HubUnreachable(f"{method} {self.url}{path}: status {response.code}")
        if response.code >= 400:
            error = (payload or {}).get("error", {}) if isinstance(payload, dict) else {}
            refused = HubRefused(response.code, str(error.get("code", "unknown")),
                                 str(error.get("message", "no message")))
            if response.code == 429:  # failed authentication from this address: later, the same call may pass
                raise HubUnreachable(f"{method} {self.url}{path}: {refused}")
            raise refused
        return payload

    def health(self):
        return self.call("GET", "/v1/health")

    def enroll(self, enrollment_key: str, node_id: str, name: str):
        return self.call("POST", "/v1/enroll", {"node_id": node_id, "name": name}, token=enrollment_key)

    def register(self, registration: dict):
        return self.call("POST", "/v1/nodes", registration)

    def post_readings(self, node_id: str, readings: list[dict]):
        return self.call("POST", "/v1/readings", {"node_id": node_id, "readings": readings})

    def report_output_state(self, output_id: str, state: str, time: str, reason: str):
        return self.call("PUT", f"/v1/outputs/{quote(output_id, safe='')}/state",
                         {"state": state, "time": time, "reason": reason})
