"""The relay dispatcher on its own: a Clock, and a relay served in memory whose every
command waits until the test answers it (or the request times out), so that each
transition of an output's state machine is walked on purpose.

``SCENARIOS`` drive one output through its phases and assert what the relay got and
what the hub heard; ``test_every_transition_is_walked`` runs them all and checks that
together they take every entry of ``OUTPUT_STATES``."""

from __future__ import annotations

import gc
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from treq.testing import StubTreq
from twisted.internet.defer import fail
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.task import Clock
from twisted.logger import LogLevel, globalLogPublisher
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from rpymostat.hub.dispatch import OUTPUT_STATES, Dispatcher, Event, Phase, wish
from tests.machines import walked

URL = "http://relay-1.lan:8574"
OUT = "gpio17"
LEASE = 90.0
TIMEOUT = 5.0
MIN_OFF = json.dumps({"error": {"code": "min_off", "message": "inside its minimum off time"}}).encode()


class Relay(Resource):
    """Holds every command until the test answers it."""

    isLeaf = True

    def __init__(self):
        super().__init__()
        self.waiting = []

    def render_PUT(self, request):
        self.waiting.append(request)
        request.notifyFinish().addErrback(lambda _: self.waiting.remove(request))  # the hub gave up
        return NOT_DONE_YET


class Http:
    """StubTreq around the relay; while ``down`` every request is refused at connect."""

    def __init__(self, relay: Relay):
        self.stub = StubTreq(relay)
        self.down = False
        self.broken: Exception | None = None
        self.sent: list[tuple[float, str, dict, dict]] = []
        self.clock: Clock | None = None

    def request(self, method, url, *, data, headers, timeout, reactor):
        self.sent.append((reactor.seconds(), url, json.loads(data), headers))
        if self.broken is not None:
            raise self.broken
        if self.down:
            return fail(ConnectionRefusedError("refused"))
        return self.stub.request(method, url, data=data, headers=headers, timeout=timeout, reactor=reactor)

    def content(self, response):
        return self.stub.content(response)


class Bench:
    def __init__(self):
        self.clock = Clock()
        self.clock.advance(1000)
        self.relay = Relay()
        self.http = Http(self.relay)
        self.tokens = {"relay-1": "command-token"}
        self.url: str | None = URL
        self.lost: list[tuple[str, float, str]] = []
        self.sent_before_lost: list[int] = []  # how many commands had been sent when each was said
        self.dispatcher = Dispatcher(clock=self.clock, http=self.http, command_token=self.tokens.get,
                                     lease_s=lambda: LEASE, timeout_s=TIMEOUT, on_lost=self._lost)

    def _lost(self, *lost) -> None:
        self.lost.append(lost)
        self.sent_before_lost.append(len(self.http.sent))

    @property
    def phase(self) -> Phase:
        return self.dispatcher.outputs[OUT].phase

    @property
    def bodies(self) -> list[dict]:
        return [body for _, _, body, _ in self.http.sent]

    def want(self, on: bool) -> None:
        self.dispatcher.set(OUT, "relay-1", self.url, on)
        self.flush()

    def answer(self, code: int = 200, body: bytes = b'{"state": "on"}') -> None:
        request = self.relay.waiting.pop(0)
        request.setResponseCode(code)
        request.setHeader(b"content-type", b"application/json")
        request.write(body)
        request.finish()
        self.flush()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.flush()

    def flush(self) -> None:
        self.http.stub.flush()

    def report(self, state: str, after: float = 1.0) -> None:
        self.dispatcher.reported(OUT, state, self.clock.seconds() + after)

    def on(self) -> None:
        """Confirmed on, with a renewal planned."""
        self.want(True)
        self.answer()
        assert self.phase is Phase.LEASED

    def held_on(self) -> None:
        """Confirmed on, nothing planned: the control loop failed."""
        self.on()
        self.dispatcher.hold()
        assert self.phase is Phase.ON

    def running_out(self) -> None:
        """Confirmed on, and renewals fail until none can arrive in time."""
        self.on()
        self.http.down = True
        while self.phase is Phase.LEASED:
            self.advance(LEASE / 3)
        assert self.phase is Phase.RUNNING_OUT

    def stop_again(self) -> None:
        """A stop that got no answer, waiting to be sent again."""
        self.on()
        self.http.down = True
        self.want(False)
        assert self.phase is Phase.STOP_AGAIN


# -- the scenarios ----------------------------------------------------------------


def a_start_is_confirmed_and_renewed_at_a_third_of_the_lease(b: Bench):
    b.want(True)
    assert b.phase is Phase.STARTING
    assert b.http.sent[0][1] == f"{URL}/v1/outputs/{OUT}"
    assert b.http.sent[0][3]["Authorization"] == "Bearer command-token"
    assert b.bodies == [{"state": "on", "lease_s": 90}]
    assert b.dispatcher.state(OUT) == {"commanded": None, "lease_until": None}
    b.answer()
    assert b.phase is Phase.LEASED
    assert b.dispatcher.state(OUT) == {"commanded": "on", "lease_until": 1000 + LEASE}
    b.want(True)  # the same word again sends nothing
    b.advance(LEASE / 3 - 1)
    assert len(b.http.sent) == 1
    b.advance(1)
    assert b.phase is Phase.RENEWING
    assert b.bodies[1] == {"state": "on", "lease_s": 90}
    assert b.dispatcher.state(OUT)["commanded"] == "on"
    b.answer()
    assert b.phase is Phase.LEASED
    assert b.dispatcher.state(OUT)["lease_until"] == 1030 + LEASE
    assert b.lost == []
    assert b.dispatcher.problems() == {}


def a_stop_is_confirmed_and_a_start_follows(b: Bench):
    b.on()
    b.want(False)
    assert b.phase is Phase.STOPPING
    assert b.bodies[-1] == {"state": "off"}
    b.answer()
    assert b.phase is Phase.OFF
    assert b.dispatcher.state(OUT) == {"commanded": "off", "lease_until": None}
    b.advance(LEASE)
    assert len(b.http.sent) == 2  # nothing is renewed while off
    b.want(True)
    assert b.phase is Phase.STARTING
    assert b.lost == []


def an_output_never_commanded_is_switched_off(b: Bench):
    b.want(False)
    assert b.phase is Phase.STOPPING
    b.answer()
    assert b.phase is Phase.OFF


def a_start_the_relay_refuses_is_lost_at_once(b: Bench):
    b.want(True)
    b.answer(409, MIN_OFF)
    assert b.phase is Phase.OFF
    assert b.lost == [(OUT, 1000, "refused")]
    problem = b.dispatcher.problems()[OUT]
    assert problem.code == "relay_refused" and "inside its minimum off time" in problem.message
    b.want(False)  # the control service hears it and decides off: nothing to send
    assert len(b.http.sent) == 1


def a_renewal_the_relay_refuses_is_lost_at_once(b: Bench):
    b.on()
    b.advance(LEASE / 3)
    b.answer(409, MIN_OFF)
    assert b.phase is Phase.OFF
    assert b.lost == [(OUT, 1030, "refused")]


def a_start_answered_5xx_may_have_switched_on_until_its_lease_ends(b: Bench):
    b.want(True)
    b.answer(500, b"boom")
    assert b.phase is Phase.UNKNOWN
    assert b.lost == [(OUT, 1000 + TIMEOUT + LEASE, "start_failed")]
    assert b.dispatcher.problems()[OUT].code == "relay_failed"
    assert b.dispatcher.outputs[OUT].desired is None
    b.dispatcher.hold()
    b.advance(LEASE)
    assert b.phase is Phase.UNKNOWN
    assert len(b.http.sent) == 1  # nothing more until the control service's next word


def a_start_that_times_out_is_lost_from_the_end_of_the_lease_it_asked_for(b: Bench):
    b.want(True)
    b.advance(TIMEOUT)
    assert b.phase is Phase.UNKNOWN
    assert b.lost == [(OUT, 1000 + TIMEOUT + LEASE, "start_failed")]
    problem = b.dispatcher.problems()[OUT]
    assert problem.code == "relay_unreachable" and "ResponseNeverReceived" in problem.message


def failed_renewals_give_the_output_up_when_its_lease_ends(b: Bench):
    b.on()
    b.http.down = True
    b.advance(LEASE / 3)  # the renewal at 1030 fails: one more can still arrive in time
    assert b.phase is Phase.LEASED
    assert b.dispatcher.problems()[OUT].code == "relay_unreachable"
    b.advance(LEASE / 3)  # the renewal at 1060 fails: 1090 + 2 × timeout is past the lease
    assert b.phase is Phase.RUNNING_OUT
    assert b.lost == []
    b.advance(LEASE / 3 - 0.5)
    assert b.lost == []
    b.advance(0.5)
    assert b.phase is Phase.UNKNOWN
    # The renewal sent at 1060 may have arrived after all: its lease is the latest end.
    assert b.lost == [(OUT, 1060 + TIMEOUT + LEASE, "lease_lost")]
    assert [t for t, *_ in b.http.sent] == [1000, 1030, 1060]


def a_renewal_that_comes_back_in_time_keeps_the_output(b: Bench):
    b.on()
    b.http.down = True
    b.advance(LEASE / 3)
    b.http.down = False
    b.advance(LEASE / 3)
    assert b.phase is Phase.RENEWING
    b.answer()
    assert b.phase is Phase.LEASED
    assert b.dispatcher.problems() == {}
    assert b.dispatcher.state(OUT)["lease_until"] == 1060 + LEASE


def a_stop_without_answer_counts_off_from_the_lease_end_and_is_sent_again(b: Bench):
    b.stop_again()
    assert b.lost == [(OUT, 1000 + LEASE, "stop_unconfirmed")]
    assert b.dispatcher.state(OUT) == {"commanded": None, "lease_until": None}
    b.http.down = False
    b.advance(LEASE / 3)
    assert b.phase is Phase.STOPPING
    assert b.bodies[-1] == {"state": "off"}
    b.answer()
    assert b.phase is Phase.OFF
    assert b.dispatcher.problems() == {}
    assert len(b.lost) == 1


def a_stop_failing_again_is_reported_lost_once_per_lease(b: Bench):
    b.stop_again()
    b.advance(LEASE / 3)
    assert b.phase is Phase.STOP_AGAIN
    assert len(b.lost) == 1
    b.want(False)  # the control service's next tick sends it at once
    assert b.phase is Phase.STOP_AGAIN
    assert len(b.http.sent) == 4


def a_start_wanted_again_cuts_a_stop_retry_short(b: Bench):
    b.stop_again()
    b.http.down = False
    b.want(True)
    assert b.phase is Phase.STARTING
    b.answer()
    b.advance(LEASE / 3)  # the stop's retry was cancelled: this is a renewal
    assert b.bodies[-1] == {"state": "on", "lease_s": 90}


def a_hold_cancels_the_stop_retry(b: Bench):
    b.stop_again()
    b.dispatcher.hold()
    assert b.phase is Phase.UNKNOWN
    b.advance(LEASE)
    assert len(b.http.sent) == 2


def a_hold_lets_the_lease_run_out_on_the_relay(b: Bench):
    b.held_on()
    b.dispatcher.hold()  # the next tick fails too
    b.advance(LEASE)
    assert len(b.http.sent) == 1
    assert b.dispatcher.state(OUT)["commanded"] == "on"
    b.want(True)  # the control loop runs again: the lease is over, the output is given up
    b.advance(0)
    assert b.phase is Phase.UNKNOWN
    assert b.lost == [(OUT, 1000 + LEASE, "lease_lost")]


def a_hold_then_on_again_plans_the_renewal(b: Bench):
    b.held_on()
    b.want(True)
    assert b.phase is Phase.LEASED
    b.advance(LEASE / 3)
    assert b.phase is Phase.RENEWING


def a_held_output_switched_off(b: Bench):
    b.held_on()
    b.want(False)
    assert b.phase is Phase.STOPPING


def a_hold_while_running_out(b: Bench):
    b.running_out()
    b.dispatcher.hold()
    assert b.phase is Phase.ON
    b.advance(LEASE)
    assert b.lost == []


def a_stop_while_running_out(b: Bench):
    b.running_out()
    b.http.down = False
    b.want(False)
    assert b.phase is Phase.STOPPING
    b.answer()
    assert b.phase is Phase.OFF
    assert b.lost == []


def holds_while_a_command_is_in_flight_wait_for_its_answer(b: Bench):
    b.dispatcher.hold()  # nothing known yet
    b.want(True)
    b.dispatcher.hold()
    assert b.phase is Phase.STARTING
    b.answer()
    assert b.phase is Phase.LEASED
    b.advance(LEASE / 3)  # held: the planned renewal is not sent
    assert b.phase is Phase.ON
    assert len(b.http.sent) == 1
    b.want(True)
    b.advance(LEASE / 3)
    assert b.phase is Phase.RENEWING
    b.dispatcher.hold()
    assert b.phase is Phase.RENEWING
    b.answer()
    b.want(False)
    b.dispatcher.hold()
    assert b.phase is Phase.STOPPING
    b.answer()
    b.dispatcher.hold()
    assert b.phase is Phase.OFF


def an_output_released_while_its_start_is_in_flight_is_switched_off(b: Bench):
    b.want(True)
    b.dispatcher.release(keep=set())
    assert b.phase is Phase.STARTING
    b.answer()
    assert b.phase is Phase.STOPPING
    assert b.bodies[-1] == {"state": "off"}
    b.answer()
    assert b.phase is Phase.OFF
    b.dispatcher.release(keep=set())
    assert len(b.http.sent) == 2


def an_output_released_while_its_stop_is_in_flight_stays_off(b: Bench):
    b.on()
    b.want(False)
    b.dispatcher.release(keep=set())
    b.answer()
    assert b.phase is Phase.OFF
    assert len(b.http.sent) == 2


def wanted_on_again_while_stopping_starts_after_the_stop(b: Bench):
    b.on()
    b.want(False)
    b.want(True)
    b.answer()
    assert b.phase is Phase.STARTING


def an_output_without_relay_node_is_lost_at_once(b: Bench):
    b.url = None
    b.want(True)
    assert b.phase is Phase.UNKNOWN
    assert b.http.sent == []
    assert b.lost == [(OUT, 1000, "no_node")]
    assert b.dispatcher.problems()[OUT].code == "relay_unknown"
    b.want(False)
    assert b.phase is Phase.UNKNOWN
    assert len(b.lost) == 1


def a_relay_without_command_token_is_never_sent_a_command(b: Bench):
    b.want(True)
    b.answer(409, MIN_OFF)
    del b.tokens["relay-1"]
    b.want(True)
    assert b.phase is Phase.OFF
    assert len(b.http.sent) == 1
    assert b.lost[-1] == (OUT, 1000, "no_node")


def a_renewal_without_command_token_gives_the_output_up(b: Bench):
    b.on()
    del b.tokens["relay-1"]
    b.advance(LEASE / 3)
    assert b.phase is Phase.ON
    assert b.lost == [(OUT, 1030, "no_node")]
    assert len(b.http.sent) == 1


def a_stop_without_command_token_is_a_problem(b: Bench):
    b.held_on()
    del b.tokens["relay-1"]
    b.want(False)
    assert b.phase is Phase.ON
    assert b.dispatcher.problems()[OUT].code == "relay_unknown"
    assert b.lost == []
    b.report("on")  # the relay says it is on: still not commandable
    assert b.phase is Phase.UNKNOWN


def a_stop_retry_without_command_token(b: Bench):
    b.stop_again()
    del b.tokens["relay-1"]
    b.advance(LEASE / 3)
    assert b.phase is Phase.UNKNOWN
    assert b.dispatcher.problems()[OUT].code == "relay_unknown"


def a_stop_while_running_out_without_command_token(b: Bench):
    b.running_out()
    del b.tokens["relay-1"]
    b.want(False)
    assert b.phase is Phase.ON


def an_https_relay_is_not_commanded_by_a_hub_without_tls(b: Bench):
    b.url = "https://relay-1.lan:8574"
    b.want(True)
    assert b.phase is Phase.UNKNOWN
    assert b.lost == [(OUT, 1000, "no_tls")]
    assert b.dispatcher.problems()[OUT].code == "relay_needs_tls"


def a_relay_reporting_off_ends_what_the_hub_believed(b: Bench):
    b.on()
    b.report("off", after=-1)  # older than the confirmation: nothing new
    assert b.phase is Phase.LEASED
    b.report("off")
    assert b.phase is Phase.OFF
    assert b.dispatcher.outputs[OUT].desired is None
    b.advance(LEASE)
    assert len(b.http.sent) == 1


def a_relay_reporting_off_while_held(b: Bench):
    b.held_on()
    b.report("off")
    assert b.phase is Phase.OFF


def a_relay_reporting_off_while_running_out(b: Bench):
    b.running_out()
    b.report("off")
    assert b.phase is Phase.OFF
    b.advance(LEASE)
    assert b.lost == []


def a_relay_reporting_off_during_a_renewal_makes_it_a_start(b: Bench):
    b.on()
    b.advance(LEASE / 3)
    b.report("off")
    assert b.phase is Phase.STARTING
    b.answer(503, b"")
    assert b.phase is Phase.UNKNOWN
    assert b.lost == [(OUT, 1030 + TIMEOUT + LEASE, "start_failed")]


def a_relay_reporting_on_an_output_meant_off_is_stopped_again(b: Bench):
    b.want(False)
    b.answer()
    b.report("on")
    assert b.phase is Phase.STOPPING
    assert b.bodies[-1] == {"state": "off"}


def a_report_during_a_command_waits_for_its_answer(b: Bench):
    b.want(False)
    b.report("on")
    b.report("off")
    assert b.phase is Phase.STOPPING
    b.answer()
    assert b.phase is Phase.OFF


SCENARIOS = [value for name, value in dict(globals()).items()
             if callable(value) and name[0].islower() and getattr(value, "__module__", None) == __name__]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_scenario(scenario):
    scenario(Bench())


def test_every_transition_is_walked():
    with walked(OUTPUT_STATES) as seen:
        for scenario in SCENARIOS:
            scenario(Bench())
    assert set(OUTPUT_STATES) - seen == set()


def test_wish_asks_only_for_events_the_table_has():
    for phase in Phase:
        for desired in (True, False, None):
            event = wish(phase, desired)
            if event is not None:
                assert (phase, event) in OUTPUT_STATES
                assert (phase, Event.UNSENDABLE) in OUTPUT_STATES or event is Event.KEEP


def test_lost_instants_are_never_earlier_than_the_relay_may_have_been_on():
    """A start that failed, then another that timed out: the second ``when`` covers the
    later lease, never the earlier one alone."""
    b = Bench()
    b.want(True)
    b.answer(500, b"")
    b.advance(10)
    b.want(True)
    b.advance(TIMEOUT)
    assert b.lost == [(OUT, 1000 + TIMEOUT + LEASE, "start_failed"),
                      (OUT, 1010 + TIMEOUT + LEASE, "start_failed")]


def test_a_problem_keeps_its_first_time_until_a_command_succeeds():
    b = Bench()
    b.http.down = True
    b.want(False)
    b.advance(LEASE / 3)
    assert b.dispatcher.problems()[OUT].since == 1000
    b.http.down = False
    b.advance(LEASE / 3)
    b.answer()
    assert b.dispatcher.problems() == {}


@pytest.mark.logs_errors("Unhandled error in Deferred", "a bug in the HTTP client")
def test_an_unexpected_error_is_not_taken_for_a_relay_that_did_not_answer():
    """Only the failures of a relay that does not answer are its problem; a bug surfaces
    (Twisted logs the Deferred's unhandled failure as critical)."""
    seen = []

    def observer(event):
        if event.get("log_level") in (LogLevel.error, LogLevel.critical):
            seen.append(str(event.get("log_failure")))

    b = Bench()
    b.http.broken = TypeError("a bug in the HTTP client")
    globalLogPublisher.addObserver(observer)
    try:
        b.want(True)
        assert b.dispatcher.problems() == {}
        assert b.phase is Phase.STARTING
        del b
        gc.collect()
    finally:
        globalLogPublisher.removeObserver(observer)
    assert any("a bug in the HTTP client" in text for text in seen)


OPERATIONS = {
    "want on": lambda b: b.want(True),
    "want off": lambda b: b.want(False),
    "release": lambda b: (b.dispatcher.release(keep=set()), b.flush()),
    "hold": lambda b: b.dispatcher.hold(),
    "answer 200": lambda b: b.relay.waiting and b.answer(),
    "answer 409": lambda b: b.relay.waiting and b.answer(409, MIN_OFF),
    "answer 500": lambda b: b.relay.waiting and b.answer(500, b"boom"),
    "advance 1": lambda b: b.advance(1),
    "advance a third": lambda b: b.advance(LEASE / 3),
    "advance a lease": lambda b: b.advance(LEASE),
    "report on": lambda b: b.report("on"),
    "report off": lambda b: b.report("off"),
    "network down": lambda b: setattr(b.http, "down", True),
    "network up": lambda b: setattr(b.http, "down", False),
    "token gone": lambda b: b.tokens.pop("relay-1", None),
    "token back": lambda b: b.tokens.update({"relay-1": "command-token"}),
}


@settings(max_examples=300)
@given(st.lists(st.sampled_from(sorted(OPERATIONS)), max_size=40))
def test_any_sequence_keeps_the_phase_and_its_timer_and_request_in_step(operations):
    """No sequence reaches an event its phase has no transition for, a phase with a timer
    always has one set (and no other phase does), a command is in flight exactly in the
    sending phases, and what ``on_lost`` says is never earlier than a lease sent."""
    b = Bench()
    for operation in operations:
        OPERATIONS[operation](b)
        if OUT not in b.dispatcher.outputs:
            continue
        out = b.dispatcher.outputs[OUT]
        timed = out.timer is not None and out.timer.active()
        assert timed == (out.phase in (Phase.LEASED, Phase.RUNNING_OUT, Phase.STOP_AGAIN)), (operation, out.phase)
        assert bool(b.relay.waiting) == (out.phase in (Phase.STARTING, Phase.RENEWING, Phase.STOPPING))
        assert len(b.relay.waiting) <= 1, "one command at a time per output"
    for (_, when, why), sent in zip(b.lost, b.sent_before_lost):
        if why in ("start_failed", "lease_lost", "stop_unconfirmed"):
            last_on = max(t for t, _, body, _ in b.http.sent[:sent] if body["state"] == "on")
            assert when >= last_on + LEASE, (why, when, b.http.sent[:sent])
