"""Paths: an id is one path segment (a ``/`` in it travels as ``%2F``), no route answers
for another's path, and every 405 names exactly the methods its path answers."""

import pytest

from rpymostat.node.client import HubClient
from tests.api.test_openapi import served_routes
from tests.hubkit import relay_node

SLASHED = "phidget-523456/2"
METHODS = ("GET", "PUT", "POST", "PATCH", "DELETE")


def test_a_path_with_an_extra_segment_is_not_routed_to_a_shorter_route(hub):
    relay_node(hub, outputs=("fan",))
    before = hub.dump()
    reply = hub.call("PATCH", "/v1/outputs/fan/state", {"alias": "Fan"})
    assert reply.status == 405 and reply.error == "method_not_allowed"
    assert reply.headers.getRawHeaders("allow") == ["PUT"]
    assert hub.call("GET", "/v1/nodes/relay-1/extra").status == 404
    assert hub.dump() == before


def test_an_id_with_a_slash_is_one_percent_encoded_segment(hub):
    relay_node(hub, outputs=(SLASHED,))
    reply = hub.call("PATCH", "/v1/outputs/phidget-523456%2F2", {"alias": "Boiler"})
    assert reply.status == 200 and reply.body["id"] == SLASHED and reply.body["alias"] == "Boiler"
    reply = hub.call("PATCH", "/v1/outputs/phidget-523456/2", {"alias": "Other"})
    assert reply.status == 404
    assert hub.call("GET", "/v1/outputs").body["outputs"][0]["alias"] == "Boiler"


def test_a_relay_node_reports_the_state_of_an_output_with_a_slash(hub):
    relay_node(hub, outputs=(SLASHED,))
    client = HubClient(hub.client, hub.clock, "http://hub", token=hub.node_token("relay-1"))
    answers = []
    client.report_output_state(SLASHED, "on", "2026-09-21T14:13:00Z", "command").addBoth(answers.append)
    hub.client.flush()
    assert answers[0]["id"] == SLASHED and answers[0]["state"] == "on"
    assert hub.call("GET", "/v1/outputs").body["outputs"][0]["state"] == "on"


def _example(path: str) -> str:
    return path.replace("{zone_id}", "1").replace("{rule_id}", "1").replace("{token_id}", "1") \
        .replace("{node_id}", "n%2F1").replace("{sensor_id}", "s%2F1").replace("{output_id}", "o%2F1")


@pytest.mark.parametrize("method", METHODS)
def test_every_405_allows_exactly_the_methods_its_path_answers(hub, method):
    answered: dict[str, set] = {}
    for verb, path in served_routes(hub.api):
        answered.setdefault(path, set()).add(verb)
    for path, verbs in sorted(answered.items()):
        if method in verbs:
            continue
        reply = hub.call(method, _example(path), {} if method in ("PUT", "POST", "PATCH") else None)
        assert reply.status == 405, (method, path, reply.body)
        allowed = {m.strip() for m in reply.headers.getRawHeaders("allow")[0].split(",")}
        assert allowed == verbs | ({"HEAD"} if "GET" in verbs else set()), (method, path)
