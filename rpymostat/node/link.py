"""A node's link to its hub: find it, enroll once, register, notice when it is gone.

- **Find.** ``--hub URL`` names the hub; otherwise the node browses mDNS
  (:class:`rpymostat.node.discovery.HubBrowser`). An advertisement is only a hint.
- **Enroll once.** With no device token yet, the node trades its enrollment key for one
  (``POST /v1/enroll``) and keeps the token and the hub's ``hub_id`` in its data dir
  (:mod:`rpymostat.node.credentials`). From then on it is *pinned*: it only looks at
  advertisements carrying that ``hub_id``, and it only stays with a hub whose
  registration reply (an authenticated call, so a stranger cannot fake it) says so too.
- **Pin the certificate.** A hub on HTTPS is trusted by its certificate's fingerprint
  (:mod:`rpymostat.runtime.tls`): ``--hub-fingerprint`` if given, else the one pinned at
  enrollment, else the one the advertisement carries, else the first one presented (trust
  on first use). Every handshake checks it; a hub presenting another certificate, or a
  pinned hub that now speaks plain HTTP, gets nothing (not even the token) and is told
  about once in the log, with what to do.
- **Register.** ``POST /v1/nodes`` on every (re)connection; the reply carries settings.
- **Enroll again.** A call refused with 401 drops the link; a token that the pinned hub
  then refuses at registration too (revoked, e.g. when an admin allowed this node to enroll
  again) is dropped, the pin kept, and the node enrolls again with its enrollment key. The
  hub refuses to enroll a node it knows (409) until an admin runs ``rpymostat node
  re-enroll ID``; the node says so and keeps trying.
- **Notice.** Three failed calls in a row (network, timeout, 5xx), or an advertisement of
  the pinned hub at another address or port, drop the link and browse again, waiting
  1, 2, 4 ... 30 s between attempts.

The link is one state machine (:data:`LINK_STATES`, one table):

===========  ======================================================================
STOPPED      not started, or stopped
FINDING      looking for the hub (the URL given, or an mDNS browse) and at each candidate
REGISTERING  ``POST /v1/nodes`` to a candidate
ENROLLING    ``POST /v1/enroll`` to a candidate: no token yet, or the pinned hub revoked it
WAITING      no candidate took the node: the next search is set on the clock
CONNECTED    registered: the daemons' calls go to this hub
FAILED       an unexpected error stopped the link (logged as critical)
===========  ======================================================================

A search runs from FINDING to CONNECTED or WAITING; stopping the link (or a new search)
makes the one in progress stale, and whatever it hears afterwards is ignored.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Callable

from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.python.failure import Failure

from rpymostat.core.machine import Machine
from rpymostat.node.client import HubClient, HubRefused, HubUnreachable
from rpymostat.node.credentials import FILE, Credentials, load_credentials, save_credentials
from rpymostat.node.discovery import Backoff, HubCandidate
from rpymostat.runtime.tls import TRUST_ON_FIRST_USE, Pins

log = Logger(namespace="rpymostat.node.link")
MAX_FAILURES = 3


class NotConnected(HubUnreachable):
    """No hub is known right now."""


class Link(enum.Enum):
    STOPPED = "stopped"
    FINDING = "finding"
    REGISTERING = "registering"
    ENROLLING = "enrolling"
    WAITING = "waiting"
    CONNECTED = "connected"
    FAILED = "failed"


class LinkEvent(enum.Enum):
    START = "start"
    TRY = "try"  # a candidate this node may speak to, with a token: register
    ENROLL = "enroll"  # no token, or the pinned hub refused it: enroll first
    ENROLLED = "enrolled"
    REGISTERED = "registered"
    PASSED = "passed"  # this candidate did not take the node
    EXHAUSTED = "exhausted"  # no candidate took it
    WAKE = "wake"  # the backoff is over, or the pinned hub announced itself
    LOST = "lost"
    BROKE = "broke"  # an error nobody expected
    STOP = "stop"


L, LE = Link, LinkEvent

LINK_STATES = {
    (L.STOPPED, LE.START): (L.FINDING, "search"),
    (L.FINDING, LE.TRY): (L.REGISTERING, None),
    (L.FINDING, LE.ENROLL): (L.ENROLLING, None),
    (L.FINDING, LE.EXHAUSTED): (L.WAITING, "wait"),
    (L.REGISTERING, LE.ENROLL): (L.ENROLLING, None),
    (L.REGISTERING, LE.REGISTERED): (L.CONNECTED, None),
    (L.REGISTERING, LE.PASSED): (L.FINDING, None),
    (L.ENROLLING, LE.ENROLLED): (L.REGISTERING, None),
    (L.ENROLLING, LE.PASSED): (L.FINDING, None),
    (L.WAITING, LE.WAKE): (L.FINDING, "search"),
    (L.CONNECTED, LE.LOST): (L.FINDING, "search"),
    **{(state, LE.BROKE): (L.FAILED, "halt") for state in (L.FINDING, L.REGISTERING, L.ENROLLING)},
    **{(state, LE.STOP): (L.STOPPED, "halt") for state in L},
}


class HubLink:
    """Owns the connection state; the daemons make their calls through :meth:`call`.

    ``registration(url)`` builds the node's ``POST /v1/nodes`` body for a hub at ``url``
    (the relay puts there the address the hub can reach it at); ``on_registered(reply)``
    hears every successful registration. ``ways_to_set(key)`` words how a person gives the
    daemon a setting (its flag, the environment variable it reads, its file), for the
    messages that ask for one.
    """

    def __init__(self, *, clock, http, data_dir: Path, node_id: str, name: str,
                 registration: Callable[[str], dict], on_registered: Callable[[dict], None],
                 browser=None, hub_url: str | None = None, enrollment_key: str | None = None,
                 token: str | None = None, system: str | None = None, backoff: Backoff | None = None,
                 pins: Pins | None = None, hub_fingerprint: str | None = None,
                 ways_to_set: Callable[[str], str] = lambda key: f"--{key.replace('_', '-')} (or {key} "
                                                                 "in the config file)"):
        if browser is None and hub_url is None:
            raise ValueError("a hub link needs a hub URL or a browser")
        self.clock = clock
        self.http = http
        self.data_dir = Path(data_dir)
        self.node_id = node_id
        self.name = name
        self.registration = registration
        self.on_registered = on_registered
        self.browser = browser
        self.hub_url = hub_url.rstrip("/") if hub_url else None
        self.enrollment_key = enrollment_key
        self.system = system
        self.backoff = backoff or Backoff()
        self.pins = pins
        self.hub_fingerprint = hub_fingerprint
        self.ways_to_set = ways_to_set
        stored = load_credentials(self.data_dir)
        self.configured_token = token
        if token:
            self.credentials = Credentials(token=token, hub_id=stored.hub_id if stored else "",
                                           hub_fingerprint=stored.hub_fingerprint if stored else "")
        else:
            self.credentials = stored
        self._told: set = set()
        self.client: HubClient | None = None
        self.failures = 0
        self.connected: Deferred = Deferred()
        self.machine = Machine("hub link", LINK_STATES, L.STOPPED, {
            "search": self._search, "wait": self._wait, "halt": self._halt})
        self._search_id = 0  # the search in progress; an older one is stale
        self._found_none = False  # the last search saw no candidate at all
        self._wake_call = None
        if browser is not None:
            browser.on_candidate(self._advertised)

    # -- lifecycle --------------------------------------------------------

    @property
    def phase(self) -> Link:
        return self.machine.state

    def start(self) -> None:
        self.machine.fire(LE.START)

    def stop(self) -> None:
        self.machine.fire(LE.STOP)

    @property
    def hub_id(self) -> str | None:
        return self.credentials.hub_id if self.credentials else None

    @property
    def token(self) -> str | None:
        return self.credentials.token if self.credentials else None

    # -- calls ------------------------------------------------------------

    @inlineCallbacks
    def call(self, method: str, *args):
        """``HubClient.<method>(*args)`` on the current hub, counting failures."""
        client = self.client
        if client is None:
            raise NotConnected("no hub yet")
        try:
            result = yield getattr(client, method)(*args)
        except HubUnreachable as exc:
            if client is self.client:
                self._unreachable(client, exc)
            raise
        except HubRefused as exc:
            if exc.status == 401 and client is self.client:
                self.lost(f"the hub no longer accepts this node's token ({exc.message})")
            raise
        if client is self.client:
            self.failures = 0
        return result

    def _unreachable(self, client: HubClient, exc: HubUnreachable) -> None:
        if self._certificate_refused(client.url):
            self.lost("it presented another TLS certificate")
            return
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.lost(f"{self.failures} failed calls ({exc})")

    def register_again(self) -> Deferred:
        """Send the registration again (e.g. the node's sensors changed)."""
        return self.call("register", self.registration(self.client.url if self.client else ""))

    def lost(self, why: str) -> None:
        """The hub is gone (or will not have this node): look for it again."""
        if self.phase is not L.CONNECTED:
            return
        log.warn("lost the hub at {url}: {why}; looking for it again", url=self.client.url, why=why)
        self.client = None
        self.failures = 0
        self.machine.fire(LE.LOST)

    # -- the machine's actions -------------------------------------------------

    def _search(self) -> None:
        self._search_id += 1
        search = self._search_id
        self._find(search).addErrback(self._broke, search)

    def _wait(self) -> None:
        delay = self.backoff.next()
        if self._found_none:  # a hub that was found but did not take the node said why
            log.info("no hub found yet; trying again in {delay:g} s", delay=delay)
        self._wake_call = self.clock.callLater(delay, self.machine.fire, LE.WAKE)

    def _halt(self) -> None:
        self._search_id += 1
        self.client = None
        if self._wake_call is not None and self._wake_call.active():
            self._wake_call.cancel()

    def _broke(self, failure: Failure, search: int) -> None:
        """Not a hub that is away or refuses (those are retried): a bug, or a data dir the
        node cannot write. The link stops rather than retry blindly."""
        if search != self._search_id:
            return
        log.failure("the hub link stopped on an unexpected error; this node will not talk to a hub "
                    "until it is restarted", failure)
        self.machine.fire(LE.BROKE)

    def _step(self, search: int, event: LinkEvent) -> bool:
        """Fire ``event`` for the search in progress; False when ``search`` is stale."""
        if search != self._search_id:
            return False
        self.machine.fire(event)
        return True

    # -- finding, enrolling, registering -------------------------------------

    @inlineCallbacks
    def _find(self, search: int):
        candidates = yield self._locate()
        for candidate in candidates:
            if search != self._search_id or (yield self._attach(candidate, search)):
                return
        self._found_none = not candidates
        self._step(search, LE.EXHAUSTED)

    def _wanted(self, candidate: HubCandidate) -> bool:
        if self.hub_id:
            return candidate.hub_id == self.hub_id
        return self.system is None or candidate.system == self.system

    @inlineCallbacks
    def _locate(self):
        if self.hub_url:
            return [HubCandidate(url=self.hub_url, hub_id=self.hub_id or "", system="")]
        return (yield self.browser.browse(self._wanted))

    @inlineCallbacks
    def _attach(self, candidate: HubCandidate, search: int):
        """Whether the candidate took this node (the link is then CONNECTED)."""
        if not self._may_speak_to(candidate):
            return False
        client = HubClient(self.http, self.clock, candidate.url)
        try:
            reply = yield self._register(client, candidate.url, search)
        except (HubUnreachable, HubRefused) as exc:
            if not self._certificate_refused(candidate.url):
                log.warn("hub at {url} did not take this node: {exc}; trying the next candidate, or "
                         "again later", url=candidate.url, exc=exc)
            reply = None
        if search != self._search_id:
            return False
        if reply is None or not self._same_hub(candidate.url, reply):
            self.machine.fire(LE.PASSED)
            return False
        if self._certificate(candidate.url) != self.credentials.hub_fingerprint:
            self._pin(self.credentials.token, self.credentials.hub_id, self._certificate(candidate.url))
        self.client = client
        self.failures = 0
        self.backoff.reset()
        self.machine.fire(LE.REGISTERED)
        log.info("registered with hub {hub_id} at {url}", hub_id=reply["hub_id"], url=candidate.url)
        self.on_registered(reply)
        if not self.connected.called:
            self.connected.callback(client.url)
        return True

    def _same_hub(self, url: str, reply: dict) -> bool:
        """Pins the hub a node without one registered with; refuses another hub."""
        if not self.credentials.hub_id:
            self._pin(self.credentials.token, reply["hub_id"], self._certificate(url))
        elif reply["hub_id"] != self.credentials.hub_id:
            log.warn("hub at {url} is hub {other}, not hub {mine} this node enrolled with; ignoring it",
                     url=url, other=reply["hub_id"], mine=self.credentials.hub_id)
            return False
        return True

    @inlineCallbacks
    def _register(self, client: HubClient, url: str, search: int):
        """The registration reply, or None when the node has no token and cannot get one
        (or the search went stale). A token the pinned hub refuses is dropped and the node
        enrolls again at once."""
        if self.token is not None:
            self.machine.fire(LE.TRY)
            client.token = self.token
            try:
                return (yield client.register(self.registration(url)))
            except HubRefused as exc:
                if exc.status != 401 or not (yield self._is_pinned_hub(client)):
                    raise
                if search != self._search_id:
                    return None
                self._drop_token(exc)
        self.machine.fire(LE.ENROLL)
        client.token = None
        if not (yield self._enroll(client)) or not self._step(search, LE.ENROLLED):
            return None
        client.token = self.token
        return (yield client.register(self.registration(url)))

    @inlineCallbacks
    def _is_pinned_hub(self, client: HubClient):
        """Whether the hub at ``client`` says it is the one this node is pinned to: another
        hub (another system on the LAN, an old address) refusing the token says nothing
        about it."""
        if not self.hub_id:
            return True
        health = yield client.health()
        return isinstance(health, dict) and health.get("hub_id") == self.hub_id

    @inlineCallbacks
    def _enroll(self, client: HubClient):
        if not self.enrollment_key:
            self._tell(("no key", self.hub_id),
                       "{why} and no enrollment key: give one with {key_ways}, or a device token with "
                       "{token_ways}; until then this node keeps looking for the hub and cannot join it",
                       key_ways=self.ways_to_set("enrollment_key"), token_ways=self.ways_to_set("token"),
                       why="the hub revoked this node's token" if self.hub_id else "this node has no device token")
            return False
        try:
            reply = yield client.enroll(self.enrollment_key, self.node_id, self.name)
        except HubRefused as exc:
            if exc.status != 409:
                raise
            self._tell(("enrollment refused", client.url),
                       "hub at {url} will not enroll node {node_id} again: it knows this node already. "
                       "If this node was reinstalled or replaced, run `rpymostat node re-enroll {node_id}` "
                       "on the hub; trying again until then", url=client.url, node_id=self.node_id)
            return False
        if self.hub_id and reply["hub_id"] != self.hub_id:
            log.warn("hub at {url} is hub {other}, not hub {mine} this node is pinned to; not "
                     "keeping its token", url=client.url, other=reply["hub_id"], mine=self.hub_id)
            return False
        self._pin(reply["token"], reply["hub_id"], self._certificate(client.url))
        self._told.discard(("enrollment refused", client.url))
        log.info("enrolled with hub {hub_id} (system {system!r})", hub_id=reply["hub_id"],
                 system=reply.get("system", ""))
        return True

    def _drop_token(self, refusal: HubRefused) -> None:
        """The hub revoked this node's token (an admin allowed it to enroll again, or
        deleted it): forget the token, stay pinned to the hub and its certificate. Without
        an enrollment key, enrolling says what to do instead."""
        if self.enrollment_key:
            advice = " (and remove the token from this node's configuration)" if (
                self.token == self.configured_token) else ""
            log.warn("hub {hub_id} refused this node's token ({message}); enrolling again with the "
                     "enrollment key{advice}", hub_id=self.hub_id, message=refusal.message, advice=advice)
        self._pin(None, self.hub_id or "", self.credentials.hub_fingerprint)

    def _pin(self, token: str | None, hub_id: str, fingerprint: str) -> None:
        if fingerprint and (self.credentials is None or fingerprint != self.credentials.hub_fingerprint):
            log.info("pinned the hub's TLS certificate sha256 {fingerprint}", fingerprint=fingerprint)
        self.credentials = Credentials(token=token, hub_id=hub_id, hub_fingerprint=fingerprint)
        save_credentials(self.data_dir, self.credentials)

    # -- the hub's certificate ---------------------------------------------------

    def _may_speak_to(self, candidate: HubCandidate) -> bool:
        """Whether this node may call the candidate at all; for HTTPS, pins what it must present."""
        pinned = self.hub_fingerprint or (self.credentials.hub_fingerprint if self.credentials else "")
        if not candidate.url.startswith("https:"):
            if pinned:
                self._tell(("plain", candidate.url),
                           "the hub at {url} speaks plain HTTP but this node pinned its TLS certificate: not "
                           "talking to it. If the hub was switched to plain HTTP on purpose, remove {path} "
                           "and enroll this node again", url=candidate.url, path=self.data_dir / FILE)
                return False
            return True
        if self.pins is None:
            self._tell(("https", candidate.url), "the hub at {url} speaks HTTPS but this node runs with "
                       "tls = false: turn TLS on for this node to talk to it", url=candidate.url)
            return False
        self.pins.expect(candidate.url, pinned or candidate.fingerprint or TRUST_ON_FIRST_USE)
        return True

    def _certificate(self, url: str) -> str:
        """The fingerprint the hub at ``url`` was accepted with ("" on plain HTTP)."""
        if self.pins is None or not url.startswith("https:"):
            return ""
        return self.pins.pinned(url) or ""

    def _certificate_refused(self, url: str) -> bool:
        """Whether a call to ``url`` failed because the hub presented another certificate."""
        refusal = self.pins.take_refusal(url) if self.pins is not None else None
        if refusal is None:
            return False
        self._tell(("certificate", url, refusal.presented),
                   "the hub at {url} presented TLS certificate sha256 {presented}, not {expected} as pinned: "
                   "not talking to it. If the hub's certificate was replaced on purpose (the hub logs its "
                   "fingerprint at start), restart this node with --hub-fingerprint {presented} "
                   "(or hub_fingerprint in its config file)",
                   url=url, presented=refusal.presented, expected=refusal.expected)
        return True

    def _tell(self, key: tuple, text: str, **fields) -> None:
        """Warn of something the person running the node must act on, once, not at every
        retry: the link keeps trying meanwhile."""
        if key not in self._told:
            self._told.add(key)
            log.warn(text, **fields)

    def _advertised(self, candidate: HubCandidate) -> None:
        """The pinned hub announced itself: follow it if it moved, hurry up if we wait."""
        if not self.hub_id or candidate.hub_id != self.hub_id:
            return
        if self.phase is L.CONNECTED and self.client.url != candidate.url:
            self.lost(f"it now answers at {candidate.url}")
        elif self.phase is L.WAITING:
            self._wake_call.cancel()
            self.machine.fire(LE.WAKE)
