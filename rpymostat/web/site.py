"""The twisted.web site every RPyMostat API is served by, and the limits it keeps on its
connections.

twisted.web closes a connection that says nothing for ``idle_timeout_s``, but any byte
pushes that back, so a client that trickles its headers (slowloris) or its body stays
forever. Each connection here is a small state machine with deadlines that bytes do not
push back, and the site keeps at most ``max_connections`` open: a new connection over the
cap closes the one idle the longest, so a flood of idle sockets can neither exhaust the
process's file descriptors nor lock out a node that comes to post its readings.
"""

from __future__ import annotations

import enum
import resource
from collections import OrderedDict

import attrs
from twisted.internet.protocol import Protocol
from twisted.logger import Logger
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

from rpymostat.runtime.config import DEFAULT_LIMITS, ConnectionLimits
from rpymostat.web.http import ApiError, encode

log = Logger()

# Descriptors a process needs besides its API's connections: the database, zeroconf,
# outgoing HTTP connections, the reactor's own, logs and drivers.
RESERVED_DESCRIPTORS = 128
# Connections the kernel queues for the listening socket while the process is busy: a
# burst waits there instead of retrying its SYN a second later.
LISTEN_BACKLOG = 1024
# At most one warning this often while the cap is closing or refusing connections.
WARN_EVERY_S = 60.0


class Phase(enum.Enum):
    NEW = "new"  # connected, no request yet
    IDLE = "idle"  # kept alive after a response
    HEADERS = "headers"  # a request is arriving
    BODY = "body"  # its headers are in, its body is arriving
    HANDLING = "handling"  # the site is answering it
    CLOSING = "closing"  # closed from here; the transport has not let go yet
    CLOSED = "closed"


class Event(enum.Enum):
    BYTES = "bytes"
    BODY_FOLLOWS = "body follows"
    CONTENT_DONE = "content done"
    ANSWERED = "answered"
    CLOSE = "close"
    LOST = "lost"


class Deadline(enum.Enum):
    """What a transition does to the connection's deadline."""

    KEEP = "keep"
    HEADERS = "headers"
    BODY = "body"
    NONE = "none"


# (phase, event) -> (next phase, deadline). A pair missing here is a bug in the channel.
TRANSITIONS: dict[tuple[Phase, Event], tuple[Phase, Deadline]] = {
    (Phase.NEW, Event.BYTES): (Phase.HEADERS, Deadline.KEEP),
    (Phase.IDLE, Event.BYTES): (Phase.HEADERS, Deadline.HEADERS),
    (Phase.HEADERS, Event.BYTES): (Phase.HEADERS, Deadline.KEEP),
    (Phase.HEADERS, Event.BODY_FOLLOWS): (Phase.BODY, Deadline.BODY),
    (Phase.HEADERS, Event.CONTENT_DONE): (Phase.HANDLING, Deadline.NONE),
    (Phase.BODY, Event.BYTES): (Phase.BODY, Deadline.KEEP),
    (Phase.BODY, Event.CONTENT_DONE): (Phase.HANDLING, Deadline.NONE),
    (Phase.HANDLING, Event.BYTES): (Phase.HANDLING, Deadline.KEEP),
    (Phase.HANDLING, Event.ANSWERED): (Phase.IDLE, Deadline.NONE),
    **{(phase, Event.CLOSE): (Phase.CLOSING, Deadline.NONE)
       for phase in (Phase.NEW, Phase.IDLE, Phase.HEADERS, Phase.BODY)},
    **{(Phase.CLOSING, event): (Phase.CLOSING, Deadline.NONE) for event in Event if event is not Event.LOST},
    **{(phase, Event.LOST): (Phase.CLOSED, Deadline.NONE) for phase in Phase},
    # What the parser still had in hand when the connection went.
    **{(Phase.CLOSED, event): (Phase.CLOSED, Deadline.NONE) for event in Event if event is not Event.LOST},
}

# Connections the site counts against the cap.
OPEN = frozenset({Phase.NEW, Phase.IDLE, Phase.HEADERS, Phase.BODY, Phase.HANDLING})
# Connections the cap may close: none holds a request the site has accepted. One still
# sending its headers counts, because a slow sender is exactly what a flood looks like.
EVICTABLE = frozenset({Phase.NEW, Phase.IDLE, Phase.HEADERS})


def raw_error(status: int, reason: str, code: str, message: str, *headers: str) -> bytes:
    """A whole HTTP response with the JSON error envelope, for a connection the site answers
    without a request object (the request has not arrived, or never will)."""
    body = encode(ApiError(status, code, message).envelope())
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", "Cache-Control: no-store",
            f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body


class LimitedChannel(HTTPChannel):
    """An HTTP/1.1 channel that tells its site's :class:`Connections` what it is doing and
    enforces the header and body deadlines."""

    phase = Phase.NEW
    _deadline = None

    def connectionMade(self):
        super().connectionMade()
        self.site.connections.track(self)
        self._set_deadline(Deadline.HEADERS)

    def dataReceived(self, data):
        self._on(Event.BYTES)
        super().dataReceived(data)

    def lineReceived(self, line):
        # Lines of a pipelined request can follow an answer given within the same read.
        self._on(Event.BYTES)
        super().lineReceived(line)

    def allHeadersReceived(self):
        super().allHeadersReceived()
        if self.length != 0:
            self._on(Event.BODY_FOLLOWS)

    def allContentReceived(self):
        self._on(Event.CONTENT_DONE)
        super().allContentReceived()

    def requestDone(self, request):
        # Before Twisted replays the pipelined bytes it held back.
        self._on(Event.ANSWERED)
        super().requestDone(request)

    def connectionLost(self, reason):
        self._on(Event.LOST)
        super().connectionLost(reason)

    def close(self):
        self._on(Event.CLOSE)
        self.loseConnection()

    def _respondToBadRequestAndDisconnect(self):
        # twisted.web's own answer to a request it cannot parse has no body; ours is the envelope.
        self.transport.write(raw_error(400, "Bad Request", "malformed",
                                       "the request is not HTTP/1.1, or its headers are too many or too long"))
        self.loseConnection()

    def lineLengthExceeded(self, line):
        self._respondToBadRequestAndDisconnect()

    def _on(self, event: Event):
        before = self.phase
        self.phase, deadline = TRANSITIONS[before, event]
        self._set_deadline(deadline)
        if self.phase is not before:
            self.site.connections.track(self)

    def _set_deadline(self, deadline: Deadline):
        if deadline is Deadline.KEEP:
            return
        if self._deadline is not None and self._deadline.active():
            self._deadline.cancel()
        self._deadline = None
        limits = self.site.limits
        seconds = {Deadline.HEADERS: limits.header_timeout_s, Deadline.BODY: limits.body_timeout_s}.get(deadline)
        if seconds is not None:
            self._deadline = self.callLater(seconds, self._too_slow, deadline, seconds)

    def _too_slow(self, deadline: Deadline, seconds: float):
        self._deadline = None
        if self.phase is not Phase.NEW:
            what = "headers" if deadline is Deadline.HEADERS else "body"
            self.transport.write(raw_error(408, "Request Timeout", "request_timeout",
                                           f"the request's {what} did not arrive within {seconds:g} s"))
        self.close()


class Room(enum.Enum):
    FREE = "free"  # under the cap, perhaps after closing idle connections
    BUSY = "busy"  # at the cap and every connection is busy: answer 503
    FULL = "full"  # the descriptors set aside for connections are all held: drop at once


class Refusal(Protocol):
    """What a connection gets when the cap is reached and every open connection is busy."""

    def __init__(self, answer: bytes, connections: Connections):
        self.answer = answer
        self.connections = connections
        connections.hold(self)

    def connectionMade(self):
        self.transport.write(self.answer)
        self.transport.loseConnection()

    def connectionLost(self, reason):
        self.connections.release(self)


class Connections:
    """The connections of one site. Those the cap may close are kept in the order they last
    changed phase, so the first is the one idle the longest.

    A closed connection lets go of its socket only on the reactor's next turn, while one
    turn may accept many new ones; so the site holds up to twice the cap in descriptors
    (see :func:`descriptor_plan`) and drops new connections outright beyond that.
    """

    def __init__(self, cap: int, clock):
        self.cap = cap
        self.clock = clock
        self._open: set[LimitedChannel] = set()
        self._evictable: OrderedDict[LimitedChannel, None] = OrderedDict()
        self._closing: set[Protocol] = set()
        self._warned_at: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._open)

    @property
    def held(self) -> int:
        """Sockets held, closing ones included."""
        return len(self._open) + len(self._closing)

    def track(self, channel: LimitedChannel):
        self._evictable.pop(channel, None)
        if channel.phase in EVICTABLE:
            self._evictable[channel] = None
        if channel.phase in OPEN:
            self._open.add(channel)
        else:
            self._open.discard(channel)
        if channel.phase is Phase.CLOSING:
            self.hold(channel)
        elif channel.phase is Phase.CLOSED:
            self.release(channel)

    def hold(self, closing: Protocol):
        self._closing.add(closing)

    def release(self, closing: Protocol):
        self._closing.discard(closing)

    def make_room(self) -> Room:
        """Close idle connections until a new one fits under the cap."""
        if self.held >= 2 * self.cap:
            self._warn("new ones are dropped until closed ones let go")
            return Room.FULL
        while len(self._open) >= self.cap and self._evictable:
            self._warn("closing the ones idle the longest")
            next(iter(self._evictable)).close()
        if len(self._open) < self.cap:
            return Room.FREE
        self._warn("every one is answering a request, so new ones are refused")
        return Room.BUSY

    def _warn(self, what: str):
        now = self.clock.seconds()
        if now - self._warned_at.get(what, -WARN_EVERY_S) >= WARN_EVERY_S:
            self._warned_at[what] = now
            log.warn("{count} connections open, the most max_connections allows: {what}",
                     count=len(self._open), what=what)


class QuietSite(Site):
    """A site without per-request access logs or tracebacks: a hub answers readings many
    times a minute (a log line each cost a third of its request time), and a relay is
    commanded every few seconds; errors reach the log through the API's error handler.

    It serves HTTP/1.1 only (no switch to HTTP/2), so every connection is a
    :class:`LimitedChannel`."""

    displayTracebacks = False
    noisy = False
    protocol = LimitedChannel

    def __init__(self, resource, limits: ConnectionLimits = DEFAULT_LIMITS, reactor=None):
        super().__init__(resource, timeout=limits.idle_timeout_s, reactor=reactor)
        self.limits = limits
        self.connections = Connections(limits.max_connections, self.reactor)
        self._busy = raw_error(503, "Service Unavailable", "busy",
                               "every connection is answering a request; try again shortly",
                               "Retry-After: 1")

    def buildProtocol(self, addr):
        room = self.connections.make_room()
        if room is Room.FULL:
            return None  # the listening port closes the socket at once
        if room is Room.BUSY:
            return Refusal(self._busy, self.connections)
        return super().buildProtocol(addr)

    def log(self, request):
        pass


def descriptor_plan(soft: int, hard: int, max_connections: int,
                    reserved: int = RESERVED_DESCRIPTORS) -> tuple[int, int]:
    """``(soft limit to set, connections that then fit)``: two descriptors per connection
    (see :class:`Connections`) and the reserve, as far as the hard limit allows, and never
    less than the process already has."""
    if soft == resource.RLIM_INFINITY:
        return soft, max_connections
    wanted = 2 * max_connections + reserved
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    new_soft = max(soft, ceiling)
    return new_soft, max(1, min(max_connections, (new_soft - reserved) // 2))


def fit_descriptors(limits: ConnectionLimits, getrlimit=resource.getrlimit,
                    setrlimit=resource.setrlimit) -> ConnectionLimits:
    """Raise this process's soft RLIMIT_NOFILE for ``limits`` and return the limits that fit.

    systemd starts a service with a soft limit of 1024; a process that ran out would refuse
    every connection, its own database files included, until some closed.
    """
    soft, hard = getrlimit(resource.RLIMIT_NOFILE)
    new_soft, fits = descriptor_plan(soft, hard, limits.max_connections)
    if new_soft != soft:
        setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    if fits < limits.max_connections:
        log.warn("max_connections {cap} needs {need} file descriptors, {hard} are allowed: serving at most "
                 "{fits} connections; raise LimitNOFILE= in the unit or lower max_connections",
                 cap=limits.max_connections, need=2 * limits.max_connections + RESERVED_DESCRIPTORS,
                 hard=hard, fits=fits)
    return attrs.evolve(limits, max_connections=fits)
