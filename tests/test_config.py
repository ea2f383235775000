from pathlib import Path

import pytest

from rpymostat.config import (DEFAULT_LIMITS, ConfigError, ConnectionLimits, HubConfig, connection_limits,
                              home_dir, load_hub_config)


def test_home_dir_precedence(tmp_path):
    assert home_dir("/x/flag", {"RPYMOSTAT_HOME": "/x/env"}) == Path("/x/flag")
    assert home_dir(None, {"RPYMOSTAT_HOME": "/x/env"}) == Path("/x/env")
    assert home_dir(None, {"XDG_DATA_HOME": "/x/xdg"}) == Path("/x/xdg/rpymostat")


def test_defaults_with_nothing_configured(tmp_path):
    config = load_hub_config(tmp_path, None, {}, {})
    assert config == HubConfig(home=tmp_path)
    assert config.port == 8573
    assert config.db_url == f"sqlite:///{tmp_path / 'rpymostat.db'}"


def test_file_then_environment_then_flags(tmp_path):
    (tmp_path / "rpymostat.toml").write_text('[hub]\nport = 9000\nsystem = "file"\nzeroconf = false\n'
                                            'listen = "127.0.0.1"\n')
    config = load_hub_config(tmp_path, None, {"RPYMOSTAT_PORT": "9100", "RPYMOSTAT_SYSTEM": "env"},
                             {"port": 9200})
    assert config.port == 9200
    assert config.system == "env"
    assert config.zeroconf is False
    assert config.listen == "127.0.0.1"
    assert load_hub_config(tmp_path, None, {"RPYMOSTAT_ZEROCONF": "yes"}, {}).zeroconf is True


@pytest.mark.parametrize("text, message", [
    ("[hub]\nport = 'many'\n", "port must be a int"),
    ("[hub]\nport = 70000\n", "port must be within"),
    ("[hub]\ncolour = 'blue'\n", "unknown setting 'colour'"),
    ("[hub\n", "rpymostat.toml"),
])
def test_bad_files_are_reported(tmp_path, text, message):
    (tmp_path / "rpymostat.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_hub_config(tmp_path, None, {}, {})


def test_bad_environment_is_reported(tmp_path):
    with pytest.raises(ConfigError, match="RPYMOSTAT_ZEROCONF"):
        load_hub_config(tmp_path, None, {"RPYMOSTAT_ZEROCONF": "maybe"}, {})


def test_named_config_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_hub_config(tmp_path, str(tmp_path / "missing.toml"), {}, {})


def test_connection_limits_from_file_and_environment(tmp_path):
    (tmp_path / "rpymostat.toml").write_text("[hub]\nmax_connections = 200\nheader_timeout_s = 5\n")
    config = load_hub_config(tmp_path, None, {"RPYMOSTAT_IDLE_TIMEOUT_S": "30"}, {})
    assert connection_limits(config) == ConnectionLimits(max_connections=200, idle_timeout_s=30.0,
                                                         header_timeout_s=5.0, body_timeout_s=30.0)
    assert connection_limits(load_hub_config(tmp_path / "none", None, {}, {})) == DEFAULT_LIMITS


@pytest.mark.parametrize("text, message", [
    ("[hub]\nmax_connections = 2\n", "max_connections must be within 4..100000"),
    ("[hub]\nmax_connections = 'lots'\n", "max_connections must be a int"),
    ("[hub]\nheader_timeout_s = 0\n", "header_timeout_s must be within 1..3600"),
    ("[hub]\nbody_timeout_s = nan\n", "body_timeout_s must be within"),
    ("[hub]\nidle_timeout = 60\n", "unknown setting 'idle_timeout'"),
])
def test_bad_connection_limits_are_reported(tmp_path, text, message):
    (tmp_path / "rpymostat.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_hub_config(tmp_path, None, {}, {})


def test_the_hub_serves_https_unless_told_otherwise(tmp_path):
    assert load_hub_config(tmp_path, None, {}, {}).tls is True
    assert load_hub_config(tmp_path, None, {"RPYMOSTAT_TLS": "false"}, {}).tls is False
    assert load_hub_config(tmp_path, None, {}, {"tls": False}).tls is False
    with pytest.raises(ConfigError, match="RPYMOSTAT_TLS: tls must be true or false"):
        load_hub_config(tmp_path, None, {"RPYMOSTAT_TLS": "sometimes"}, {})


FINGERPRINT = "0123456789abcdef" * 4


def test_node_tls_settings(tmp_path):
    from rpymostat_relay.config import load_relay_config
    from rpymostat_sensor.config import load_sensor_config

    env = {"RPYMOSTAT_HOME": str(tmp_path)}
    sensor = load_sensor_config(None, env)
    assert sensor.tls and sensor.uses_tls, "a node browsing mDNS may find a hub on HTTPS"
    assert not load_sensor_config(None, env, {"hub": "http://hub:8573"}).uses_tls, "no pyOpenSSL"
    assert not load_sensor_config(None, {**env, "RPYMOSTAT_SENSOR_TLS": "no"}).uses_tls
    colons = ":".join(FINGERPRINT[i:i + 2] for i in range(0, 64, 2)).upper()
    pinned = load_sensor_config(None, env, {"hub": "https://hub:8573", "hub_fingerprint": colons})
    assert pinned.hub_fingerprint == FINGERPRINT
    relay = load_relay_config(None, env, {"hub": "http://hub:8573"})
    assert relay.uses_tls, "a relay node serves HTTPS whatever its hub speaks"
    assert not load_relay_config(None, env, {"tls": False}).uses_tls


@pytest.mark.parametrize("kind, flags, message", [
    ("sensor", {"hub": "https://hub:8573", "tls": False}, "is https but tls is false"),
    ("sensor", {"hub_fingerprint": "abc"}, "hub_fingerprint: 'abc' is not a SHA-256 fingerprint"),
    ("sensor", {"hub": "http://hub:8573", "hub_fingerprint": FINGERPRINT}, "hub_fingerprint is for a hub on HTTPS"),
    ("relay", {"url": "http://10.0.0.5:8574/"}, "url must be an https:// URL"),
    ("relay", {"url": "https://10.0.0.5:8574/", "tls": False}, "url must be an http:// URL with tls = false"),
])
def test_node_tls_settings_that_disagree_are_reported(tmp_path, kind, flags, message):
    from rpymostat_relay.config import load_relay_config
    from rpymostat_sensor.config import load_sensor_config

    load = load_sensor_config if kind == "sensor" else load_relay_config
    with pytest.raises(ConfigError, match=message):
        load(None, {"RPYMOSTAT_HOME": str(tmp_path)}, flags)
