"""The node daemons' settings, loaded directly: where each value comes from, which wins,
and the one line a person gets for a value the daemon cannot use."""

from pathlib import Path

import pytest
from twisted.logger import LogLevel, formatEvent, globalLogPublisher

from rpymostat.node.cli import node_parser
from rpymostat.runtime.config import ConfigError, flag_values
from rpymostat_relay.config import RelayConfig, load_relay_config
from rpymostat_sensor.config import SensorConfig, load_sensor_config

LOADERS = {"sensor": load_sensor_config, "relay": load_relay_config}
KEY = "9c2f4e7a1b3d5f8e0a6c4b2d9f1e3a5c"


@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


def write(home: Path, name: str, text: str) -> Path:
    home.mkdir(exist_ok=True)
    (home / name).write_text(text)
    return home / name


def refusal(load, *args) -> str:
    with pytest.raises(ConfigError) as refused:
        load(*args)
    message = str(refused.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("kind", LOADERS)
def test_with_nothing_configured_a_node_lives_in_the_home_under_its_kind(home, kind, monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "boiler-pi.lan")
    config = LOADERS[kind](None, {"RPYMOSTAT_HOME": str(home)})
    assert config.data_dir == home / kind
    assert config.name == f"boiler-pi {kind}"
    assert config.driver == {"sensor": "w1", "relay": "gpio"}[kind]
    assert (config.hub, config.enrollment_key, config.token, config.log_level) == (None, None, None, "info")
    xdg = LOADERS[kind](None, {"XDG_DATA_HOME": str(home / "xdg")})
    assert xdg.data_dir == home / "xdg" / "rpymostat" / kind


@pytest.mark.parametrize("kind", LOADERS)
def test_defaults_then_file_then_environment_then_flags(home, kind):
    prefix = f"RPYMOSTAT_{kind.upper()}_"
    write(home, f"{kind}.toml", f'[{kind}]\nname = "file"\nsystem = "file"\nlog_level = "warn"\n'
                                f'zeroconf_interfaces = ["10.0.0.2"]\n')
    environ = {"RPYMOSTAT_HOME": str(home), prefix + "SYSTEM": "environment", prefix + "NAME": "environment"}
    config = LOADERS[kind](None, environ, {"name": "flag", "system": None})
    assert (config.name, config.system, config.log_level) == ("flag", "environment", "warn")
    assert config.zeroconf_interfaces == ("10.0.0.2",)
    assert config.data_dir == home / kind, "a default the file left alone"


def test_a_named_config_file_is_read_and_must_exist(home):
    path = write(home, "elsewhere.toml", '[sensor]\nreport_interval_s = 10\n')
    assert load_sensor_config(str(path), {}).report_interval_s == 10
    assert refusal(load_sensor_config, str(home / "missing.toml"), {}) == f"{home / 'missing.toml'}: no such file"


def test_a_file_without_the_section_is_the_section(home):
    write(home, "relay.toml", 'port = 9000\nlisten = "127.0.0.1"\n')
    config = load_relay_config(None, {"RPYMOSTAT_HOME": str(home)})
    assert (config.port, config.listen) == (9000, "127.0.0.1")


def test_lists_and_tables_from_the_environment_and_flags(home):
    environ = {"RPYMOSTAT_HOME": str(home), "RPYMOSTAT_SENSOR_ZEROCONF_INTERFACES": "10.0.0.2, 10.0.1.2",
               "RPYMOSTAT_SENSOR_DRIVER": "sim",
               "RPYMOSTAT_SENSOR_DRIVER_SETTINGS": '{"sensors": [{"id": "sim-1"}]}'}
    config = load_sensor_config(None, environ)
    assert config.zeroconf_interfaces == ("10.0.0.2", "10.0.1.2")
    assert config.driver_settings == {"sensors": [{"id": "sim-1"}]}
    args = node_parser("rpymostat-sensor", "", SensorConfig).parse_args(
        ["--zeroconf-interface", "192.168.1.2", "--zeroconf-interface", "192.168.2.2",
         "--driver-settings", '{"sensors": []}', "--report-interval", "15", "--no-tls"])
    config = load_sensor_config(None, environ, flag_values(args, SensorConfig))
    assert config.zeroconf_interfaces == ("192.168.1.2", "192.168.2.2")
    assert (config.driver_settings, config.report_interval_s, config.tls) == ({"sensors": []}, 15, False)


def test_a_flag_not_given_overrides_nothing(home):
    args = node_parser("rpymostat-relay", "", RelayConfig).parse_args([])
    assert set(flag_values(args, RelayConfig).values()) == {None}
    write(home, "relay.toml", "[relay]\ntls = false\nport = 9000\n")
    config = load_relay_config(None, {"RPYMOSTAT_HOME": str(home)}, flag_values(args, RelayConfig))
    assert (config.tls, config.port) == (False, 9000)


@pytest.mark.parametrize("kind, text, message", [
    ("sensor", "[sensor]\nreport_interval = 10\n",
     "report_interval: unknown setting; did you mean 'report_interval_s'?"),
    ("sensor", "[sensor]\nport = 8574\n", "port: unknown setting; the settings of [sensor] are data_dir, hub, "),
    ("relay", "[relay]\nenrollment-key = 'x'\n", "enrollment-key: unknown setting; did you mean 'enrollment_key'?"),
    ("sensor", "[sensor]\nreport_interval_s = 0\n", "report_interval_s: must be within 1..3600, not 0"),
    ("sensor", "[sensor]\nreport_interval_s = true\n", "report_interval_s: must be an integer, not True"),
    ("sensor", "[sensor]\nretention_days = 0\n", "retention_days: must be over 0 and at most 366, not 0.0"),
    ("sensor", "[sensor]\nmax_queued = 0\n", "max_queued: must be at least 1, not 0"),
    ("sensor", "[sensor]\nlog_level = 'warning'\n",
     "log_level: must be one of debug, info, warn, error, not 'warning'"),
    ("sensor", "[sensor]\nhub = 'hub.lan:8573'\n", "hub: must be an http:// or https:// URL, not 'hub.lan:8573'"),
    ("sensor", "[sensor]\nzeroconf_interfaces = [1]\n", "zeroconf_interfaces: must be a list of names, not [1]"),
    ("sensor", "[sensor]\ndriver_settings = 'x'\n", "driver_settings: must be a JSON object: "),
    ("sensor", "[sensor]\nname = 7\n", "name: must be text, not 7"),
    ("sensor", "sensor = 5\n", "sensor: must be a table, [sensor]"),
    ("relay", "[relay]\nport = 65536\n", "port: must be within 0..65535, not 65536"),
    ("relay", "[relay]\nspeed = 0\n", "speed: must be over 0 and at most 3600, not 0.0"),
    ("relay", "[relay]\nepoch = nan\n", "epoch: must be at least 0, not nan"),
    ("relay", "[relay]\nmax_connections = 3\n", "max_connections: must be within 4..100000, not 3"),
])
def test_a_bad_file_is_refused_naming_the_file_and_key(home, kind, text, message):
    path = write(home, f"{kind}.toml", text)
    assert refusal(LOADERS[kind], None, {"RPYMOSTAT_HOME": str(home)}).startswith(f"{path}:{message}")


@pytest.mark.parametrize("kind, environ, flags, message", [
    ("sensor", {"RPYMOSTAT_SENSOR_REPORT_INTERVAL_S": "soon"}, {},
     "RPYMOSTAT_SENSOR_REPORT_INTERVAL_S:report_interval_s: must be an integer, not 'soon'"),
    ("sensor", {"RPYMOSTAT_SENSOR_TLS": "maybe"}, {}, "RPYMOSTAT_SENSOR_TLS:tls: must be true or false, not 'maybe'"),
    ("sensor", {"RPYMOSTAT_SENSOR_DRIVER_SETTINGS": "{sensors}"}, {},
     "RPYMOSTAT_SENSOR_DRIVER_SETTINGS:driver_settings: must be a JSON object: "),
    ("relay", {}, {"port": "http"}, "--port:port: must be an integer, not 'http'"),
    ("relay", {}, {"speed": "9000"}, "--speed:speed: must be over 0 and at most 3600, not 9000.0"),
    ("relay", {}, {"hub_fingerprint": "abc"}, "--hub-fingerprint:hub_fingerprint: 'abc' is not a SHA-256"),
])
def test_a_bad_variable_or_flag_is_refused_naming_it(home, kind, environ, flags, message):
    assert refusal(LOADERS[kind], None, {"RPYMOSTAT_HOME": str(home), **environ}, flags).startswith(message)


def test_a_driver_that_is_not_installed_is_refused_with_those_that_are(home):
    message = refusal(load_sensor_config, None, {"RPYMOSTAT_HOME": str(home)}, {"driver": "w1-therm"})
    assert message == "--driver:driver: no driver 'w1-therm'; installed: command, sim, w1"
    write(home, "relay.toml", "[relay]\ndriver = 'relayboard'\n")
    message = refusal(load_relay_config, None, {"RPYMOSTAT_HOME": str(home)})
    assert message.startswith(f"{home / 'relay.toml'}:driver: no driver 'relayboard'; installed: gpio, ")


def test_driver_settings_that_do_not_fit_the_driver_are_refused_before_it_starts(home):
    environ = {"RPYMOSTAT_HOME": str(home), "RPYMOSTAT_SENSOR_DRIVER": "sim"}
    message = refusal(load_sensor_config, None, environ, {"driver_settings": '{"sensors": 3}'})
    assert message == "--driver-settings:driver_settings: sensors: 3 is not of type 'array'"
    write(home, "relay.toml", '[relay]\ndriver = "sim"\n[relay.driver_settings]\noutputs = [{ name = "boiler" }]\n')
    message = refusal(load_relay_config, None, {"RPYMOSTAT_HOME": str(home)})
    assert message == f"{home / 'relay.toml'}:driver_settings: outputs/0: 'id' is a required property"


@pytest.mark.parametrize("kind, flags, message", [
    ("sensor", {"hub": "https://hub:8573", "tls": False}, "--hub:hub: 'https://hub:8573' is https but tls is false"),
    ("sensor", {"hub": "http://hub:8573", "hub_fingerprint": "ab" * 32},
     "--hub-fingerprint:hub_fingerprint: is for a hub on HTTPS"),
    ("relay", {"url": "http://10.0.0.5:8574/"}, "--url:url: must be an https:// URL (the API serves HTTPS)"),
    ("relay", {"url": "https://10.0.0.5:8574/", "tls": False}, "--url:url: must be an http:// URL with tls = false"),
])
def test_settings_that_disagree_are_refused_naming_the_one_to_change(home, kind, flags, message):
    assert refusal(LOADERS[kind], None, {"RPYMOSTAT_HOME": str(home)}, flags).startswith(message)


@pytest.mark.parametrize("config_class", [SensorConfig, RelayConfig])
def test_every_key_is_read_from_the_variable_its_section_names(home, config_class):
    """The rule of the documented names (``RPYMOSTAT_SENSOR_<KEY>``, ``RPYMOSTAT_RELAY_<KEY>``)
    for every key both daemons had before: each variable sets its key."""
    kind = config_class.SECTION.name
    samples = {"data_dir": ("/srv/node", Path("/srv/node")), "hub": ("http://hub:8573", "http://hub:8573"),
               "enrollment_key": (KEY, KEY), "token": ("t0k3n", "t0k3n"), "name": ("attic", "attic"),
               "system": ("test", "test"), "zeroconf_interfaces": ("10.0.0.2", ("10.0.0.2",)),
               "driver": ("sim", "sim"), "driver_settings": ("{}", {}), "log_level": ("debug", "debug"),
               "tls": ("false", False)}
    for key, (text, value) in samples.items():
        variable = f"RPYMOSTAT_{kind.upper()}_{key.upper()}"
        assert config_class.SECTION.env(key) == variable
        assert getattr(LOADERS[kind](None, {"RPYMOSTAT_HOME": str(home), variable: text}), key) == value, variable


# -- messages name the variable the daemon reads ------------------------------------------

@pytest.mark.parametrize("config_class, variable", [
    (SensorConfig, "RPYMOSTAT_SENSOR_ENROLLMENT_KEY"), (RelayConfig, "RPYMOSTAT_RELAY_ENROLLMENT_KEY")])
def test_a_node_without_a_key_is_told_the_variable_it_reads(tmp_path, config_class, variable):
    from rpymostat.node.link import HubLink
    from tests.hubkit import Hub
    from tests.sensor.nodekit import FlakyHttp

    kind = config_class.SECTION.name
    assert config_class.ways_to_set("enrollment_key") == (
        f"--enrollment-key (or {variable}, or enrollment_key in {kind}.toml)")
    hub = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    warned: list[str] = []

    def observe(event):
        if event["log_level"] >= LogLevel.warn:
            warned.append(formatEvent(event))

    globalLogPublisher.addObserver(observe)
    try:
        link = HubLink(clock=hub.clock, http=FlakyHttp(hub.client), data_dir=tmp_path / "node", node_id="pi-1",
                       name="Pi 1", registration=lambda url: {"node_id": "pi-1", "kind": kind},
                       on_registered=lambda reply: None, hub_url="http://hub", ways_to_set=config_class.ways_to_set)
        link.start()
        hub.client.flush()
        link.stop()
    finally:
        globalLogPublisher.removeObserver(observe)
        hub.close()
    assert len(warned) == 1 and "no enrollment key" in warned[0]
    assert variable in warned[0] and "RPYMOSTAT_ENROLLMENT_KEY" not in warned[0]
    assert "--token (or RPYMOSTAT_" in warned[0]
    read = LOADERS[kind](None, {"RPYMOSTAT_HOME": str(tmp_path), variable: KEY})
    assert read.enrollment_key == KEY, "the variable named is the one read"


def test_the_relay_tells_a_refused_host_the_setting_it_reads(tmp_path):
    from twisted.internet.task import Clock

    from rpymostat_relay.service import relay_gate

    gate = relay_gate(load_relay_config(None, {"RPYMOSTAT_HOME": str(tmp_path)}), Clock())
    assert gate.settings.hosts == "allowed_hosts in relay.toml (or RPYMOSTAT_RELAY_ALLOWED_HOSTS)"
    assert gate.settings.origins == "allowed_origins in relay.toml (or RPYMOSTAT_RELAY_ALLOWED_ORIGINS)"
