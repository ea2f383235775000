"""`rpymostat demo` briefly at high speed: the real hub, sensor node and relay node as
processes, sharing one simulated house."""

import re
import signal

from rpymostat.core.timeutil import parse_time
from rpymostat_webui.resource import built
from tests.integration.procs import BIN, Proc, http, wait_until

SPEED = 120
MIN_RUN_S = 300
MIN_OFF_S = 300


def switches(decisions: list[dict], function: str) -> list[tuple[float, bool, bool]]:
    """(time, on, relay fault) each time the commanded state of ``function`` changed; a
    relay fault is a change that a relay not answering in time forced (at 120 times real
    speed, the 5 s request time-out is 42 ms of real time, which a loaded machine misses)."""
    changes, last = [], False
    for decision in sorted(decisions, key=lambda d: d["time"]):
        on = decision["commands"][function] == "on"
        if on != last:
            fault = f"{function} (" in decision["reason"] and " off: " in decision["reason"]
            changes.append((parse_time(decision["time"]).timestamp(), on, fault))
            last = on
    return changes


def test_demo_heats_below_target_stops_above_it_and_keeps_the_guard(tmp_path):
    demo = Proc([str(BIN / "rpymostat"), "--home", str(tmp_path / "demo"), "demo", "--port", "0",
                 "--speed", str(SPEED)])
    try:
        token = demo.wait_for(r"admin token:\s+(\S+)", 90).group(1)
        url = demo.wait_for(r"hub API:\s+(http://127\.0\.0\.1:\d+)", 5).group(1)
        zone = 1
        if built():  # the demo's sign-in link opens the UI the hub serves
            link = demo.wait_for(r"web UI:\s+(http://\S+/#/signin/\S+)", 5).group(1)
            status, body = http("POST", f"{url}/v1/login", {"code": link.rsplit("/", 1)[1], "name": "demo test"})
            assert status == 201 and body["role"] == "admin", body

        def state():
            status, body = http("GET", f"{url}/v1/zones/{zone}/state", token=token)
            assert status == 200, body
            return body

        first = wait_until(lambda: (s := state()) and s.get("temperature") is not None and s, 60)
        assert first, "no temperature in the zone state within 60 s"
        assert first["target"]["mode"] == "heat" and first["action"] in ("idle", "heating")

        # Ask for a little more warmth than the house has: heat must come on, then stop above it.
        start_temperature = first["temperature"]
        setpoint = round(start_temperature + 1.5, 1)
        status, _ = http("PUT", f"{url}/v1/zones/{zone}/hold", {
            "target": {"mode": "heat", "heat_setpoint": setpoint,
                       "sensors": [{"sensor_id": "sim-living"}, {"sensor_id": "sim-bedroom"}]},
            "until": None}, token)
        assert status == 200

        heating = wait_until(lambda: state()["action"] == "heating", 30)
        assert heating, f"heat did not come on below target: {state()['reason']}"
        outputs = {o["id"]: o for o in http("GET", f"{url}/v1/outputs", token=token)[1]["outputs"]}
        assert wait_until(lambda: {o["id"]: o for o in http("GET", f"{url}/v1/outputs", token=token)[1]
                                   ["outputs"]}["sim-heat"]["state"] == "on", 10), \
            f"the simulated relay did not follow the hub: {outputs['sim-heat']}"

        stopped = wait_until(lambda: (s := state())["action"] == "idle"
                             and s["temperature"] > setpoint and s, 90)
        assert stopped, f"heat did not stop above target: {state()}"

        status, log = http("GET", f"{url}/v1/zones/{zone}/decisions?limit=1000", token=token)
        assert status == 200 and not log["truncated"], log
        decisions = log["decisions"]
        heat = switches(decisions, "heat")
        assert heat[0][1] is True and any(not on for _, on, _ in heat)
        for (t0, on0, _), (t1, _, fault) in zip(heat, heat[1:]):
            held = t1 - t0
            if on0 and not fault:
                assert held >= MIN_RUN_S - 1, f"heat ran only {held:.0f} s"
            elif not on0:
                assert held >= MIN_OFF_S - 1, f"heat was off only {held:.0f} s before restarting"
        assert all(d["commands"]["cool"] == "off" for d in decisions)
        reasons = " ".join(d["reason"] for d in decisions)
        assert "heating" in reasons
    finally:
        code = demo.stop(signal.SIGINT, timeout=60)
    assert code == 0, "\n".join(demo.lines[-30:])
    relay_heat = [m.group(1) for line in demo.lines if (m := re.search(r"\[relay\].*sim-heat (on|off)", line))]
    assert relay_heat[0] == "on" and relay_heat[-1] == "off", relay_heat
    assert any("[hub]" in line and "hub stopped" in line for line in demo.lines)
