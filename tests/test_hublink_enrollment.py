"""A node's hub link when the hub will not enroll it (409: it knows the node already) and
when the hub revokes its token (401, after an admin allowed a re-enrollment), against the
in-memory hub on a Clock."""

from __future__ import annotations

import pytest
from twisted.logger import LogLevel, formatEvent, globalLogPublisher

from rpymostat.node.credentials import load_credentials
from rpymostat.node.link import HubLink
from tests.hubkit import ENROLLMENT_KEY, Hub
from tests.sensor.nodekit import FlakyHttp

NODE = "pi-1"


@pytest.fixture
def logged():
    """(level, text) of each line the hub link logs."""
    lines: list[tuple[LogLevel, str]] = []

    def observe(event):
        if event.get("log_namespace") == "rpymostat.node.link":
            lines.append((event["log_level"], formatEvent(event)))

    globalLogPublisher.addObserver(observe)
    yield lines
    globalLogPublisher.removeObserver(observe)


class Link:
    """A sensor node's link with no sensors: what matters here is whom it talks to."""

    def __init__(self, hub: Hub, data_dir, **args):
        self.hub = hub
        self.http = FlakyHttp(hub.client)
        self.replies: list[dict] = []
        self.link = HubLink(clock=hub.clock, http=self.http, data_dir=data_dir, node_id=NODE, name="Pi 1",
                            registration=lambda url: {"node_id": NODE, "kind": "sensor"},
                            on_registered=self.replies.append, hub_url="http://hub",
                            **{"enrollment_key": ENROLLMENT_KEY, **args})

    def advance(self, seconds: int) -> None:
        for _ in range(seconds):
            self.hub.clock.advance(1)
            self.flush()

    def flush(self) -> None:
        for _ in range(5):
            self.hub.client.flush()

    def start(self) -> None:
        self.link.start()
        self.flush()

    def call_hub(self):
        """One call through the link, as the daemons make theirs; its outcome is not the point."""
        self.link.call("register", {"node_id": NODE, "kind": "sensor"}).addErrback(lambda _: None)
        self.flush()


def test_a_refused_enrollment_says_what_to_run_on_the_hub_and_is_tried_again(hub, tmp_path, logged):
    assert hub.call("POST", "/v1/enroll", {"node_id": NODE}, token=ENROLLMENT_KEY).status == 201
    node = Link(hub, tmp_path / "reinstalled")  # same node id, its data dir is gone
    node.start()
    node.advance(15)
    assert node.http.posts("/v1/enroll") == 5, "at 0, 1, 3, 7 and 15 s"
    assert node.link.client is None and load_credentials(tmp_path / "reinstalled") is None
    said = [text for level, text in logged if level >= LogLevel.warn]
    assert len(said) == 1 and len(logged) == 1, "one line, not one per attempt"
    assert "run `rpymostat node re-enroll pi-1` on the hub" in said[0]

    assert hub.call("POST", f"/v1/nodes/{NODE}/re-enroll").status == 200
    node.advance(16)
    assert node.link.client is not None and node.replies[-1]["hub_id"] == hub.hub_id
    assert load_credentials(tmp_path / "reinstalled").hub_id == hub.hub_id
    node.link.stop()


def test_a_revoked_token_is_dropped_and_the_node_enrolls_again_with_the_same_hub(hub, tmp_path, logged):
    node = Link(hub, tmp_path / "node")
    node.start()
    first = load_credentials(tmp_path / "node")
    assert first.hub_id == hub.hub_id and node.link.client is not None

    assert hub.call("POST", f"/v1/nodes/{NODE}/re-enroll").status == 200
    node.call_hub()
    node.advance(1)  # an unknown token is answered after the token book's next read
    again = load_credentials(tmp_path / "node")
    assert again.hub_id == first.hub_id and again.token not in (None, first.token)
    assert node.link.client is not None and node.http.posts("/v1/enroll") == 2
    hub.clock.advance(1)
    assert hub.call("GET", "/v1/nodes", token=first.token).status == 401
    assert any("refused this node's token" in text and "enrolling again" in text for _, text in logged)
    node.link.stop()


def test_without_an_enrollment_key_a_revoked_token_gives_one_clear_line(hub, tmp_path, logged):
    node = Link(hub, tmp_path / "node", enrollment_key=None, token=hub.node_token(NODE))
    node.start()
    assert node.link.client is not None
    assert hub.call("POST", f"/v1/nodes/{NODE}/re-enroll").status == 200
    node.call_hub()
    node.advance(3)
    assert node.link.client is None and node.http.posts("/v1/enroll") == 0
    kept = load_credentials(tmp_path / "node")
    assert kept.token is None and kept.hub_id == hub.hub_id, "the pin stays"
    told = [(level, text) for level, text in logged if "no enrollment key" in text]
    assert len(told) == 1, "one line, not one per attempt"
    level, text = told[0]
    assert level == LogLevel.warn, "an expected condition, with what the node does meanwhile"
    assert "the hub revoked this node's token and no enrollment key" in text
    assert "--enrollment-key" in text and "keeps looking for the hub" in text
    assert not [text for level, text in logged if level >= LogLevel.error]
    node.link.stop()


def test_another_hub_refusing_the_token_does_not_make_the_node_drop_it(hub, tmp_path):
    node = Link(hub, tmp_path / "node")
    node.start()
    token = load_credentials(tmp_path / "node").token
    node.link.stop()
    other = Link(hub, tmp_path / "node")  # the same node, now at an address where another hub answers
    other.http.canned["/v1/nodes"] = (401, {"error": {"code": "unauthorized", "message": "who?"}})
    other.http.canned["/v1/health"] = (200, {"status": "ok", "version": "1", "hub_id": "another-hub"})
    other.start()
    other.advance(3)
    assert other.link.client is None and other.http.posts("/v1/enroll") == 0
    assert load_credentials(tmp_path / "node").token == token
    other.link.stop()
