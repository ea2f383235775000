"""The relay node's connection settings, through the node config loader."""

import pytest

from rpymostat.runtime.config import ConfigError, ConnectionLimits, connection_limits
from rpymostat_relay.config import load_relay_config


def test_a_relay_keeps_fewer_connections_than_a_hub_by_default():
    config = load_relay_config(None, {"RPYMOSTAT_HOME": "/nonexistent"})
    assert connection_limits(config) == ConnectionLimits(max_connections=64)


def test_connection_limits_from_file_and_environment(tmp_path):
    path = tmp_path / "relay.toml"
    path.write_text("[relay]\nmax_connections = 16\nbody_timeout_s = 10\n")
    config = load_relay_config(str(path), {"RPYMOSTAT_RELAY_HEADER_TIMEOUT_S": "3"})
    assert connection_limits(config) == ConnectionLimits(max_connections=16, header_timeout_s=3.0,
                                                         body_timeout_s=10.0)


@pytest.mark.parametrize("environ, message", [
    ({"RPYMOSTAT_RELAY_MAX_CONNECTIONS": "1"},
     "^RPYMOSTAT_RELAY_MAX_CONNECTIONS:max_connections: must be within 4..100000, not 1$"),
    ({"RPYMOSTAT_RELAY_IDLE_TIMEOUT_S": "soon"}, "RPYMOSTAT_RELAY_IDLE_TIMEOUT_S:idle_timeout_s: must be a number"),
    ({"RPYMOSTAT_RELAY_HEADER_TIMEOUT_S": "-5"}, "header_timeout_s: must be within 1..3600"),
])
def test_bad_connection_limits_are_reported(environ, message):
    with pytest.raises(ConfigError, match=message):
        load_relay_config(None, {"RPYMOSTAT_HOME": "/nonexistent", **environ})
