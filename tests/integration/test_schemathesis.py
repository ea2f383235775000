"""schemathesis against the live APIs, from their own OpenAPI documents: every operation,
positive and negative data, a fixed seed and a bounded number of examples. No 5xx,
responses match their schemas, bad data refused, schema-valid data accepted (or refused
only by the state of the hub: 404, 409), every 405 with an Allow header.

The hub is a real process on loopback (HTTPS with its self-signed certificate, which
schemathesis is told not to verify: pinning is tested elsewhere), seeded with the nodes,
sensors, outputs, zones and rules the operations address; the relay node's API is the
real ``RelayAPI`` served on a loopback socket by this test's reactor."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.threads import deferToThread

from rpymostat.core.timeutil import format_time
from rpymostat.web.site import QuietSite
from rpymostat_relay.api import RelayAPI
from rpymostat_relay.drivers.sim import SimDriver
from rpymostat_relay.outputs import MemoryJournal, OutputBank
from tests.integration.procs import BIN, ENROLLMENT_KEY, http, start_hub
from tests.sensor.nodekit import inline

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261202
EXAMPLES = 20
RELAY_TOKEN = "schemathesis-relay-command-token"
# Ids that schemathesis's boundary values hit ("0" is the shortest that the id pattern takes).
SENSORS = ("0", "28-0316a2795aff")
OUTPUTS = ("1", "phidget-523456/2", "gpio17")
CONFIG = """\
seed = {seed}
workers = 1

[generation]
max-examples = {examples}
deterministic = true
database = "none"

# Every check but ignored_auth: its probes with wrong tokens trip the failed-authentication
# throttle (by design), after which every answer is a 429. That every route refuses a
# missing or wrong token is shown for each route by tests/api/test_auth_and_input.py.
[checks]
enabled = true
ignored_auth.enabled = false

[[operations]]
include-operation-id = "enroll"
headers = {{ Authorization = "Bearer {enrollment_key}" }}

# A stream of events has no end to wait for (tests/api/test_events.py tests it).
[[operations]]
include-operation-id = "events"
enabled = false

# Revoking the token the run speaks with would leave it only 401s to test: revoke another.
[[operations]]
include-operation-id = "revoke_token"
parameters = {{ token_id = {spare_token_id} }}
"""


def schemathesis_run(tmp_path: Path, url: str, token: str, spare_token_id: int = 0
                     ) -> subprocess.CompletedProcess:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(seed=SEED, examples=EXAMPLES, enrollment_key=ENROLLMENT_KEY,
                                    spare_token_id=spare_token_id))
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.integration.schemathesis_hooks",
           "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run(
        [str(BIN / "schemathesis"), "--config-file", str(config), "run", f"{url}/v1/openapi.json",
         "-H", f"Authorization: Bearer {token}", "--phases", "examples,coverage,fuzzing",
         "--request-timeout", "20", "--no-shrink", "--tls-verify", "false"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)


def seed_hub(url: str, token: str) -> int:
    """The seeded hub's data; returns the id of a token the run may revoke."""
    def ok(method, path, body=None, bearer=token):
        status, answer = http(method, f"{url}{path}", body, bearer)
        assert status < 300, (method, path, status, answer)
        return answer

    sensor_token = ok("POST", "/v1/enroll", {"node_id": "0"}, ENROLLMENT_KEY)["token"]
    ok("POST", "/v1/nodes", {"node_id": "0", "kind": "sensor",
                             "sensors": [{"sensor_id": s} for s in SENSORS]}, sensor_token)
    # A history series, the one the document's examples name.
    ok("POST", "/v1/readings", {"node_id": "0", "readings": [
        {"sensor_id": SENSORS[1], "time": format_time(time.time() - 60), "value": 20.5}]}, sensor_token)
    relay_token = ok("POST", "/v1/enroll", {"node_id": "relay-1"}, ENROLLMENT_KEY)["token"]
    ok("POST", "/v1/nodes", {"node_id": "relay-1", "kind": "relay", "url": "http://127.0.0.1:9/",
                             "outputs": [{"output_id": o} for o in OUTPUTS]}, relay_token)
    for name in ("Living", "Bedroom"):
        ok("POST", "/v1/zones", {"name": name, "sensors": [SENSORS[0]],
                                 "default_target": {"mode": "heat", "heat_setpoint": 19}})
    ok("POST", "/v1/rules", {"zone_id": 1, "name": "evenings", "kind": "recurring",
                             "cron": "0 18 * * *", "duration": "PT4H",
                             "target": {"mode": "heat", "heat_setpoint": 21}})
    ok("PUT", "/v1/zones/1/hold", {"target": {"mode": "heat", "heat_setpoint": 22}, "until": "PT2H"})
    return ok("POST", "/v1/tokens", {"role": "admin", "name": "spare"})["id"]


def _report(run: subprocess.CompletedProcess) -> str:
    return run.stdout[-20000:] + run.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_hub_meets_its_openapi_document(tmp_path):
    proc, url, token = start_hub(tmp_path / "home", "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    try:
        run = schemathesis_run(tmp_path, url, token, seed_hub(url, token))
    finally:
        assert proc.stop() == 0
    assert run.returncode == 0, _report(run)
    assert "Traceback" not in "\n".join(proc.lines), "\n".join(proc.lines[-60:])


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest_twisted.inlineCallbacks
def test_the_relay_node_meets_its_openapi_document(tmp_path):
    driver = SimDriver({"outputs": [{"id": o} for o in OUTPUTS]}, clock=reactor.seconds)
    bank = OutputBank(clock=reactor, driver=driver, run=inline, journal=MemoryJournal(),
                      on_change=lambda *change: None, min_off_s=60)
    yield bank.boot()
    api = RelayAPI(bank=bank, node_id="relay-1", clock=reactor)
    api.command_token = RELAY_TOKEN
    port = reactor.listenTCP(0, QuietSite(api.resource()), interface="127.0.0.1")
    try:
        run = yield deferToThread(schemathesis_run, tmp_path, f"http://127.0.0.1:{port.getHost().port}",
                                  RELAY_TOKEN)
    finally:
        yield port.stopListening()
        yield bank.stop()
    assert run.returncode == 0, _report(run)
