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
