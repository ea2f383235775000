from pathlib import Path

import pytest

from rpymostat.hub.config import HubConfig, load_hub_config
from rpymostat.runtime.config import DEFAULT_LIMITS, ConfigError, ConnectionLimits, connection_limits, home_dir


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
    ("[hub]\nport = 'many'\n", "rpymostat.toml:port: must be an integer, not 'many'$"),
    ("[hub]\nport = 70000\n", "rpymostat.toml:port: must be within 0..65535, not 70000$"),
    ("[hub]\ncolour = 'blue'\n", "rpymostat.toml:colour: unknown setting; the settings of \\[hub\\] are "),
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
    ("[hub]\nmax_connections = 2\n", "max_connections: must be within 4..100000, not 2"),
    ("[hub]\nmax_connections = 'lots'\n", "max_connections: must be an integer"),
    ("[hub]\nheader_timeout_s = 0\n", "header_timeout_s: must be within 1..3600"),
    ("[hub]\nbody_timeout_s = nan\n", "body_timeout_s: must be within"),
    ("[hub]\nidle_timeout = 60\n", "idle_timeout: unknown setting; did you mean 'idle_timeout_s'\\?"),
])
def test_bad_connection_limits_are_reported(tmp_path, text, message):
    (tmp_path / "rpymostat.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_hub_config(tmp_path, None, {}, {})


def test_the_hub_serves_https_unless_told_otherwise(tmp_path):
    assert load_hub_config(tmp_path, None, {}, {}).tls is True
    assert load_hub_config(tmp_path, None, {"RPYMOSTAT_TLS": "false"}, {}).tls is False
    assert load_hub_config(tmp_path, None, {}, {"tls": False}).tls is False
    with pytest.raises(ConfigError, match="^RPYMOSTAT_TLS:tls: must be true or false, not 'sometimes'$"):
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
    ("sensor", {"hub": "http://hub:8573", "hub_fingerprint": FINGERPRINT},
     "--hub-fingerprint:hub_fingerprint: is for a hub on HTTPS"),
    ("relay", {"url": "http://10.0.0.5:8574/"}, "--url:url: must be an https:// URL"),
    ("relay", {"url": "https://10.0.0.5:8574/", "tls": False}, "--url:url: must be an http:// URL with tls = false"),
])
def test_node_tls_settings_that_disagree_are_reported(tmp_path, kind, flags, message):
    from rpymostat_relay.config import load_relay_config
    from rpymostat_sensor.config import load_sensor_config

    load = load_sensor_config if kind == "sensor" else load_relay_config
    with pytest.raises(ConfigError, match=message):
        load(None, {"RPYMOSTAT_HOME": str(tmp_path)}, flags)

# -- enrollment keys ------------------------------------------------------------------

WEAK_KEYS = ["secret", "test-enrollment-key", "integration-enrollment-key", "correct-horse-battery-staple",
             "Correct-Horse-Battery-Staple-Thermostat", "0123456789abcdef", "a" * 64, "pass word with spaces 123"]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_a_weak_configured_enrollment_key_is_refused_with_one_line_saying_how(tmp_path, key):
    for environ, flags in (({"RPYMOSTAT_ENROLLMENT_KEY": key}, {}), ({}, {"enrollment_key": key})):
        with pytest.raises(ConfigError) as refused:
            load_hub_config(tmp_path, None, environ, flags)
        message = str(refused.value)
        assert "\n" not in message and "enrollment_key" in message
        assert "secrets.token_hex(32)" in message
    (tmp_path / "rpymostat.toml").write_text(f'[hub]\nenrollment_key = "{key}"\n')
    with pytest.raises(ConfigError, match="enrollment_key"):
        load_hub_config(tmp_path, None, {}, {})


def test_the_hub_command_refuses_a_weak_key_before_starting(tmp_path, capsys):
    from rpymostat.cli import main

    assert main(["--home", str(tmp_path), "hub", "--enrollment-key", "letmein", "--no-zeroconf"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "token_hex(32)" in err
    assert not (tmp_path / "rpymostat.db").exists()


def test_keys_made_by_generators_are_accepted(tmp_path):
    import secrets

    from rpymostat.hub.tokens import key_weakness, new_enrollment_key

    for _ in range(200):
        for key in (new_enrollment_key(), secrets.token_hex(16), secrets.token_hex(32)):
            assert key_weakness(key) is None, key
    assert len(bytes.fromhex(new_enrollment_key())) * 8 >= 128
    config = load_hub_config(tmp_path, None, {"RPYMOSTAT_ENROLLMENT_KEY": "kR3v9XzQ2mWp8LtY4nBc6HdJ0sFa1GeU5"}, {})
    assert config.enrollment_key.startswith("kR3v")


def test_the_hub_generates_a_256_bit_enrollment_key_on_first_start(tmp_path):
    from rpymostat.hub.service import prepare_store
    from rpymostat.hub.store.aio import AsyncStore
    from rpymostat.hub.store.store import Store
    from rpymostat.hub.tokens import key_weakness

    said: list[str] = []
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        prepare_store(AsyncStore(store), 1_790_000_000.0, None, tmp_path, said.append)
    finally:
        store.close()
    key = (tmp_path / "enrollment-key").read_text().strip()
    assert len(bytes.fromhex(key)) == 32 and key_weakness(key) is None


# -- allowed hosts and origins ---------------------------------------------------------

def test_allowed_hosts_and_origins_from_file_environment_and_flags(tmp_path):
    (tmp_path / "rpymostat.toml").write_text(
        '[hub]\nallowed_hosts = ["thermostat.example", "*.lan"]\nallowed_origins = ["https://ui.example"]\n')
    config = load_hub_config(tmp_path, None, {}, {})
    assert config.allowed_hosts == ("thermostat.example", "*.lan")
    assert config.allowed_origins == ("https://ui.example",)
    environ = {"RPYMOSTAT_ALLOWED_HOSTS": "*",
               "RPYMOSTAT_ALLOWED_ORIGINS": "http://a.example:8580, https://b.example"}
    config = load_hub_config(tmp_path, None, environ, {})
    assert config.allowed_hosts == ("*",)
    assert config.allowed_origins == ("http://a.example:8580", "https://b.example")


@pytest.mark.parametrize("environ, message", [
    ({"RPYMOSTAT_ALLOWED_ORIGINS": "ui.example"}, "allowed_origins: 'ui.example' is not an origin"),
    ({"RPYMOSTAT_ALLOWED_ORIGINS": "https://ui.example/app"}, "is not an origin like https://"),
    ({"RPYMOSTAT_ALLOWED_ORIGINS": "https://ui.example:http"}, "is not an origin"),
])
def test_bad_origins_are_reported(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        load_hub_config(tmp_path, None, environ, {})


def test_bad_host_lists_are_reported(tmp_path):
    (tmp_path / "rpymostat.toml").write_text('[hub]\nallowed_hosts = "thermostat.example"\n')
    assert load_hub_config(tmp_path, None, {}, {}).allowed_hosts == ("thermostat.example",)
    (tmp_path / "rpymostat.toml").write_text('[hub]\nallowed_hosts = [1, 2]\n')
    with pytest.raises(ConfigError, match="rpymostat.toml:allowed_hosts: must be a list of names"):
        load_hub_config(tmp_path, None, {}, {})


def test_the_relay_node_reads_its_allowed_hosts_and_origins(tmp_path):
    from twisted.internet.task import Clock

    from rpymostat_relay.config import load_relay_config
    from rpymostat_relay.service import relay_gate

    (tmp_path / "relay.toml").write_text('[relay]\nallowed_hosts = ["relay.example"]\n'
                                         'url = "https://boiler-room.example:8574/"\n')
    config = load_relay_config(str(tmp_path / "relay.toml"), {"RPYMOSTAT_RELAY_ALLOWED_ORIGINS": "https://ui.example"})
    assert config.allowed_hosts == ("relay.example",)
    assert config.allowed_origins == ("https://ui.example",)
    gate = relay_gate(config, Clock())
    assert gate.hosts.allows("relay.example") and gate.hosts.allows("boiler-room.example")
    assert not gate.hosts.allows("attacker.example")
    with pytest.raises(ConfigError, match="allowed_origins"):
        load_relay_config(str(tmp_path / "relay.toml"), {"RPYMOSTAT_RELAY_ALLOWED_ORIGINS": "ui.example"})


# -- one mechanism: sources, precedence, errors ----------------------------------------

def test_each_source_names_itself_in_the_one_line_error_format(tmp_path):
    (tmp_path / "rpymostat.toml").write_text("[hub]\nport = -1\n")
    with pytest.raises(ConfigError) as refused:
        load_hub_config(tmp_path, None, {}, {})
    assert str(refused.value) == f"{tmp_path / 'rpymostat.toml'}:port: must be within 0..65535, not -1"
    (tmp_path / "rpymostat.toml").write_text("")
    with pytest.raises(ConfigError) as refused:
        load_hub_config(tmp_path, None, {"RPYMOSTAT_PORT": "eighty"}, {})
    assert str(refused.value) == "RPYMOSTAT_PORT:port: must be an integer, not 'eighty'"
    with pytest.raises(ConfigError) as refused:
        load_hub_config(tmp_path, None, {}, {"port": "99999"})
    assert str(refused.value) == "--port:port: must be within 0..65535, not 99999"


def test_a_value_overridden_later_is_still_checked_where_it_is_written(tmp_path):
    (tmp_path / "rpymostat.toml").write_text("[hub]\nport = 'many'\n")
    with pytest.raises(ConfigError, match="rpymostat.toml:port: must be an integer"):
        load_hub_config(tmp_path, None, {}, {"port": "9000"})


@pytest.mark.parametrize("text, message", [
    ("[hub]\nenrolment_key = 'x'\n", "enrolment_key: unknown setting; did you mean 'enrollment_key'?"),
    ("[hub]\nprot = 1\n", "prot: unknown setting; did you mean 'port'?"),
    ("[hub]\nlog_lvl = 'debug'\n", "log_lvl: unknown setting; did you mean 'log_level'?"),
    ("[hub]\nhome = '/srv'\n", "home: unknown setting; the settings of [hub] are port, listen, db, "),
])
def test_an_unknown_key_in_the_file_is_refused_naming_the_closest_one(tmp_path, text, message):
    (tmp_path / "rpymostat.toml").write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_hub_config(tmp_path, None, {}, {})
    assert str(refused.value).startswith(f"{tmp_path / 'rpymostat.toml'}:{message}")


def test_a_file_without_the_table_is_the_table(tmp_path):
    (tmp_path / "rpymostat.toml").write_text("port = 9001\nallowed_hosts = ['a.example']\n")
    config = load_hub_config(tmp_path, None, {}, {})
    assert (config.port, config.allowed_hosts) == (9001, ("a.example",))


def test_environment_variables_set_to_empty_text_are_not_set(tmp_path):
    assert load_hub_config(tmp_path, None, {"RPYMOSTAT_PORT": "", "RPYMOSTAT_DB": ""}, {}) == HubConfig(home=tmp_path)


TODAYS_HUB_VARIABLES = {  # documented before the mechanism: each must keep working
    "RPYMOSTAT_PORT": ("port", "9100", 9100),
    "RPYMOSTAT_LISTEN": ("listen", "127.0.0.1", "127.0.0.1"),
    "RPYMOSTAT_DB": ("db", "sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    "RPYMOSTAT_SYSTEM": ("system", "test", "test"),
    "RPYMOSTAT_ENROLLMENT_KEY": ("enrollment_key", "9c2f4e7a1b3d5f8e0a6c4b2d9f1e3a5c",
                                 "9c2f4e7a1b3d5f8e0a6c4b2d9f1e3a5c"),
    "RPYMOSTAT_ZEROCONF": ("zeroconf", "off", False),
    "RPYMOSTAT_TLS": ("tls", "no", False),
    "RPYMOSTAT_ALLOWED_HOSTS": ("allowed_hosts", "a.example,b.example", ("a.example", "b.example")),
    "RPYMOSTAT_ALLOWED_ORIGINS": ("allowed_origins", "https://ui.example", ("https://ui.example",)),
    "RPYMOSTAT_MAX_CONNECTIONS": ("max_connections", "100", 100),
    "RPYMOSTAT_IDLE_TIMEOUT_S": ("idle_timeout_s", "5", 5.0),
    "RPYMOSTAT_HEADER_TIMEOUT_S": ("header_timeout_s", "5", 5.0),
    "RPYMOSTAT_BODY_TIMEOUT_S": ("body_timeout_s", "5", 5.0),
    "RPYMOSTAT_LOG_LEVEL": ("log_level", "debug", "debug"),
    "RPYMOSTAT_SPEED": ("speed", "60", 60.0),
}


@pytest.mark.parametrize("variable", TODAYS_HUB_VARIABLES)
def test_the_hubs_environment_variables_keep_their_names(tmp_path, variable):
    key, text, value = TODAYS_HUB_VARIABLES[variable]
    assert HubConfig.SECTION.env(key) == variable
    assert getattr(load_hub_config(tmp_path, None, {variable: text}, {}), key) == value


# -- the hub's log level ---------------------------------------------------------------------

@pytest.mark.parametrize("environ, flags, text, where, level", [
    ({}, {}, "[hub]\nlog_level = 'verbose'\n", "rpymostat.toml", "verbose"),
    ({"RPYMOSTAT_LOG_LEVEL": "warning"}, {}, "", "RPYMOSTAT_LOG_LEVEL", "warning"),
    ({}, {"log_level": "loud"}, "", "--log-level", "loud"),
])
def test_a_log_level_the_hub_cannot_apply_is_refused(tmp_path, environ, flags, text, where, level):
    (tmp_path / "rpymostat.toml").write_text(text)
    with pytest.raises(ConfigError) as refused:
        load_hub_config(tmp_path, None, environ, flags)
    assert str(refused.value).endswith(f"{where}:log_level: must be one of debug, info, warn, error, not {level!r}")


def test_the_hub_command_runs_at_the_log_level_of_its_flag_environment_or_file(tmp_path, monkeypatch, capsys):
    from rpymostat import cli
    from rpymostat.hub import cli as hub_cli

    ran: list = []
    monkeypatch.setattr(hub_cli, "run_hub", lambda config: ran.append(config.log_level) or 0)
    monkeypatch.delenv("RPYMOSTAT_LOG_LEVEL", raising=False)
    (tmp_path / "rpymostat.toml").write_text("[hub]\nlog_level = 'error'\n")
    assert cli.main(["--home", str(tmp_path), "hub"]) == 0
    monkeypatch.setenv("RPYMOSTAT_LOG_LEVEL", "debug")
    assert cli.main(["--home", str(tmp_path), "hub"]) == 0
    assert cli.main(["--home", str(tmp_path), "hub", "--log-level", "warn"]) == 0
    assert ran == ["error", "debug", "warn"]
    assert cli.main(["--home", str(tmp_path), "hub", "--log-level", "verbose"]) == 2
    assert capsys.readouterr().err == ("rpymostat: --log-level:log_level: must be one of debug, info, warn, "
                                       "error, not 'verbose'\n")

