"""GET /v1/zones/{id}/model: the learner's fit of the runs the control loop recorded."""

import pytest

from rpymostat.core.history.names import OUTDOOR
from tests.history_api.kit import decision, switch, zone_with_equipment

HOUR = 3600.0


def record_run(store, zone_id, start, rate_k_per_h, outdoor=0.0, minutes=60, start_temperature=17.0):
    """A heating run as the control loop and the recorder write it: its start, a sample
    every 5 minutes with the zone's temperature rising at ``rate_k_per_h``, its end."""
    store.history.append([(OUTDOOR, start - 60, outdoor)])
    store.record_control([decision(zone_id, start, temperature=start_temperature)], [switch(zone_id, "on", start)])
    for minute in range(5, minutes + 1, 5):
        temperature = start_temperature + rate_k_per_h * minute / 60
        store.sample_runs(start + minute * 60, 300, {zone_id: temperature})
    store.record_control([], [switch(zone_id, "off", start + minutes * 60)])


def test_the_default_until_runs_exist_then_the_learned_rate(any_hub):
    hub, store = any_hub, any_hub.raw_store
    zone_id = zone_with_equipment(hub)
    assert hub.call("PATCH", "/v1/settings", {"default_heat_rate": 4.0}).status == 200
    empty = hub.call("GET", f"/v1/zones/{zone_id}/model")
    assert empty.status == 200, empty.body
    assert empty.body["heat"] | {"runs": None} == {
        "mode": "heat", "rate_k_per_h": 4.0, "per_kelvin": 0.0, "reference_difference": None, "dead_time_s": 0.0,
        "confidence": 0.0, "learned": False, "runs": None, "outliers": []}
    start = hub.clock.seconds() - 30 * 24 * HOUR
    for day in range(8):
        record_run(store, zone_id, start + day * 24 * HOUR, 2.5)
    record_run(store, zone_id, start + 9 * 24 * HOUR, 0.2)  # the window was open
    model = hub.call("GET", f"/v1/zones/{zone_id}/model").body
    heat = model["heat"]
    assert heat["learned"] and heat["rate_k_per_h"] == pytest.approx(2.5, rel=0.05)
    assert len(heat["runs"]) == 9 and heat["outliers"] == [heat["runs"][-1]]
    assert heat["reference_difference"] == pytest.approx(18.25, abs=0.5)
    assert 0 < heat["confidence"] < 1 and model["cool"]["learned"] is False
    assert model["fitted_at"] is not None


def test_an_unknown_zone_is_404(any_hub):
    reply = any_hub.call("GET", "/v1/zones/99/model")
    assert reply.status == 404 and reply.body["error"]["code"] == "not_found"
