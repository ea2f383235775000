"""The relay node's side of the hub link: what it registers, what it learns from the
reply, and the state reports it owes the hub.

Registration sends the node's URL (https with its certificate's fingerprint, unless TLS is
off) and outputs; the reply brings the command token the API then requires and the
minimum off time the outputs then enforce. Every change of an
output's state is reported with ``PUT /v1/outputs/{id}/state``; while the hub is away
only the latest report per output is kept and tried again every few seconds (which is
also how a relay that is never commanded notices a lost hub: three failed calls). A report
fails as expected when the hub is unreachable (kept and tried again) or refuses it
(dropped); any other error fails ``crashed``, and the daemon stops.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import attrs
from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks, succeed
from twisted.logger import Logger

from rpymostat import __version__
from rpymostat.core.timeutil import format_time
from rpymostat.node.client import HubRefused, HubUnreachable

log = Logger(namespace="rpymostat.relay")
RETRY_S = 5.0


@attrs.frozen
class StateReport:
    output_id: str
    state: str
    time: str
    reason: str


def local_address_towards(url: str) -> str:
    """The address of this machine that packets to ``url``'s host leave from (a UDP
    "connect" sends nothing; it only asks the kernel for a route)."""
    host = urlsplit(url).hostname or "127.0.0.1"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((host, 9))
            return probe.getsockname()[0]
        except OSError:
            return "127.0.0.1"


class RelayNode:
    """``api`` is the :class:`rpymostat_relay.api.RelayAPI`, ``bank`` its OutputBank;
    ``link`` a HubLink made with this node's ``registration`` and ``registered``."""

    def __init__(self, *, bank, api, node_id: str, name: str, port: int, listen: str = "0.0.0.0",
                 url: str | None = None, fingerprint: str | None = None):
        self.bank = bank
        self.api = api
        self.node_id = node_id
        self.name = name
        self.port = port
        self.listen = listen
        self.url = url
        self.fingerprint = fingerprint  # of the API's certificate; None: plain HTTP
        self.link = None
        self.pending: dict[str, StateReport] = {}
        self._sending: Deferred | None = None
        self._retry = None
        self.crashed: Deferred = Deferred()

    def registration(self, hub_url: str) -> dict:
        body = {"node_id": self.node_id, "kind": "relay", "name": self.name, "version": __version__,
                "url": self.own_url(hub_url),
                "outputs": [{"output_id": s.id, "name": s.name} for s in self.bank.states.values()]}
        if self.fingerprint:
            body["tls_fingerprint"] = self.fingerprint
        return body

    @property
    def scheme(self) -> str:
        return "https" if self.fingerprint else "http"

    def own_url(self, hub_url: str) -> str:
        if self.url:
            return self.url
        host = self.listen if self.listen not in ("0.0.0.0", "") else local_address_towards(hub_url)
        return f"{self.scheme}://{host}:{self.port}/"

    def registered(self, reply: dict) -> None:
        self.api.command_token = reply["command_token"]
        settings = reply.get("settings", {})
        if "min_off_s" in settings and settings["min_off_s"] != self.bank.min_off_s:
            log.info("minimum off time is {s} s (from the hub)", s=settings["min_off_s"])
            self.bank.min_off_s = settings["min_off_s"]
        self.send_reports()

    def output_changed(self, output_id: str, on: bool, when: float, reason: str) -> None:
        self.pending[output_id] = StateReport(output_id, "on" if on else "off", format_time(when), reason)
        self.send_reports()

    def send_reports(self) -> Deferred:
        """Send what is pending; fires when the queue is empty or the hub is unreachable."""
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        if self._sending is None and self.link is not None and self.link.client is not None:
            self._sending = self._send()
            self._sending.addErrback(self._send_failed)
            self._sending.addBoth(self._sent)
        return self._sending if self._sending is not None else succeed(None)

    def stop(self) -> None:
        if self._retry is not None and self._retry.active():
            self._retry.cancel()

    def _send_failed(self, failure) -> None:
        """A cancel is the stop's doing; anything else is a fault: the node stops."""
        if not failure.check(CancelledError) and not self.crashed.called:
            self.crashed.errback(failure)

    def _sent(self, _):
        self._sending = None

    @inlineCallbacks
    def _send(self):
        while self.pending and self.link.client is not None:
            report = next(iter(self.pending.values()))
            try:
                yield self.link.call("report_output_state", report.output_id, report.state,
                                     report.time, report.reason)
            except HubUnreachable as exc:
                log.info("could not report {id} {state} yet: {exc}", id=report.output_id,
                         state=report.state, exc=exc)
                if self._retry is None or not self._retry.active():
                    self._retry = self.bank.timer.callLater(RETRY_S, self.send_reports)
                return
            except HubRefused as exc:
                log.warn("hub refused the state report of {id}: {exc}; not sending it again",
                         id=report.output_id, exc=exc)
            if self.pending.get(report.output_id) == report:
                del self.pending[report.output_id]
