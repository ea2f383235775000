"""The control loop presents each relay the command token the hub stored for it, and
after the relay's re-enrollment the new one: commands keep arriving, and the relay
refuses the old token."""

import json

from tests.control.rig import HEAT, Rig
from tests.hubkit import ENROLLMENT_KEY


def relay_answer(rig, token: str) -> int:
    """The relay's answer to a command carrying ``token``."""
    outcome = []
    stub = rig.http.stub
    d = stub.request("PUT", f"http://127.0.0.1:8574/v1/outputs/{HEAT}",
                     data=json.dumps({"state": "off"}).encode(),
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    d.addCallback(lambda response: outcome.append(response.code))
    stub.flush()
    return outcome[0]


def test_the_dispatcher_follows_the_relays_command_token_across_a_re_enrollment(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"min_off_s": 60})
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 90)
    assert rig.relay.on(HEAT)
    old = rig.relay.api.command_token

    hub = rig.hub
    assert hub.call("POST", "/v1/nodes/relay-1/re-enroll").status == 200
    enrolled = hub.call("POST", "/v1/enroll", {"node_id": "relay-1"}, token=ENROLLMENT_KEY)
    registered = hub.call("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay",
                                                "url": "http://127.0.0.1:8574/",
                                                "outputs": [{"output_id": HEAT}, {"output_id": "gpio27"}]},
                          token=enrolled.body["token"])
    new = registered.body["command_token"]
    assert new != old
    rig.relay.api.command_token = new  # what the relay daemon does with the reply
    hub.node_tokens["relay-1"] = enrolled.body["token"]  # its state reports from now on

    renewals = len(rig.http.puts(HEAT))
    rig.feed(18.0, until=t0 + 300)
    assert rig.relay.on(HEAT), "the renewals carried the new token"
    assert len(rig.http.puts(HEAT)) > renewals
    assert rig.state()["alarms"] == []
    assert relay_answer(rig, old) == 401
    rig.close()
