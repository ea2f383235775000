"""The outdoor temperature: a sensor marked outdoor, the file and command plugins, and the
service that records it as the ``outdoor/temperature`` series (and so into the runs)."""

import sys

import pytest

from rpymostat.core.history.names import OUTDOOR
from rpymostat.core.settings import defaults
from rpymostat.hub.config import load_hub_config
from rpymostat.hub.live import Latest
from rpymostat.hub.outdoor import CommandOutdoor, FileOutdoor, OutdoorService, OutdoorUnavailable, from_sensor
from rpymostat.hub.store.aio import inline_runner
from tests.history_api.kit import decision, switch, zone_with_equipment

SETTINGS = {**defaults(), "outdoor_sensor": "outside-1"}


def test_the_file_plugin_reads_the_first_number(tmp_path):
    path = tmp_path / "outdoor"
    path.write_text("temperature: −4.5 °C (station 12)\n")
    assert FileOutdoor().read({"path": str(path)}) == -4.5
    path.write_text("no data\n")
    with pytest.raises(OutdoorUnavailable, match="no number"):
        FileOutdoor().read({"path": str(path)})
    path.write_text("85.0")
    with pytest.raises(OutdoorUnavailable, match="85"):
        FileOutdoor().read({"path": str(path)})
    with pytest.raises(OutdoorUnavailable, match="cannot read"):
        FileOutdoor().read({"path": str(tmp_path / "missing")})


def test_the_command_plugin_reads_what_the_command_prints():
    command = f"{sys.executable} -c \"print('outside 3.25')\""
    assert CommandOutdoor().read({"command": command}) == 3.25
    with pytest.raises(OutdoorUnavailable, match="exited with 2"):
        CommandOutdoor().read({"command": f"{sys.executable} -c \"import sys; sys.exit(2)\""})
    with pytest.raises(OutdoorUnavailable, match="failed"):
        CommandOutdoor().read({"command": "/nonexistent/weather"})


def test_the_outdoor_sensor_counts_while_valid_and_fresh():
    now = 10_000.0
    assert from_sensor(SETTINGS, {"outside-1": Latest(-3.0, now - 30)}, now).temperature == -3.0
    assert from_sensor(SETTINGS, {"outside-1": Latest(-3.0, now - 91)}, now) is None  # 3 × 30 s missed
    assert from_sensor(SETTINGS, {"outside-1": Latest(85.0, now)}, now) is None
    assert from_sensor(defaults(), {"outside-1": Latest(-3.0, now)}, now) is None  # none marked outdoor


def test_the_configuration_checks_the_plugin_and_its_settings(tmp_path):
    from rpymostat.runtime.config import ConfigError

    found = load_hub_config(tmp_path, environ={}, flags={})
    assert found.outdoor_plugin is None
    (tmp_path / "rpymostat.toml").write_text('[hub]\noutdoor_plugin = "file"\noutdoor_settings = {path = "/x"}\n')
    assert load_hub_config(tmp_path, environ={}).outdoor_settings == {"path": "/x"}
    (tmp_path / "rpymostat.toml").write_text('[hub]\noutdoor_plugin = "file"\n')
    with pytest.raises(ConfigError, match="rpymostat.toml:outdoor_settings: for the file plugin, 'path' is a "
                                          "required property"):
        load_hub_config(tmp_path, environ={})
    (tmp_path / "rpymostat.toml").write_text('[hub]\noutdoor_plugin = "weather"\n')
    with pytest.raises(ConfigError, match="rpymostat.toml:outdoor_plugin: no outdoor plugin 'weather'"):
        load_hub_config(tmp_path, environ={})


def test_the_service_records_each_new_value_and_runs_take_it(any_hub, tmp_path):
    hub, store = any_hub, any_hub.raw_store
    path = tmp_path / "outdoor"
    path.write_text("-6.0")
    latest = {}
    service = OutdoorService(hub.store, hub.clock, lambda: SETTINGS, lambda: latest, inline_runner,
                             FileOutdoor(), {"path": str(path)}, every_s=60)
    service.startService()
    now = hub.clock.seconds()
    assert service.current().temperature == -6.0
    assert store.history.last_point(OUTDOOR) == (now, -6.0)
    path.write_text("oops")
    hub.clock.advance(60)
    assert service.problem == f"no number in {path}" and service.current().temperature == -6.0
    latest["outside-1"] = Latest(-7.5, hub.clock.seconds())  # the outdoor sensor wins
    hub.clock.advance(60)
    assert store.history.last_point(OUTDOOR) == (now + 60, -7.5)
    zone_id = zone_with_equipment(hub)
    store.record_control([decision(zone_id, now + 120)], [switch(zone_id, "on", now + 120)])
    (run,) = store.list_runs(zone_id, now, now + 200, 10)
    assert run["start_outdoor"] == -7.5
    service.stopService()
