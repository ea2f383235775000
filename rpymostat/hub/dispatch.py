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

Each output is a state machine (:data:`OUTPUT_STATES`, one table): what the relay last
confirmed, and what the dispatcher is doing about it.

============  ==================================================================
UNKNOWN       nothing confirmed (never commanded, a failed start, a lease lost)
OFF           the relay confirmed "off"
ON            confirmed "on", nothing planned (held: the lease runs out on the relay)
LEASED        confirmed "on", a renewal planned at a third of the lease
RUNNING_OUT   confirmed "on", too late for a renewal to arrive: lost when it ends
STARTING      "on" sent, not confirmed on before
RENEWING      "on" sent while confirmed on
STOPPING      "off" sent
STOP_AGAIN    the "off" got no answer: sent again later
============  ==================================================================

``desired`` (the control service's word: on, off, or None to wait for it) is not a
state but the input the dispatcher works towards: :func:`wish` picks the event it calls
for in each state.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable, Mapping
from urllib.parse import quote

import attrs
from twisted.internet.defer import CancelledError, inlineCallbacks
from twisted.internet.error import ConnectError, ConnectingCancelledError, ConnectionClosed
from twisted.internet.error import TimeoutError as TimedOut
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web.client import RequestNotSent, RequestTransmissionFailed, ResponseFailed, ResponseNeverReceived

from rpymostat.core.machine import Machine
from rpymostat.runtime.tls import Pins

log = Logger()
RENEWALS_PER_LEASE = 3
TIMEOUT_S = 5.0

# What a command that got no answer can fail with: the relay is down, unreachable, slow
# (the request time-out cancels it), or refused the TLS handshake. Anything else is a bug
# and is not caught here.
NO_ANSWER = (ConnectError, ConnectingCancelledError, ConnectionClosed, CancelledError, TimedOut, OSError,
             ResponseFailed, ResponseNeverReceived, RequestNotSent, RequestTransmissionFailed)


@attrs.frozen
class Problem:
    code: str
    message: str
    since: float


class Phase(enum.Enum):
    UNKNOWN = "unknown"
    OFF = "off"
    ON = "on"
    LEASED = "leased"
    RUNNING_OUT = "running out"
    STARTING = "starting"
    RENEWING = "renewing"
    STOPPING = "stopping"
    STOP_AGAIN = "stop again"


class Event(enum.Enum):
    START = "start"  # the output should be on and is not confirmed so: send "on"
    STOP = "stop"  # the output should be off and is not confirmed so: send "off"
    KEEP = "keep"  # confirmed on, wanted on, nothing planned: plan the renewal
    RENEW_LATER = "renew later"
    RUN_OUT = "run out"
    DUE = "due"  # the renewal's time came
    RETRY = "retry"  # the time to send the stop again came
    CONFIRMED_ON = "confirmed on"
    CONFIRMED_OFF = "confirmed off"
    REFUSED = "refused"  # 409 to an "on": the relay is inside its own minimum off time
    FAILED = "failed"  # no answer, or an error answer
    LEASE_ENDED = "lease ended"
    UNSENDABLE = "unsendable"  # no node, URL or token; HTTPS relay and a hub without TLS
    HOLD = "hold"  # send nothing more until the control service's next word
    REPORTED_OFF = "reported off"  # the relay's own report, newer than its last confirmation
    REPORTED_ON = "reported on"


P, E = Phase, Event
CONFIRMED_ON = frozenset({P.ON, P.LEASED, P.RUNNING_OUT, P.RENEWING})
SENDING = frozenset({P.STARTING, P.RENEWING, P.STOPPING})

OUTPUT_STATES = {
    (P.UNKNOWN, E.START): (P.STARTING, "send_on"),
    (P.UNKNOWN, E.STOP): (P.STOPPING, "send_off"),
    (P.UNKNOWN, E.UNSENDABLE): (P.UNKNOWN, "cannot_send"),
    (P.OFF, E.START): (P.STARTING, "send_on"),
    (P.OFF, E.UNSENDABLE): (P.OFF, "cannot_send"),
    (P.OFF, E.REPORTED_ON): (P.UNKNOWN, "pump"),
    (P.ON, E.KEEP): (P.ON, "plan"),
    (P.ON, E.RENEW_LATER): (P.LEASED, "renew_later"),
    (P.ON, E.RUN_OUT): (P.RUNNING_OUT, "run_out_later"),
    (P.ON, E.STOP): (P.STOPPING, "send_off"),
    (P.ON, E.UNSENDABLE): (P.ON, "cannot_send"),
    (P.ON, E.REPORTED_OFF): (P.OFF, "reported_off"),
    (P.ON, E.REPORTED_ON): (P.UNKNOWN, "pump"),
    (P.LEASED, E.DUE): (P.RENEWING, "send_on"),
    (P.LEASED, E.STOP): (P.STOPPING, "send_off"),
    (P.LEASED, E.UNSENDABLE): (P.ON, "cannot_send"),
    (P.LEASED, E.REPORTED_OFF): (P.OFF, "reported_off"),
    (P.RUNNING_OUT, E.LEASE_ENDED): (P.UNKNOWN, "lease_lost"),
    (P.RUNNING_OUT, E.STOP): (P.STOPPING, "send_off"),
    (P.RUNNING_OUT, E.UNSENDABLE): (P.ON, "cannot_send"),
    (P.RUNNING_OUT, E.REPORTED_OFF): (P.OFF, "reported_off"),
    (P.STARTING, E.CONFIRMED_ON): (P.ON, "confirmed_on"),
    (P.STARTING, E.REFUSED): (P.OFF, "refused"),
    (P.STARTING, E.FAILED): (P.UNKNOWN, "start_failed"),
    (P.RENEWING, E.CONFIRMED_ON): (P.ON, "confirmed_on"),
    (P.RENEWING, E.REFUSED): (P.OFF, "refused"),
    (P.RENEWING, E.FAILED): (P.ON, "plan"),
    (P.RENEWING, E.REPORTED_OFF): (P.STARTING, "reported_off"),  # the renewal in flight is a start now
    (P.STOPPING, E.CONFIRMED_OFF): (P.OFF, "pump"),
    (P.STOPPING, E.FAILED): (P.STOP_AGAIN, "stop_failed"),
    (P.STOP_AGAIN, E.RETRY): (P.STOPPING, "send_off"),
    (P.STOP_AGAIN, E.STOP): (P.STOPPING, "send_off"),  # the control service said it again
    (P.STOP_AGAIN, E.START): (P.STARTING, "send_on"),
    (P.STOP_AGAIN, E.UNSENDABLE): (P.UNKNOWN, "cannot_send"),
    # Holding cancels what is planned; a command in flight still gets its answer.
    (P.LEASED, E.HOLD): (P.ON, None),
    (P.RUNNING_OUT, E.HOLD): (P.ON, None),
    (P.STOP_AGAIN, E.HOLD): (P.UNKNOWN, None),
    **{(phase, E.HOLD): (phase, None) for phase in (P.UNKNOWN, P.OFF, P.ON, *SENDING)},
}


def wish(phase: Phase, desired: bool | None) -> Event | None:
    """The event that moves an output in ``phase`` towards ``desired``, if any: nothing
    while a command is in flight (its answer decides), nor while it waits for a word."""
    if desired is None or phase in SENDING:
        return None
    if desired:
        return E.KEEP if phase is P.ON else E.START if phase in (P.UNKNOWN, P.OFF, P.STOP_AGAIN) else None
    return None if phase is P.OFF else E.STOP


@attrs.define(eq=False)
class _Output:
    """The dispatcher's knowledge of one output: its phase, and the times that go with it."""

    output_id: str
    machine: Machine = attrs.field(init=False)
    node_id: str | None = None
    url: str | None = None
    desired: bool | None = None  # None: wait for the control service's next word
    confirmed_at: float | None = None  # when the relay last confirmed a command
    lease_until: float | None = None  # end of the last confirmed lease
    possibly_on_until: float | None = None  # latest end of any lease sent
    stop_unconfirmed_until: float | None = None  # the lease end last reported lost
    sent: tuple[bool, float, float] | None = None  # the last command sent: (on, lease, sent at)
    timer: object = None
    problem: Problem | None = None

    @property
    def phase(self) -> Phase:
        return self.machine.state


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
        out = self._output(output_id)
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
            self._fire(out, E.HOLD)
            out.desired = None

    def reported(self, output_id: str, state: str, when: float | None) -> None:
        """A relay's own report of an output (the outputs table). A report older than
        the last confirmation says nothing new; one that arrives while a command is in
        flight is settled by that command's answer."""
        out = self.outputs.get(output_id)
        if out is None or when is None or (out.confirmed_at is not None and when <= out.confirmed_at):
            return
        if state == "off" and out.phase in CONFIRMED_ON:
            self._fire(out, E.REPORTED_OFF)
        elif state == "on" and out.desired is False and out.phase in (P.OFF, P.ON):
            self._fire(out, E.REPORTED_ON)

    def may_be_on_until(self, output_id: str, until: float) -> None:
        """What the hub knows of an output it has not commanded yet: the relay may keep it
        on until ``until`` (a lease the hub gave before it restarted)."""
        out = self._output(output_id)
        out.possibly_on_until = max(out.possibly_on_until or until, until)

    def trust(self, certificates: Mapping[str, str | None]) -> None:
        """The certificate each relay URL must present: the fingerprint its node registered
        (over its own authenticated channel). An HTTPS relay without one is never commanded."""
        if self.pins is not None:
            self.pins.replace({url: fingerprint for url, fingerprint in certificates.items() if fingerprint})

    def problems(self) -> dict[str, Problem]:
        return {o.output_id: o.problem for o in self.outputs.values() if o.problem is not None}

    def state(self, output_id: str) -> dict:
        """What the relay last confirmed: "on" (with its lease), "off", or None for not
        known, which includes a command in flight other than a renewal."""
        out = self.outputs.get(output_id)
        if out is None:
            return {"commanded": None, "lease_until": None}
        if out.phase in CONFIRMED_ON:
            return {"commanded": "on", "lease_until": out.lease_until}
        return {"commanded": "off" if out.phase is P.OFF else None, "lease_until": None}

    def stop(self) -> None:
        for out in self.outputs.values():
            self._fire(out, E.HOLD)

    # -- the machine -------------------------------------------------------------

    def _output(self, output_id: str) -> _Output:
        out = self.outputs.get(output_id)
        if out is None:
            out = self.outputs[output_id] = _Output(output_id)
            actions = {name: functools.partial(getattr(self, f"_{name}"), out) for name in (
                "send_on", "send_off", "cannot_send", "pump", "plan", "renew_later", "run_out_later",
                "reported_off", "lease_lost", "confirmed_on", "refused", "start_failed", "stop_failed")}
            out.machine = Machine(f"output {output_id}", OUTPUT_STATES, P.UNKNOWN, actions)
        return out

    def _fire(self, out: _Output, event: Event) -> None:
        """Every transition leaves a phase with a timer (none stays in one), so the timer
        of the phase being left is cancelled first."""
        if out.timer is not None and out.timer.active():
            out.timer.cancel()
        out.timer = None
        out.machine.fire(event)

    def _pump(self, out: _Output) -> None:
        event = wish(out.phase, out.desired)
        if event in (E.START, E.STOP) and self._unsendable(out) is not None:
            event = E.UNSENDABLE
        if event is not None:
            self._fire(out, event)

    def _plan(self, out: _Output) -> None:
        """The next renewal at a third of the lease from the last attempt, if it can still
        arrive within the confirmed lease; otherwise give the output up when it ends."""
        at = self.clock.seconds() + self.lease_s() / RENEWALS_PER_LEASE
        self._fire(out, E.RENEW_LATER if at + 2 * self.timeout_s <= out.lease_until else E.RUN_OUT)

    def _renew_later(self, out: _Output) -> None:
        out.timer = self.clock.callLater(self.lease_s() / RENEWALS_PER_LEASE, self._due, out)

    def _run_out_later(self, out: _Output) -> None:
        out.timer = self.clock.callLater(max(0.0, out.lease_until - self.clock.seconds()),
                                         self._fire, out, E.LEASE_ENDED)

    def _due(self, out: _Output) -> None:
        """A renewal's time came (LEASED), or a stop's second try's (STOP_AGAIN)."""
        if out.desired is None:  # held while the renewal was planned
            self._fire(out, E.HOLD)
        elif self._unsendable(out) is not None:
            self._fire(out, E.UNSENDABLE)
        elif out.phase is P.STOP_AGAIN:
            self._fire(out, E.RETRY)
        else:
            self._fire(out, E.DUE if out.desired else E.STOP)

    # -- sending ---------------------------------------------------------------

    def _send_on(self, out: _Output) -> None:
        self._send(out, True)

    def _send_off(self, out: _Output) -> None:
        self._send(out, False)

    def _send(self, out: _Output, on: bool) -> None:
        lease = float(self.lease_s())
        sent_at = self.clock.seconds()
        out.sent = (on, lease, sent_at)
        if on:
            bound = sent_at + self.timeout_s + lease
            out.possibly_on_until = max(out.possibly_on_until or bound, bound)
        d = self._put(out, self.command_token(out.node_id), on, lease)
        d.addCallbacks(self._answered, self._unanswered, callbackArgs=(out,), errbackArgs=(out,))

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

    def _cannot_send(self, out: _Output) -> None:
        code, why, message = self._unsendable(out)
        self._trouble(out, code, message)
        if out.desired:
            self._lost(out, self.clock.seconds(), why)

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

    def _answered(self, answer: tuple[int, bytes], out: _Output) -> None:
        code, raw = answer
        on, lease, _ = out.sent
        now = self.clock.seconds()
        if code == 200:
            out.problem = None
            out.confirmed_at = now
            out.lease_until = out.possibly_on_until = now + lease if on else None
            self._fire(out, E.CONFIRMED_ON if on else E.CONFIRMED_OFF)
            return
        message = _error_message(raw)
        if code == 409 and on:
            self._trouble(out, "relay_refused", f"relay node {out.node_id} refused to switch "
                                                f"{out.output_id} on: {message}")
            out.confirmed_at, out.lease_until = now, None
            self._fire(out, E.REFUSED)
            return
        if code < 500:
            self._trouble(out, "relay_refused", f"relay node {out.node_id} refused to switch "
                                                f"{out.output_id} {'on' if on else 'off'}: {code} {message}")
        else:
            self._trouble(out, "relay_failed", f"relay node {out.node_id} failed to switch "
                                               f"{out.output_id}: {code} {message}")
        self._fire(out, E.FAILED)

    def _unanswered(self, failure: Failure, out: _Output) -> None:
        failure.trap(*NO_ANSWER)
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
        self._fire(out, E.FAILED)

    # -- what the transitions do -------------------------------------------------------

    def _confirmed_on(self, out: _Output) -> None:
        self._plan(out)
        self._pump(out)

    def _refused(self, out: _Output) -> None:
        self._lost(out, out.confirmed_at, "refused")

    def _start_failed(self, out: _Output) -> None:
        self._lost(out, out.possibly_on_until, "start_failed")

    def _stop_failed(self, out: _Output) -> None:
        """The stop did not arrive: the relay may keep the output on until its lease ends,
        and the minimum off time must count from then (said once per lease). The stop is
        sent again."""
        until = out.possibly_on_until
        if until is not None and until > out.sent[2] and until != out.stop_unconfirmed_until:
            out.stop_unconfirmed_until = until
            self.on_lost(out.output_id, until, "stop_unconfirmed")
        out.timer = self.clock.callLater(self.lease_s() / RENEWALS_PER_LEASE, self._due, out)

    def _reported_off(self, out: _Output) -> None:
        out.lease_until, out.desired = None, None

    def _lease_lost(self, out: _Output) -> None:
        out.lease_until = None
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


def _error_message(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw[:200].decode("utf-8", "replace") or "no message"
