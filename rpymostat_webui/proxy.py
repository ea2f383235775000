"""The standalone UI's ``/v1/*``: each request passed to the hub and its answer streamed
back, so that the browser talks to one origin (the page's) and the strict
Content-Security-Policy holds (``connect-src 'self'``).

Only what the API reads is forwarded (method, path and query, the body, Authorization,
Content-Type, Accept, Last-Event-ID), never the browser's cookies or Origin: the UI's own
server checks the Host and Origin it was sent (its :class:`~rpymostat.web.gate.Gate`),
and the hub sees this server as a client of its own. Answers are streamed as they arrive,
so ``GET /v1/events`` stays live through the proxy.
"""

from __future__ import annotations

from typing import Callable

from twisted.internet.defer import CancelledError
from twisted.logger import Logger
from twisted.web.http_headers import Headers
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from rpymostat.web.http import MAX_BODY, ApiError, encode, json_response

log = Logger()
FORWARDED = (b"authorization", b"content-type", b"accept", b"last-event-id")
RETURNED = (b"content-type", b"cache-control", b"retry-after", b"allow", b"x-accel-buffering")
MAX_FORWARDED_BODY = 16 * MAX_BODY  # the hub's largest (a readings batch) is its own to refuse


class HubProxy(Resource):
    """``hub()`` gives the hub's base URL now (None while none is known); ``http`` has
    treq's ``request``."""

    isLeaf = True

    def __init__(self, http, hub: Callable[[], str | None], gate):
        super().__init__()
        self.http = http
        self.hub = hub
        self.gate = gate

    def render(self, request):
        try:
            self.gate.admit(request, credentials=False)
            base = self.hub()
            if base is None:
                raise ApiError(503, "no_hub", "no hub found yet: the UI's server is still looking for one "
                                              "(or start it with --hub URL)")
            body = request.content.read(MAX_FORWARDED_BODY + 1) if request.content is not None else b""
            if len(body) > MAX_FORWARDED_BODY:
                raise ApiError(413, "too_large", f"request body is over {MAX_FORWARDED_BODY} bytes")
        except ApiError as error:
            return json_response(request, error.envelope(), error.status)
        headers = Headers({name: [value] for name in FORWARDED
                           if (value := request.getHeader(name)) is not None})
        sent = self.http.request(request.method.decode("ascii"), base.rstrip("/").encode() + request.uri,
                                 headers=headers, data=body or None, unbuffered=True)
        sent.addCallback(self._relay, request)
        sent.addErrback(self._failed, request, base)
        request.notifyFinish().addErrback(lambda _: sent.cancel())
        return NOT_DONE_YET

    @staticmethod
    def _relay(response, request):
        import treq

        request.setResponseCode(response.code)
        for name in RETURNED:
            values = response.headers.getRawHeaders(name)
            if values:
                request.setHeader(name, values[0].encode() if isinstance(values[0], str) else values[0])
        received = treq.collect(response, request.write)
        received.addCallback(lambda _: request.finish())
        return received

    @staticmethod
    def _failed(failure, request, base: str):
        if failure.check(CancelledError) or request.finished:
            return None
        if request.startedWriting:
            log.warn("the hub at {base} stopped answering mid-response: {why}", base=base, why=failure.value)
            request.finish()
            return None
        log.warn("could not reach the hub at {base}: {why}", base=base, why=failure.value)
        request.setResponseCode(502)
        request.setHeader(b"content-type", b"application/json")
        request.write(encode(ApiError(502, "hub_unreachable", f"could not reach the hub at {base}").envelope()))
        request.finish()
        return None


class Standalone(Resource):
    """The UI's server: ``/v1/*`` to the hub, anything else to the UI's files."""

    isLeaf = True

    def __init__(self, proxy: HubProxy, ui):
        super().__init__()
        self.proxy = proxy
        self.ui = ui

    def render(self, request):
        return (self.proxy if request.postpath[:1] == [b"v1"] else self.ui).render(request)
