"""Carrying out decisions on relay nodes: ``PUT /v1/outputs/{id}`` with a lease, renewed
at a third of its length while the output should stay on.

The control service tells the dispatcher, every tick, the state each output should be
in (``set``); the dispatcher sends a command only when that differs from what the relay
last confirmed, or when a lease is due for renewal, so calling ``set`` again and again
sends nothing new: commands are idempotent on both sides.

What the hub believes must never be *less* cautious than what the relay does, because
the guard's timers (minimum off, starts per hour, changeover) run on the hub's belief.
So whenever an output may be off while the hub counts it as running, the dispatcher
calls ``on_lost(output_id, when, why)`` with the *latest* instant the relay may still
have had it on, and stops acting on its own until the control service decides again:

- a start ("on" while not confirmed on) fails or gets no answer: the relay may have
  switched on and will switch off by itself when the lease runs out, so ``when`` is the
  send time + the request timeout + the lease;
- renewals fail until the confirmed lease runs out: ``when`` is the end of the last lease
  a renewal may have given (``lease_lost``);
- the relay refuses an "on" (409: inside its own minimum off time): it is off, now.

Renewals are sent only while they can arrive (send + 2 × timeout) before the confirmed
lease ends: a renewal reaching a relay whose lease ran out would be a new start that no
guard approved.

A relay that does not answer, or refuses, is a *problem* (``problems()``), shown as an
alarm in the zone's state and the hub status until a command to it succeeds again. An
HTTPS relay must present the certificate its node registered (``trust``): one that
presents another is refused in the handshake, before the command or the token leaves the
hub, and is the problem ``relay_certificate_changed``.

Every instant here (``on_lost``'s ``when``, ``reported``'s, ``state()``'s lease end) is on
the dispatcher's clock, the hub's monotonic timer (``rpymostat.runtime.monotonic``): a lease is
a duration, and a stepped wall clock must neither drop renewals nor hold them back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import quote

import attrs
from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from rpymostat.runtime.tls import Pins

log = Logger()
RENEWALS_PER_LEASE = 3
TIMEOUT_S = 5.0


@attrs.frozen
class Problem:
    code: str
    message: str
    since: float


class _Output:
    """The dispatcher's knowledge of one output."""

    def __init__(self, output_id: str):
        self.output_id = output_id
        self.node_id: str | None = None
        self.url: str | None = None
        self.desired: bool | None = None  # None: wait for the control service's next word
        self.confirmed: bool | None = None  # what the relay last confirmed; None: unknown
        self.confirmed_at: float | None = None
        self.lease_until: float | None = None  # end of the last confirmed lease
        self.possibly_on_until: float | None = None  # latest end of any lease sent
        self.stop_unconfirmed_until: float | None = None  # the lease end last reported lost
        self.sending = False
        self.timer = None
        self.problem: Problem | None = None


class Dispatcher:
    """``http`` is treq or a ``StubTreq``; ``lease_s()`` the lease to send, read at each
    command so that a settings change applies at the next one; ``command_token(node_id)``
    the token the hub stored for that relay (None for a node that is not a registered relay).
    ``clock`` times leases, renewals and request time-outs: the monotonic timer."""

    def __init__(self, *, clock, http, command_token: Callable[[str], str | None],
                 lease_s: Callable[[], float], on_lost: Callable[[str, float, str], None],
                 timeout_s: float = TIMEOUT_S, pins: Pins | None = None):
        self.clock = clock
        self.http = http
        self.pins = pins
        self.command_token = command_token
        self.lease_s = lease_s
        self.on_lost = on_lost
        self.timeout_s = timeout_s
        self.outputs: dict[str, _Output] = {}

    # -- what the control service says ---------------------------------------

    def set(self, output_id: str, node_id: str | None, url: str | None, on: bool) -> None:
        out = self.outputs.get(output_id) or self.outputs.setdefault(output_id, _Output(output_id))
        out.node_id, out.url, out.desired = node_id, url, on
        self._pump(out)

    def release(self, keep: set[str]) -> None:
        """Outputs that no zone uses any more are switched off."""
        for output_id, out in self.outputs.items():
            if output_id not in keep and out.desired is not False:
                out.desired = False
                self._pump(out)

    def hold(self) -> None:
        """Send nothing more (no renewal, no retry) until the control service's next
        word for each output: a control loop that cannot decide lets the leases run out."""
        for out in self.outputs.values():
            self._cancel(out)
            out.desired = None

    def reported(self, output_id: str, state: str, when: float | None) -> None:
        """A relay's own report of an output (the outputs table). A report older than
        the last confirmation says nothing new."""
        out = self.outputs.get(output_id)
        if out is None or when is None or (out.confirmed_at is not None and when <= out.confirmed_at):
            return
        if state == "off" and out.confirmed:
            self._cancel(out)
            out.confirmed, out.lease_until, out.desired = False, None, None
        elif state == "on" and out.desired is False and out.confirmed is not None:
            out.confirmed = None
            self._pump(out)

    def may_be_on_until(self, output_id: str, until: float) -> None:
        """What the hub knows of an output it has not commanded yet: the relay may keep it
        on until ``until`` (a lease the hub gave before it restarted)."""
        out = self.outputs.setdefault(output_id, _Output(output_id))
        out.possibly_on_until = max(out.possibly_on_until or until, until)

    def trust(self, certificates: Mapping[str, str | None]) -> None:
        """The certificate each relay URL must present: the fingerprint its node registered
        (over its own authenticated channel). An HTTPS relay without one is never commanded."""
        if self.pins is not None:
            self.pins.replace({url: fingerprint for url, fingerprint in certificates.items() if fingerprint})

    def problems(self) -> dict[str, Problem]:
        return {o.output_id: o.problem for o in self.outputs.values() if o.problem is not None}

    def state(self, output_id: str) -> dict:
        out = self.outputs.get(output_id)
        if out is None:
            return {"commanded": None, "lease_until": None}
        commanded = None if out.confirmed is None else "on" if out.confirmed else "off"
        return {"commanded": commanded, "lease_until": out.lease_until if out.confirmed else None}

    def stop(self) -> None:
        for out in self.outputs.values():
            self._cancel(out)

    # -- sending ---------------------------------------------------------------

    def _pump(self, out: _Output) -> None:
        if out.sending or out.desired is None:
            return
        if out.desired and out.confirmed:
            if out.timer is None:
                self._plan_renewal(out)
            return
        if out.desired is False and out.confirmed is False:
            return
        self._send(out, out.desired)

    def _send(self, out: _Output, on: bool) -> None:
        self._cancel(out)
        unsendable = self._unsendable(out)
        if unsendable is not None:
            code, why, message = unsendable
            self._trouble(out, code, message)
            if on:
                self._lost(out, self.clock.seconds(), why)
            return
        out.sending = True
        lease = float(self.lease_s())
        sent_at = self.clock.seconds()
        renewal = on and bool(out.confirmed)
        if on:
            bound = sent_at + self.timeout_s + lease
            out.possibly_on_until = max(out.possibly_on_until or bound, bound)
        d = self._put(out, self.command_token(out.node_id), on, lease)
        d.addCallback(self._answered, out, on, lease, renewal, sent_at)
        d.addErrback(self._unanswered, out, on, renewal, sent_at)
        d.addErrback(lambda failure: log.failure("dispatching {id} failed", failure, id=out.output_id))

    def _unsendable(self, out: _Output) -> tuple[str, str, str] | None:
        """Why no command can go to the output's relay: (problem code, lost reason, message)."""
        if out.url is None or out.node_id is None or self.command_token(out.node_id) is None:
            return "relay_unknown", "no_node", (f"output {out.output_id} has no relay node to command "
                                                f"(its node is unknown or has no URL or command token)")
        if out.url.startswith("https:") and self.pins is None:
            return "relay_needs_tls", "no_tls", (f"relay node {out.node_id} serves HTTPS but this hub "
                                                 f"runs with tls = false: turn TLS on for the hub, or "
                                                 f"off for the relay node (--no-tls)")
        return None

    @inlineCallbacks
    def _put(self, out: _Output, token: str, on: bool, lease: float):
        body = {"state": "on", "lease_s": int(round(lease))} if on else {"state": "off"}
        url = f"{out.url.rstrip('/')}/v1/outputs/{quote(out.output_id, safe='')}"
        headers = {"Authorization": f"Bearer {token}",
                   "Content-Type": "application/json", "Accept": "application/json"}
        response = yield self.http.request("PUT", url, data=json.dumps(body).encode(), headers=headers,
                                           timeout=self.timeout_s, reactor=self.clock)
        raw = yield self.http.content(response)
        return response.code, raw

    def _answered(self, answer, out: _Output, on: bool, lease: float, renewal: bool, sent_at: float):
        code, raw = answer
        out.sending = False
        now = self.clock.seconds()
        if code == 200:
            out.problem = None
            out.confirmed, out.confirmed_at = on, now
            if on:
                out.lease_until = out.possibly_on_until = now + lease
                self._plan_renewal(out)
            else:
                out.lease_until = out.possibly_on_until = None
            self._pump(out)
            return
        message = _error_message(raw)
        if code == 409 and on:
            # The relay is off and inside its own minimum off time.
            self._trouble(out, "relay_refused", f"relay node {out.node_id} refused to switch "
                                                f"{out.output_id} on: {message}")
            out.confirmed, out.confirmed_at, out.lease_until = False, now, None
            self._lost(out, now, "refused")
            return
        if code < 500:
            self._trouble(out, "relay_refused", f"relay node {out.node_id} refused to switch "
                                                f"{out.output_id} {'on' if on else 'off'}: {code} {message}")
        else:
            self._trouble(out, "relay_failed", f"relay node {out.node_id} failed to switch "
                                               f"{out.output_id}: {code} {message}")
        self._after_failure(out, on, renewal, sent_at)

    def _unanswered(self, failure, out: _Output, on: bool, renewal: bool, sent_at: float):
        out.sending = False
        error = failure.value
        refusal = self.pins.take_refusal(out.url) if self.pins is not None else None
        if refusal is not None:
            registered = f"not {refusal.expected} as it registered" if refusal.expected else "and registered none"
            self._trouble(out, "relay_certificate_changed",
                          f"relay node {out.node_id} at {out.url} presented TLS certificate sha256 "
                          f"{refusal.presented}, {registered}: it is not commanded until it registers "
                          f"with its new certificate (check that machine)")
        else:
            self._trouble(out, "relay_unreachable", f"relay node {out.node_id} does not answer "
                                                    f"(output {out.output_id}): {type(error).__name__}: {error}")
        self._after_failure(out, on, renewal, sent_at)

    def _after_failure(self, out: _Output, on: bool, renewal: bool, sent_at: float) -> None:
        if on and not renewal:
            out.confirmed = None
            self._lost(out, out.possibly_on_until, "start_failed")
        elif on:
            self._plan_renewal(out)
        else:
            out.confirmed = None
            until = out.possibly_on_until
            if until is not None and until > sent_at and until != out.stop_unconfirmed_until:
                # The stop did not arrive: the relay may keep the output on until its lease
                # ends, and the minimum off time must count from then (said once per lease).
                # The stop is retried.
                out.stop_unconfirmed_until = until
                self.on_lost(out.output_id, until, "stop_unconfirmed")
            self._later(out, self.lease_s() / RENEWALS_PER_LEASE, self._retry)

    def _plan_renewal(self, out: _Output) -> None:
        """The next renewal at a third of the lease from the last attempt, if it can still
        arrive within the confirmed lease; otherwise give the output up when it ends."""
        self._cancel(out)
        now = self.clock.seconds()
        step = self.lease_s() / RENEWALS_PER_LEASE
        at = now + step
        if at + 2 * self.timeout_s <= out.lease_until:
            self._later(out, step, self._retry)
        else:
            self._later(out, max(0.0, out.lease_until - now), self._lease_ran_out)

    def _retry(self, out: _Output) -> None:
        out.timer = None
        if out.desired is not None:
            self._send(out, out.desired)

    def _lease_ran_out(self, out: _Output) -> None:
        out.timer = None
        out.confirmed, out.lease_until = None, None
        self._lost(out, out.possibly_on_until, "lease_lost")

    # -- helpers ---------------------------------------------------------------

    def _lost(self, out: _Output, when: float, why: str) -> None:
        out.desired = None
        self.on_lost(out.output_id, when, why)

    def _trouble(self, out: _Output, code: str, message: str) -> None:
        if out.problem is None or out.problem.message != message:
            log.warn("{message}", message=message)
        since = out.problem.since if out.problem is not None else self.clock.seconds()
        out.problem = Problem(code, message, since)

    def _later(self, out: _Output, delay: float, call) -> None:
        out.timer = self.clock.callLater(delay, call, out)

    @staticmethod
    def _cancel(out: _Output) -> None:
        if out.timer is not None and out.timer.active():
            out.timer.cancel()
        out.timer = None


def _error_message(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace") or "no message"
