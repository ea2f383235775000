"""The hub link's state machine on its own: a Clock, a scripted hub (each path answers
from a list, or never, or refuses the connection) and a browser whose browse the test
completes. ``SCENARIOS`` each walk part of ``LINK_STATES``; together they walk all of it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.task import Clock

from rpymostat.node.credentials import Credentials, load_credentials, save_credentials
from rpymostat.node.discovery import HubCandidate
from rpymostat.node.link import LINK_STATES, HubLink, Link, NotConnected
from tests.machines import walked

HUB = "hub-a"
URL = "http://hub.lan:8573"
REGISTERED = (200, {"hub_id": HUB, "node": {"sensors": []}, "settings": {}})
ENROLLED = (201, {"token": "new-token", "hub_id": HUB, "system": "home"})
HANG = "hang"
DOWN = "down"


class Answer:
    def __init__(self, code: int, body):
        self.code = code
        self.body = json.dumps(body).encode()


class ScriptedHub:
    """``script[(method, path)]``: the answers to give in turn, the last one again and again;
    an answer is ``(status, body)``, ``HANG`` (never answered: the call times out) or
    ``DOWN`` (the connection is refused)."""

    def __init__(self):
        self.script: dict[tuple[str, str], list] = {}
        self.calls: list[tuple[str, str, str | None]] = []

    def request(self, method, url, *, data, headers, timeout, reactor):
        path = url.split("8573", 1)[1]
        self.calls.append((method, path, headers.get("Authorization")))
        answers = self.script.get((method, path), [(404, {"error": {"code": "not_found", "message": "no"}})])
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if answer == DOWN:
            return fail(ConnectionRefusedError("down"))
        if answer == HANG:
            d = Deferred()
            reactor.callLater(timeout, d.cancel)
            return d
        return succeed(Answer(*answer))

    def content(self, response):
        return succeed(response.body)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.calls if (m, p) == (method, path))


class Browser:
    def __init__(self):
        self.listeners = []
        self.pending: Deferred | None = None

    def on_candidate(self, listener):
        self.listeners.append(listener)

    def browse(self, want):
        self.pending = Deferred()
        return self.pending

    def found(self, *candidates: HubCandidate) -> None:
        pending, self.pending = self.pending, None
        pending.callback(list(candidates))

    def announce(self, candidate: HubCandidate) -> None:
        for listener in self.listeners:
            listener(candidate)


class Bench:
    def __init__(self, tmp_path, *, browse: bool = False, token: str | None = None, key: str | None = "key"):
        self.clock = Clock()
        self.hub = ScriptedHub()
        self.hub.script[("POST", "/v1/nodes")] = [REGISTERED]
        self.hub.script[("POST", "/v1/enroll")] = [ENROLLED]
        self.hub.script[("GET", "/v1/health")] = [(200, {"status": "ok", "hub_id": HUB})]
        self.browser = Browser() if browse else None
        self.data_dir = tmp_path / "node"
        self.replies: list[dict] = []
        self.link = HubLink(clock=self.clock, http=self.hub, data_dir=self.data_dir, node_id="pi-1", name="Pi 1",
                            registration=lambda url: {"node_id": "pi-1", "kind": "sensor"},
                            on_registered=self.replies.append, browser=self.browser,
                            hub_url=None if browse else URL, enrollment_key=key, token=token)

    @property
    def phase(self) -> Link:
        return self.link.phase

    def connected(self) -> None:
        self.link.start()
        assert self.phase is Link.CONNECTED


def candidate(url: str = URL, hub_id: str = HUB) -> HubCandidate:
    return HubCandidate(url=url, hub_id=hub_id, system="home")


# -- the scenarios ----------------------------------------------------------------


def a_new_node_enrolls_registers_and_pins_the_hub(b: Bench):
    assert b.phase is Link.STOPPED
    b.link.start()
    assert b.phase is Link.CONNECTED
    assert [(m, p) for m, p, _ in b.hub.calls] == [("POST", "/v1/enroll"), ("POST", "/v1/nodes")]
    assert b.hub.calls[0][2] == "Bearer key" and b.hub.calls[1][2] == "Bearer new-token"
    assert load_credentials(b.data_dir) == Credentials("new-token", HUB, "")
    assert b.replies == [REGISTERED[1]]
    assert b.link.connected.called


def a_node_with_a_token_registers_at_once(b: Bench):
    save_credentials(b.data_dir, Credentials("old-token", HUB))
    b = Bench(b.data_dir.parent)
    b.link.start()
    assert b.phase is Link.CONNECTED
    assert [(m, p, a) for m, p, a in b.hub.calls] == [("POST", "/v1/nodes", "Bearer old-token")]


def a_token_the_pinned_hub_revoked_is_traded_for_a_new_one(b: Bench):
    save_credentials(b.data_dir, Credentials("old-token", HUB))
    b = Bench(b.data_dir.parent)
    b.hub.script[("POST", "/v1/nodes")] = [(401, {"error": {"code": "unauthorized", "message": "revoked"}}),
                                           REGISTERED]
    b.link.start()
    assert b.phase is Link.CONNECTED
    assert [p for _, p, _ in b.hub.calls] == ["/v1/nodes", "/v1/health", "/v1/enroll", "/v1/nodes"]
    assert load_credentials(b.data_dir).token == "new-token"


def an_unreachable_hub_is_tried_again_after_a_backoff(b: Bench):
    b.hub.script[("POST", "/v1/enroll")] = [DOWN, DOWN, ENROLLED]
    b.link.start()
    assert b.phase is Link.WAITING
    b.clock.advance(1)
    assert b.phase is Link.WAITING
    b.clock.advance(1.9)
    assert b.hub.count("POST", "/v1/enroll") == 2
    b.clock.advance(0.1)
    assert b.phase is Link.CONNECTED
    assert b.hub.count("POST", "/v1/enroll") == 3


def a_hub_that_will_not_enroll_the_node_is_tried_again(b: Bench):
    b.hub.script[("POST", "/v1/enroll")] = [(409, {"error": {"code": "conflict", "message": "known"}})]
    b.link.start()
    assert b.phase is Link.WAITING
    assert load_credentials(b.data_dir) is None


def a_registration_refused_by_the_hub_waits(b: Bench):
    save_credentials(b.data_dir, Credentials("token", HUB))
    b = Bench(b.data_dir.parent)
    b.hub.script[("POST", "/v1/nodes")] = [(422, {"error": {"code": "invalid", "message": "bad"}})]
    b.link.start()
    assert b.phase is Link.WAITING
    assert load_credentials(b.data_dir).token == "token"


def a_lost_hub_is_looked_for_again(b: Bench):
    b.connected()
    b.hub.script[("POST", "/v1/readings")] = [DOWN]
    for _ in range(3):
        b.link.call("post_readings", "pi-1", []).addErrback(lambda f: None)
    assert b.phase is Link.CONNECTED  # the third failure finds it again at once
    assert b.hub.count("POST", "/v1/nodes") == 2
    assert b.link.failures == 0


def three_failed_calls_drop_the_link(b: Bench):
    b.connected()
    b.hub.script[("POST", "/v1/readings")] = [DOWN]
    b.hub.script[("POST", "/v1/nodes")] = [DOWN]
    for _ in range(2):
        b.link.call("post_readings", "pi-1", []).addErrback(lambda f: None)
    assert b.phase is Link.CONNECTED and b.link.failures == 2
    b.link.call("post_readings", "pi-1", []).addErrback(lambda f: None)
    assert b.phase is Link.WAITING and b.link.client is None
    failure = []
    b.link.call("post_readings", "pi-1", []).addErrback(failure.append)
    assert failure[0].check(NotConnected)


def a_browsed_hub_is_joined_and_followed_when_it_moves(b: Bench):
    save_credentials(b.data_dir, Credentials("token", HUB))
    b = Bench(b.data_dir.parent, browse=True)
    b.link.start()
    assert b.phase is Link.FINDING
    b.browser.found(candidate())
    assert b.phase is Link.CONNECTED
    b.browser.announce(candidate(url="http://hub.lan:8573", hub_id="stranger"))
    assert b.phase is Link.CONNECTED
    b.browser.announce(candidate(url="http://hub.lan:8573/moved"))
    assert b.phase is Link.FINDING and b.link.client is None


def an_announcement_of_the_pinned_hub_cuts_the_wait_short(b: Bench):
    save_credentials(b.data_dir, Credentials("token", HUB))
    b = Bench(b.data_dir.parent, browse=True)
    b.link.start()
    b.browser.found()
    assert b.phase is Link.WAITING
    b.browser.announce(candidate())
    assert b.phase is Link.FINDING
    b.browser.found(candidate())
    assert b.phase is Link.CONNECTED
    b.clock.advance(60)  # the cancelled wake-up does not fire
    assert b.phase is Link.CONNECTED


def a_stop_at_any_point_ends_the_search(b: Bench):
    b.link.stop()
    assert b.phase is Link.STOPPED
    b.hub.script[("POST", "/v1/enroll")] = [HANG]
    b.link.start()
    assert b.phase is Link.ENROLLING
    b.link.stop()
    b.clock.advance(60)  # the enrollment times out: the stale search ignores it
    assert b.phase is Link.STOPPED and b.hub.count("POST", "/v1/enroll") == 1
    b.hub.script[("POST", "/v1/enroll")] = [ENROLLED]
    b.hub.script[("POST", "/v1/nodes")] = [HANG]
    b.link.start()
    assert b.phase is Link.REGISTERING
    b.link.stop()
    b.clock.advance(60)
    assert b.phase is Link.STOPPED and b.link.client is None
    b.hub.script[("POST", "/v1/nodes")] = [DOWN]
    b.link.start()
    assert b.phase is Link.WAITING
    b.link.stop()
    b.clock.advance(60)
    assert b.phase is Link.STOPPED and b.hub.count("POST", "/v1/nodes") == 2
    b.hub.script[("POST", "/v1/nodes")] = [REGISTERED]
    b.link.start()
    assert b.phase is Link.CONNECTED
    b.link.stop()
    assert b.phase is Link.STOPPED and b.link.client is None


def a_stop_while_browsing(b: Bench):
    b = Bench(b.data_dir.parent, browse=True)
    b.link.start()
    pending = b.browser.pending
    b.link.stop()
    pending.callback([candidate()])
    assert b.phase is Link.STOPPED and b.hub.calls == []


def a_data_dir_the_node_cannot_write_stops_the_link(b: Bench):
    b.data_dir.parent.mkdir(exist_ok=True)
    b.data_dir.write_text("not a directory")
    b.link.start()
    assert b.phase is Link.FAILED
    b.clock.advance(60)
    assert b.hub.count("POST", "/v1/enroll") == 1
    b.link.stop()
    assert b.phase is Link.STOPPED


def a_browser_that_breaks_stops_the_link(b: Bench):
    b = Bench(b.data_dir.parent, browse=True)
    b.link.start()
    b.browser.pending.errback(RuntimeError("zeroconf broke"))
    assert b.phase is Link.FAILED


def a_registration_body_that_cannot_be_built_stops_the_link(b: Bench):
    save_credentials(b.data_dir, Credentials("token", HUB))
    b = Bench(b.data_dir.parent)
    b.link.registration = lambda url: {"bad": float("nan")}  # JSON refuses NaN: a bug in the daemon
    b.link.start()
    assert b.phase is Link.FAILED


BREAKING = {a_data_dir_the_node_cannot_write_stops_the_link, a_browser_that_breaks_stops_the_link,
            a_registration_body_that_cannot_be_built_stops_the_link}
SCENARIOS = [value for name, value in dict(globals()).items()
             if callable(value) and name[0].islower() and getattr(value, "__module__", None) == __name__]


@pytest.mark.parametrize("scenario", sorted(set(SCENARIOS) - BREAKING, key=SCENARIOS.index),
                         ids=lambda s: s.__name__)
def test_scenario(scenario, tmp_path):
    scenario(Bench(tmp_path))


@pytest.mark.logs_errors("the hub link stopped on an unexpected error")
@pytest.mark.parametrize("scenario", sorted(BREAKING, key=SCENARIOS.index), ids=lambda s: s.__name__)
def test_an_unexpected_error_stops_the_link_and_says_so(scenario, tmp_path):
    scenario(Bench(tmp_path))


@pytest.mark.logs_errors("the hub link stopped on an unexpected error")
def test_every_transition_is_walked(tmp_path):
    with walked(LINK_STATES) as seen:
        for i, scenario in enumerate(SCENARIOS):
            scenario(Bench(tmp_path / str(i)))
    assert set(LINK_STATES) - seen == set()


LINK_OPERATIONS = {
    "start": lambda b: b.link.phase is Link.STOPPED and b.link.start(),
    "stop": lambda b: b.link.stop(),
    "hub down": lambda b: b.hub.script.update({key: [DOWN] for key in list(b.hub.script)}),
    "hub hangs": lambda b: b.hub.script.update({key: [HANG] for key in list(b.hub.script)}),
    "hub up": lambda b: b.hub.script.update({("POST", "/v1/nodes"): [REGISTERED], ("POST", "/v1/enroll"): [ENROLLED],
                                             ("GET", "/v1/health"): [(200, {"status": "ok", "hub_id": HUB})]}),
    "token revoked": lambda b: b.hub.script.update(
        {("POST", "/v1/nodes"): [(401, {"error": {"code": "unauthorized", "message": "revoked"}}), REGISTERED]}),
    "enrollment refused": lambda b: b.hub.script.update(
        {("POST", "/v1/enroll"): [(409, {"error": {"code": "conflict", "message": "known"}})]}),
    "advance 1": lambda b: b.clock.advance(1),
    "advance 30": lambda b: b.clock.advance(30),
    "found": lambda b: b.browser.pending is not None and b.browser.found(candidate()),
    "found none": lambda b: b.browser.pending is not None and b.browser.found(),
    "announced": lambda b: b.browser.announce(candidate()),
    "announced elsewhere": lambda b: b.browser.announce(candidate(url="http://hub.lan:8573/moved")),
    "a call": lambda b: b.link.call("post_readings", "pi-1", []).addErrback(lambda _: None),
}


@settings(max_examples=200, deadline=None)
@given(browse=st.booleans(), operations=st.lists(st.sampled_from(sorted(LINK_OPERATIONS)), max_size=30))
def test_any_sequence_keeps_the_link_in_a_named_state(tmp_path_factory, browse, operations):
    """No sequence reaches an event its state has no transition for; a client exactly when
    connected; a wake-up set exactly while waiting."""
    b = Bench(tmp_path_factory.mktemp("node"), browse=browse)
    for operation in operations:
        if operation.startswith(("found", "announced")) and not browse:
            continue
        LINK_OPERATIONS[operation](b)
        assert (b.link.client is not None) == (b.phase is Link.CONNECTED), operation
        waking = b.link._wake_call is not None and b.link._wake_call.active()
        assert waking == (b.phase is Link.WAITING), operation
        assert b.phase is not Link.FAILED
