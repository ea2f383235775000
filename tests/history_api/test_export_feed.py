"""The InfluxDB sink is fed by the history store: each new reading and each new point of
the control loop's record is offered once; a re-sent one is not offered again."""

from rpymostat.hub.influx import ExportingHistory, InfluxSink
from tests.history_api.kit import S1, decision, post_readings, zone_with_equipment


def test_new_points_of_readings_and_of_the_control_record_are_offered(hub):
    zone_id = zone_with_equipment(hub)
    sink = InfluxSink(lambda lines: None)
    hub.raw_store.history = ExportingHistory(hub.raw_store.history, sink)
    now = hub.clock.seconds()
    post_readings(hub, [(S1, now - 60, 19.0), (S1, now, 19.5)])
    post_readings(hub, [(S1, now, 19.5)])  # sent again: stored once, offered once
    hub.raw_store.record_control([decision(zone_id, now, temperature=19.25)], [])
    offered = list(sink._buffer)
    assert offered[:2] == [(f"sensor/{S1}", now - 60, 19.0), (f"sensor/{S1}", now, 19.5)]
    assert (f"zone/{zone_id}/temperature", now, 19.25) in offered[2:]
    assert len(offered) == 2 + 6  # temperature, action, mode, target, two outputs
    assert hub.raw_store.history.series_names(f"zone/{zone_id}/")  # the rest is the store's own
