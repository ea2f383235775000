"""GET /metrics: who may read it, and what it says, parsed as Prometheus parses it."""

import shutil
import subprocess

import pytest
from prometheus_client.parser import text_string_to_metric_families

from rpymostat.core.timeutil import format_time
from rpymostat.hub.control import ControlService
from rpymostat.hub.metrics import CountingStore, MeteredHttp
from tests.control.rig import HEAT, Rig
from tests.hubkit import sensor_node


class MeteredRig(Rig):
    """The control rig with the hub's metrics wired as the hub service wires them."""

    def _control(self, api):
        return ControlService(api, clock=self.clock, timer=self.timer, boot_id=self.boot_id,
                              http=MeteredHttp(self.http, api.metrics), store=CountingStore(api.store, api.metrics),
                              pins=self.pins)

    def _attach(self):
        self.hub.api.metrics.watch_control(self.hub.api.control)
        return super()._attach()


@pytest.fixture
def rig(tmp_path):
    r = MeteredRig(f"sqlite:///{tmp_path / 'hub.db'}")
    yield r
    r.close()


def scrape(hub, token="admin") -> str:
    reply = raw_get(hub, "/metrics", token)
    assert reply[0] == 200, reply
    return reply[2]


def raw_get(hub, path, token):
    headers = {"Host": "hub"}
    if token:
        headers["Authorization"] = f"Bearer {token if token != 'admin' else hub.admin_token}"
    outcome = []
    d = hub.client.get("http://hub" + path, headers=headers)
    d.addCallback(lambda r: hub.client.content(r).addCallback(
        lambda body: outcome.append((r.code, r.headers.getRawHeaders("content-type"), body.decode()))))
    hub.client.flush()
    return outcome[0]


def samples(text: str) -> dict:
    """(name, sorted label items) to value, for every sample."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict, metric: str, **labels) -> float | None:
    return found.get((metric, tuple(sorted(labels.items()))))


def metrics_token(hub) -> str:
    reply = hub.call("POST", "/v1/tokens", {"role": "metrics", "name": "prometheus"})
    assert reply.status == 201, reply.body
    assert reply.body["role"] == "metrics"
    return reply.body["token"]


def test_metrics_need_a_metrics_or_admin_token_and_that_token_reads_nothing_else(hub):
    token = metrics_token(hub)
    assert raw_get(hub, "/metrics", None)[0] == 401
    sensor_node(hub)
    assert raw_get(hub, "/metrics", hub.device_token)[0] == 403
    code, media, _ = raw_get(hub, "/metrics", token)
    assert code == 200 and media == ["text/plain; version=0.0.4; charset=utf-8"]
    assert raw_get(hub, "/metrics", "admin")[0] == 200
    for method, path, body in (("GET", "/v1/status", None), ("GET", "/v1/openapi.json", None),
                               ("GET", "/v1/sensors", None),
                               ("POST", "/v1/readings", {"node_id": "node-1", "readings": []})):
        reply = hub.call(method, path, body, token=token)
        assert (reply.status, reply.error) == (403, "forbidden"), path


def test_metrics_open_on_an_explicit_setting(hub):
    hub.api.metrics_open = True
    assert raw_get(hub, "/metrics", None)[0] == 200
    assert hub.call("GET", "/v1/status", token=None).status == 401


def test_readings_ingested_and_rejected_and_requests_per_route(hub):
    sensor_node(hub)
    now = hub.clock.seconds()
    reply = hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": format_time(now), "value": 20.5},
        {"sensor_id": "28-000000000001", "time": format_time(now - 30), "value": 20.4},
        {"sensor_id": "28-000000000002", "time": format_time(now), "value": 85.0},
        {"sensor_id": "28-00000000000f", "time": format_time(now), "value": 20.0}]}, token="device")
    assert reply.status == 202 and reply.body["accepted"] == 2
    hub.call("POST", "/v1/readings", {"node_id": "node-1", "readings": [
        {"sensor_id": "28-000000000001", "time": format_time(now), "value": 20.5}]}, token="device")
    hub.clock.advance(12)
    found = samples(scrape(hub))
    assert value(found, "rpymostat_readings_ingested_total", source="api") == 2
    assert value(found, "rpymostat_readings_duplicate_total", source="api") == 1
    assert value(found, "rpymostat_readings_rejected_total", source="api", reason="power_on_reset") == 1
    assert value(found, "rpymostat_readings_rejected_total", source="api", reason="unknown_sensor") == 1
    assert value(found, "rpymostat_sensor_temperature_celsius", sensor="28-000000000001") == 20.5
    assert value(found, "rpymostat_sensor_age_seconds", sensor="28-000000000001") == 12
    route = dict(method="POST", route="/v1/readings")
    assert value(found, "rpymostat_http_requests_total", code="202", **route) == 2
    assert value(found, "rpymostat_http_request_duration_seconds_count", **route) == 2
    assert value(found, "rpymostat_http_requests_total", method="POST", route="/v1/nodes", code="200") == 1
    # the scrape itself is counted once it is answered
    again = samples(scrape(hub))
    assert value(again, "rpymostat_http_requests_total", method="GET", route="/metrics", code="200") == 1


def test_a_bad_request_is_counted_under_its_route_with_its_status(hub):
    assert hub.call("POST", "/v1/readings", raw=b"{nope", token="admin").status == 400
    found = samples(scrape(hub))
    assert value(found, "rpymostat_http_requests_total", method="POST", route="/v1/readings", code="400") == 1


def test_zone_state_starts_guard_refusals_and_relay_commands(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 200)  # inside the start-up minimum off time: the guard refuses heat
    early = samples(scrape(rig.hub))
    assert value(early, "rpymostat_guard_refusals_total", zone="1", rule="startup") == 1
    assert value(early, "rpymostat_zone_action", zone="1", action="idle") == 1
    assert value(early, "rpymostat_equipment_starts_total", zone="1", function="heat") is None
    rig.feed(18.0, until=t0 + 400)
    assert rig.relay.on(HEAT)
    found = samples(scrape(rig.hub))
    assert value(found, "rpymostat_zone_info", zone="1", name="Living") == 1
    assert value(found, "rpymostat_zone_temperature_celsius", zone="1") == 18.0
    assert value(found, "rpymostat_zone_target_celsius", zone="1", setpoint="heat") == 20.0
    assert value(found, "rpymostat_zone_target_celsius", zone="1", setpoint="cool") is None
    assert value(found, "rpymostat_zone_mode", zone="1", mode="heat") == 1
    assert value(found, "rpymostat_zone_action", zone="1", action="heating") == 1
    assert value(found, "rpymostat_zone_action", zone="1", action="idle") == 0
    assert value(found, "rpymostat_equipment_on", zone="1", function="heat") == 1
    assert value(found, "rpymostat_equipment_starts_total", zone="1", function="heat") == 1
    assert value(found, "rpymostat_guard_refusals_total", zone="1", rule="startup") == 1  # one episode
    on_commands = len([1 for _, body in rig.http.puts(HEAT) if body["state"] == "on"])
    assert on_commands >= 3  # the start and its renewals
    assert value(found, "rpymostat_relay_commands_total", state="on") == on_commands
    assert value(found, "rpymostat_relay_command_failures_total", state="on", reason="unreachable") is None


def test_an_unreachable_relay_is_counted_and_alarmed(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 330)
    rig.partition(True)
    rig.feed(18.0, until=t0 + 400)
    found = samples(scrape(rig.hub))
    assert value(found, "rpymostat_relay_command_failures_total", state="on", reason="unreachable") >= 1
    assert value(found, "rpymostat_zone_alarm", zone="1", code="relay_unreachable") == 1


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) is not installed")
def test_promtool_finds_nothing_to_complain_of(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 400)
    text = scrape(rig.hub)
    checked = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip() == "" and checked.stderr.strip() == "", checked.stdout + checked.stderr
