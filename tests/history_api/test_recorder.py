"""The history's periodic jobs on a Clock: run samples every ``run_sample_minutes`` and the
retention of raw points, decisions and runs, both following the settings as they change."""

import pytest
from twisted.logger import globalLogPublisher

from rpymostat.hub.recorder import RETENTION_EVERY_S, SAMPLE_CHECK_S, Recorder
from tests.history_api.kit import S1, decision, post_readings, switch, zone_with_equipment

DAY = 86_400.0


@pytest.fixture
def logged():
    """What the services log at warning level or above (each test says what it expects)."""
    seen = []

    def observe(event):
        if event.get("log_level") is not None and event["log_level"].name in ("warn", "error", "critical"):
            seen.append(event)

    globalLogPublisher.addObserver(observe)
    yield seen
    globalLogPublisher.removeObserver(observe)


@pytest.fixture
def recording(hub, logged):
    zone_id = zone_with_equipment(hub)
    temperatures = {zone_id: 18.0}
    recorder = Recorder(hub.store, hub.clock, lambda: hub.api.settings, lambda: temperatures)
    hub.zone_id, hub.temperatures = zone_id, temperatures
    yield hub, recorder
    recorder.stopService()
    assert logged == []


def samples(hub):
    return [s["time"] for run in hub.raw_store.list_runs(hub.zone_id, 0, hub.clock.seconds() + 1, 10)
            for s in run["samples"]]


def test_an_open_run_gets_a_sample_every_run_sample_minutes(recording):
    hub, recorder = recording
    t0 = hub.clock.seconds()
    hub.raw_store.record_control([decision(hub.zone_id, t0)], [switch(hub.zone_id, "on", t0)])
    recorder.startService()
    for _ in range(int(11 * 60 / SAMPLE_CHECK_S)):
        hub.clock.advance(SAMPLE_CHECK_S)
    assert samples(hub) == [t0 + 300, t0 + 600]
    assert hub.call("PATCH", "/v1/settings", {"run_sample_minutes": 1}).status == 200
    for _ in range(int(3 * 60 / SAMPLE_CHECK_S)):
        hub.clock.advance(SAMPLE_CHECK_S)
    # A minute after the last sample, at the next check (every 30 s).
    assert samples(hub) == [t0 + 300, t0 + 600, t0 + 690, t0 + 750, t0 + 810]


def test_retention_bounds_the_decision_log_and_the_raw_points(recording):
    hub, recorder = recording
    now = hub.clock.seconds()
    store = hub.raw_store
    store.record_control([decision(hub.zone_id, now - 3 * DAY + 600 * i) for i in range(3 * 144)], [])
    readings = [(S1, now - 3 * DAY + 60 * i, 20.0) for i in range(3 * 1440)]
    post_readings(hub, readings)
    assert hub.call("PATCH", "/v1/settings", {"decisions_keep_days": 1, "history_raw_days": 2}).status == 200
    recorder.startService()  # the first round runs at once
    decisions = store.list_decisions(hub.zone_id, 0, now + 1, 10_000)
    assert len(decisions) == 144 and decisions[0]["time"] >= now - DAY
    raw = store.history.raw_points(f"sensor/{S1}", 0, now + 1)
    cut = (now - 2 * DAY) // DAY * DAY  # raw points go by whole (UTC) days
    assert [t for t, _ in raw] == [t for _, t, _ in readings if t >= cut]
    store.record_control([decision(hub.zone_id, now + 2 * DAY)], [])
    hub.clock.advance(RETENTION_EVERY_S)  # the next round an hour later
    assert hub.clock.seconds() < now + 2 * DAY  # no time travel: the newest decision stays
    assert store.list_decisions(hub.zone_id, 0, now - DAY + RETENTION_EVERY_S, 10_000)[0]["time"] >= \
        now - DAY + RETENTION_EVERY_S
