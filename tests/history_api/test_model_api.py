"""GET /v1/zones/{id}/model: the learner's fit of the runs the control loop recorded."""

import pytest

from tests.history_api.kit import record_run, zone_with_equipment

HOUR = 3600.0


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
