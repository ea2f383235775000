"""The series a logged decision and a switch event imply, and which points a series keeps."""

from rpymostat.hub.store.recording import Thinning, decision_points, switch_points


def decision(time, action="heating", mode="heat", temperature=19.2, heat=20.0, cool=None, commands=None):
    return {"zone_id": 3, "time": time, "action": action,
            "commands": commands if commands is not None else {"heat": "on", "cool": "off"},
            "reason": "r", "data": {"temperature": temperature,
                                    "target": {"mode": mode, "heat_setpoint": heat, "cool_setpoint": cool},
                                    "outputs": {"heat": "gpio17", "cool": "gpio27"}}}


def test_a_decision_gives_the_zone_and_its_outputs_values():
    assert sorted(decision_points(decision(100.0))) == [
        ("output/gpio17/state", 100.0, 1.0), ("output/gpio27/state", 100.0, 0.0),
        ("zone/3/action", 100.0, 1.0), ("zone/3/mode", 100.0, 1.0), ("zone/3/target", 100.0, 20.0),
        ("zone/3/temperature", 100.0, 19.2)]


def test_auto_has_a_band_off_has_no_target_and_unknown_values_are_left_out():
    auto = dict((s, v) for s, _, v in decision_points(decision(1.0, "cooling", "auto", None, 20.0, 24.0)))
    assert auto == {"zone/3/action": -1.0, "zone/3/mode": 3.0, "zone/3/target_low": 20.0,
                    "zone/3/target_high": 24.0, "output/gpio17/state": 1.0, "output/gpio27/state": 0.0}
    off = dict((s, v) for s, _, v in decision_points(decision(1.0, "idle", "off", 18.0, None, None, {})))
    assert off == {"zone/3/action": 0.0, "zone/3/mode": 0.0, "zone/3/temperature": 18.0}
    bare = {"zone_id": 1, "time": 5.0, "action": "idle", "commands": {}, "reason": "", "data": {}}
    assert decision_points(bare) == [("zone/1/action", 5.0, 0.0)]


def test_a_switch_event_gives_the_state_of_the_output_serving_that_function():
    rows = [{"zone_id": 3, "function": "heat", "state": "on", "time": 7.0},
            {"zone_id": 3, "function": "fan", "state": "on", "time": 7.0},
            {"zone_id": 3, "function": "heat", "state": "off", "time": 9.0}]
    assert switch_points(rows, {(3, "heat"): "gpio17"}) == [("output/gpio17/state", 7.0, 1.0),
                                                            ("output/gpio17/state", 9.0, 0.0)]


def test_a_series_keeps_changes_and_a_heartbeat_of_an_unchanged_value():
    thinning = Thinning(heartbeat_s=3600)
    first = thinning.keep([("m", 0.0, 1.0), ("m", 600.0, 1.0), ("t", 0.0, 19.0), ("t", 600.0, 19.5)])
    assert first == [("m", 0.0, 1.0), ("t", 0.0, 19.0), ("t", 600.0, 19.5)]
    # Not written yet: offered again, kept again.
    assert thinning.keep([("m", 0.0, 1.0)]) == [("m", 0.0, 1.0)]
    thinning.written(first)
    assert thinning.keep([("m", 1200.0, 1.0), ("m", 3599.0, 1.0), ("t", 1200.0, 19.5)]) == []
    assert thinning.keep([("m", 3600.0, 1.0), ("m", 3700.0, 2.0)]) == [("m", 3600.0, 1.0), ("m", 3700.0, 2.0)]
    # An older point fills in the past.
    assert thinning.keep([("t", 300.0, 19.5)]) == [("t", 300.0, 19.5)]
