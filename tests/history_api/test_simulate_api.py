"""POST /v1/zones/{id}/simulate: a candidate against the current configuration on the
learned model; nothing changes."""

import pytest
from twisted.internet.defer import Deferred

from rpymostat.core.history.names import OUTDOOR
from tests.history_api.kit import zone_with_equipment

MORNING = {"name": "mornings", "kind": "recurring", "cron": "0 6 * * *", "duration": "PT16H",
           "target": {"mode": "heat", "heat_setpoint": 21}}


@pytest.fixture
def zone(hub):
    zone_id = zone_with_equipment(hub)
    assert hub.call("PATCH", f"/v1/zones/{zone_id}", {"default_target": {"mode": "heat",
                                                                          "heat_setpoint": 16}}).status == 200
    assert hub.call("POST", "/v1/rules", {**MORNING, "zone_id": zone_id}).status == 201
    return zone_id


def test_predictive_against_hysteresis_changes_nothing(hub, zone):
    before = hub.dump()
    reply = hub.call("POST", f"/v1/zones/{zone}/simulate", {"days": 2, "decision_plugin": "predictive"})
    assert reply.status == 200, reply.body
    body = reply.body
    current, candidate = body["current"], body["candidate"]
    assert (current["decision_plugin"], candidate["decision_plugin"]) == ("hysteresis", "predictive")
    assert body["weather"] == "built-in" and body["model"]["heat"]["learned"] is False
    assert current["lateness_min"]["rises"] == candidate["lateness_min"]["rises"] == 2
    assert current["lateness_min"]["mean"] > 30 and candidate["lateness_min"]["max"] < 1  # within a step
    assert candidate["discomfort_kh"] < current["discomfort_kh"]
    assert len(candidate["trace"]) == 2 * 96 and candidate["trace"][0]["time"] == body["from"]
    assert hub.dump() == before


def test_candidate_rules_and_recorded_weather(hub, zone):
    now = hub.clock.seconds()
    hub.raw_store.history.append([(OUTDOOR, now - 86_400 + i * 1800, -8.0) for i in range(48)])
    later = {**MORNING, "zone_id": zone, "cron": "0 8 * * *", "duration": "PT14H"}
    body = hub.call("POST", f"/v1/zones/{zone}/simulate", {"days": 1, "rules": [later]}).body
    assert body["weather"] == "history" and body["candidate"]["trace"][0]["outdoor"] == -8.0
    assert body["candidate"]["runtime_h"] < body["current"]["runtime_h"]  # two hours less of 21 °C


@pytest.mark.parametrize("request_body, status, words", [
    ({"days": 15}, 422, "days"),
    ({"days": 1, "decision_plugin": "crystal_ball"}, 409, "no decision plugin 'crystal_ball'"),
    ({"days": 1, "rules": [{**MORNING, "zone_id": 7}]}, 409, "zone_id must be"),
    ({"days": 1, "settings": {"preheat_max_hours": 99}}, 422, "preheat_max_hours"),
    ({"days": 1, "extra": True}, 422, "extra"),
])
def test_bad_requests_are_refused_clearly(hub, zone, request_body, status, words):
    reply = hub.call("POST", f"/v1/zones/{zone}/simulate", request_body)
    assert reply.status == status, reply.body
    assert words in reply.body["error"]["message"] + str(reply.body["error"].get("details"))


def test_one_simulation_at_a_time(hub, zone):
    waiting = Deferred()
    hub.api.simulation_runner = lambda work: waiting.addCallback(lambda _: work())
    answers = []
    headers = {"Host": "hub", "Authorization": f"Bearer {hub.admin_token}", "Content-Type": "application/json"}
    hub.client.request("POST", f"http://hub/v1/zones/{zone}/simulate", data=b'{"days": 1}',
                       headers=headers).addCallback(lambda response: answers.append(response.code))
    hub.client.flush()
    assert answers == []
    busy = hub.call("POST", f"/v1/zones/{zone}/simulate", {"days": 1})
    assert busy.status == 409 and "a simulation is running" in busy.body["error"]["message"]
    waiting.callback(None)
    hub.client.flush()
    assert answers == [200]
    assert hub.call("POST", f"/v1/zones/{zone}/simulate", {"days": 1}).status == 200


def test_an_unknown_zone_is_404(hub):
    assert hub.call("POST", "/v1/zones/42/simulate", {"days": 1}).status == 404
