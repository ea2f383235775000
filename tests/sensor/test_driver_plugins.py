"""Every declared sensor and relay driver loads and publishes a valid settings schema."""

from importlib.metadata import entry_points

import jsonschema
import pytest

GROUPS = {
    "rpymostat_sensor.drivers": {"w1", "sim", "command"},
    "rpymostat_relay.drivers": {"gpio", "phidget", "piface", "sim"},
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_entry_points_load_and_describe_their_settings(group):
    found = {ep.name: ep.load() for ep in entry_points(group=group)}
    assert set(found) == GROUPS[group]
    for name, cls in found.items():
        assert cls.name == name
        jsonschema.Draft202012Validator.check_schema(cls.settings_schema)
