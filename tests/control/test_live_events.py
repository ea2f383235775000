"""The control loop's decisions as live events (GET /v1/events): each decision of a zone,
and an alarm event when, and only when, the zone's alarms change."""

import pytest

from tests.control.rig import Rig


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}")
    yield r
    r.close()


def alarm_codes(heard) -> list[list[str]]:
    return [sorted(a["code"] for a in e.data["alarms"]) for e in heard if e.kind == "alarm"]


def test_decisions_and_changed_alarms_are_published(rig):
    heard = []
    rig.hub.api.events.subscribe(heard.append)
    assert "no_temperature" in [a["code"] for a in rig.state()["alarms"]]  # no reading yet
    rig.feed(18.0, until=rig.clock.seconds() + 360)  # past the minimum off time counted from start-up
    decisions = [e.data for e in heard if e.kind == "decision"]
    assert len(decisions) > 1 and {d["zone_id"] for d in decisions} == {1}
    assert decisions[-1]["action"] == "heating" and decisions[-1]["temperature"] == 18.0
    assert "heating" in decisions[-1]["reason"]
    assert alarm_codes(heard) == [[]]  # the alarm cleared with the first reading, once

    rig.run_for(30 * 60)  # the sensor goes stale: no temperature
    assert alarm_codes(heard) == [[], ["no_temperature"]]
    rig.feed(18.5, until=rig.clock.seconds() + 60)
    assert alarm_codes(heard) == [[], ["no_temperature"], []]
