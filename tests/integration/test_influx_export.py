"""The InfluxDB export against a real server on loopback: Debian's VictoriaMetrics, which
takes the InfluxDB v2 write API. A day of a sensor's, a zone's and an output's points goes
through the sink and influxdb-client, and is read back with the server's own export API."""

import json
import shutil
import time
import urllib.request

import pytest

from rpymostat.core.timeutil import format_time
from rpymostat.hub.influx import InfluxSink, influx_writer
from tests.integration.procs import ENROLLMENT_KEY, Proc, free_port, http, start_hub, wait_until

VICTORIA = shutil.which("victoria-metrics") or shutil.which("victoria-metrics-prod")
pytestmark = pytest.mark.skipif(VICTORIA is None, reason="victoria-metrics is not installed "
                                                         "(apt-get install victoria-metrics)")
pytest.importorskip("influxdb_client", reason="the influxdb extra is not installed")

DAY_START = 1_790_000_000.0


@pytest.fixture
def victoria(tmp_path):
    port = free_port()
    proc = Proc([VICTORIA, f"-storageDataPath={tmp_path / 'vm'}", f"-httpListenAddr=127.0.0.1:{port}",
                 "-retentionPeriod=100y", "-search.disableCache", "-loggerLevel=ERROR"])
    url = f"http://127.0.0.1:{port}"

    def healthy():
        try:
            return urllib.request.urlopen(f"{url}/health", timeout=1).status == 200
        except OSError:
            return False

    assert wait_until(healthy, 30), "\n".join(proc.lines[-20:])
    yield url
    proc.stop()


def export(url: str, match: str) -> dict[str, dict]:
    query = urllib.parse.urlencode({"match[]": match})
    urllib.request.urlopen(f"{url}/internal/force_flush", timeout=10).read()
    with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=10) as response:
        found = [json.loads(text) for text in response.read().decode().splitlines() if text]
    return {item["metric"]["__name__"] + json.dumps(
        {k: v for k, v in sorted(item["metric"].items()) if k != "__name__"}): item for item in found}


def test_a_day_of_points_is_exported_and_read_back(victoria):
    minutes = range(24 * 60)
    points = [("sensor/28-0316a2795aff", DAY_START + 60 * m, round(18 + (m % 120) / 40, 2)) for m in minutes]
    points += [("zone/1/temperature", DAY_START + 600 * m, 19.5) for m in range(144)]
    points += [("zone/1/mode", DAY_START, 1.0), ("output/phidget-523456/2/state", DAY_START + 30, 1.0),
               ("output/phidget-523456/2/state", DAY_START + 930, 0.0)]
    sink = InfluxSink(influx_writer(victoria, "home", "rpymostat", "any-token"), tags={"system": "test"},
                      batch=500)
    sink.start()
    try:
        assert sink.offer(points) == len(points)
        assert sink.drain(60)
    finally:
        sink.stop()
    assert (sink.written, sink.dropped, sink.rejected) == (len(points), 0, 0)

    def everything():
        found = export(victoria, '{__name__=~"temperature.*|zone.*|output.*"}')
        return found if sum(len(item["values"]) for item in found.values()) == len(points) else None

    found = wait_until(everything, 30)
    assert found, export(victoria, '{__name__=~".+"}')
    sensor = found['temperature_value{"sensor": "28-0316a2795aff", "system": "test"}']
    assert sensor["timestamps"] == [round(t * 1000) for _, t, _ in points[:1440]]
    assert sensor["values"] == [v for _, _, v in points[:1440]]
    assert found['zone_temperature{"system": "test", "zone": "1"}']["values"] == [19.5] * 144
    assert found['zone_mode{"system": "test", "zone": "1"}']["values"] == [1]
    output = found['output_state{"output": "phidget-523456/2", "system": "test"}']
    assert output["values"] == [1, 0] and output["timestamps"] == [round((DAY_START + 30) * 1000),
                                                                    round((DAY_START + 930) * 1000)]


def test_points_offered_while_the_server_is_away_arrive_once_it_is_back(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sink = InfluxSink(influx_writer(url, "home", "rpymostat", "t", timeout_ms=2000))
    sink.backoff = type(sink.backoff)(first_s=0.2, most_s=0.5)
    sink.start()
    try:
        sink.offer([("sensor/s1", DAY_START + i, 20.0 + i) for i in range(5)])
        assert wait_until(lambda: sink.retries >= 2, 20)
        proc = Proc([VICTORIA, f"-storageDataPath={tmp_path / 'vm'}", f"-httpListenAddr=127.0.0.1:{port}",
                     "-retentionPeriod=100y"])
        try:
            assert sink.drain(30)
            assert sink.written == 5
            found = wait_until(lambda: export(url, '{__name__="temperature_value"}') or None, 30)
            (series,) = found.values()
            assert series["values"] == [20.0 + i for i in range(5)]
        finally:
            proc.stop()
    finally:
        sink.stop()


def test_a_hub_configured_for_influxdb_exports_the_readings_it_takes(victoria, tmp_path):
    token_file = tmp_path / "influx-token"
    token_file.write_text("any-token\n")
    proc, url, _ = start_hub(tmp_path / "home", "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY,
                             env={"RPYMOSTAT_INFLUXDB_URL": victoria, "RPYMOSTAT_INFLUXDB_TOKEN_FILE": str(token_file),
                                  "RPYMOSTAT_SYSTEM": "attic"})
    try:
        status, answer = http("POST", f"{url}/v1/enroll", {"node_id": "n1"}, ENROLLMENT_KEY)
        device = answer["token"]
        assert http("POST", f"{url}/v1/nodes", {"node_id": "n1", "kind": "sensor",
                                                "sensors": [{"sensor_id": "s1"}]}, device)[0] == 200
        now = time.time()
        readings = [{"sensor_id": "s1", "time": format_time(now - 60 * i), "value": 20.0 + i} for i in range(5)]
        assert http("POST", f"{url}/v1/readings", {"node_id": "n1", "readings": readings}, device)[0] == 202
        def exported():
            found = export(victoria, '{__name__="temperature_value",system="attic"}')
            return found if sum(len(item["values"]) for item in found.values()) == 5 else None

        found = wait_until(exported, 30)
        assert found, "\n".join(proc.lines[-20:])
        (series,) = found.values()
        assert sorted(series["values"]) == [20.0 + i for i in range(5)]
    finally:
        assert proc.stop() == 0
    assert any("exporting the history to InfluxDB" in line for line in proc.lines)
