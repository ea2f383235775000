"""The hub's settings: ``[hub]`` in ``<home>/rpymostat.toml`` (or ``--config``),
``RPYMOSTAT_<KEY>``, flags of ``rpymostat hub`` (see :mod:`rpymostat.runtime.config`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Mapping

import attrs

from rpymostat.hub.tokens import key_weakness
from rpymostat.runtime.config import LOG_LEVELS, ClockSettings, Section, SettingError, Within, load_config, setting
from rpymostat.web.config import ServerSettings

DEFAULT_PORT = 8573
INFLUXDB = "InfluxDB export (docs/history.md)"
MQTT = "MQTT bridge (Home Assistant, MQTT sensors)"
OUTDOOR = "Outdoor temperature (docs/decision-plugins.md)"


def mqtt_url(instance, attribute: attrs.Attribute, value: str | None) -> None:
    from rpymostat.hub.mqtt.link import BrokerAddressError, broker_address

    if value is not None:
        try:
            broker_address(value)
        except BrokerAddressError as exc:
            raise SettingError(attribute.name, str(exc)) from None


def readable_file(instance, attribute: attrs.Attribute, value: Path | None) -> None:
    if value is not None and not os.access(value, os.R_OK):
        raise SettingError(attribute.name, f"cannot read {value}")


def mqtt_sensors(instance, attribute: attrs.Attribute, value: dict) -> None:
    from rpymostat.hub.mqtt.sensors import SensorBindingError, bindings

    try:
        bindings(value)
    except SensorBindingError as exc:
        raise SettingError(attribute.name, str(exc)) from None


def outdoor_plugin(instance, attribute: attrs.Attribute, value: str | None) -> None:
    from rpymostat.hub.outdoor import plugin_problem

    problem = plugin_problem(value, None if instance is None else instance.outdoor_settings)
    if problem is not None:
        raise SettingError(*problem)


def strong_key(instance, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and key_weakness(value):
        raise SettingError(attribute.name, f"{key_weakness(value)}; make a good one with "
                                           "python3 -c 'import secrets; print(secrets.token_hex(32))'")


@attrs.frozen(kw_only=True)
class HubConfig(ServerSettings, ClockSettings):
    SECTION: ClassVar[Section] = Section("hub", "rpymostat.toml", "RPYMOSTAT_")

    home: Path
    port: int = setting(DEFAULT_PORT, flag="--port", validator=Within(0, 65535),
                        help="TCP port of the API; 0 picks a free one")
    listen: str = setting("0.0.0.0", flag="--listen", help="address to listen on")
    db: str | None = setting(None, flag="--db", metavar="URL", shown_default="SQLite in the home dir",
                             help="database URL, e.g. postgresql+psycopg://user@host/dbname")
    system: str = setting("home", flag="--system",
                          help="name of this RPyMostat system, advertised to nodes; lets several share a LAN")
    enrollment_key: str | None = setting(None, flag="--enrollment-key", validator=strong_key, secret=True,
                                         shown_default="one made at first start",
                                         help="key nodes enroll with, at least 128 bits")
    zeroconf: bool = setting(True, flag="--no-zeroconf", help="advertise the hub over mDNS",
                             flag_help="do not advertise the hub over mDNS")
    tls: bool = setting(True, flag="--no-tls", help="serve HTTPS with the hub's self-signed certificate",
                        flag_help="serve plain HTTP instead of HTTPS with the hub's self-signed certificate")
    log_level: str = setting("info", flag="--log-level", validator=LOG_LEVELS,
                             help="the least important log lines written")
    metrics_open: bool = setting(False, help="serve GET /metrics without a token (only on a network you "
                                             "trust); otherwise it needs a metrics or admin token")
    mqtt_url: str | None = setting(None, group=MQTT, validator=mqtt_url, shown_default="no MQTT bridge",
                                   help="the MQTT broker, mqtt://host[:1883] or mqtts://host[:8883] (TLS)")
    mqtt_username: str | None = setting(None, group=MQTT, help="user name at the broker")
    mqtt_password_file: Path | None = setting(None, group=MQTT, validator=readable_file,
                                              help="file holding the broker password (kept 0600)")
    mqtt_ca_file: Path | None = setting(None, group=MQTT, shown_default="the system's CAs",
                                        help="CA certificate(s) that sign the broker's, for mqtts://")
    mqtt_topic_prefix: str = setting("rpymostat", group=MQTT,
                                     help="first level of the topics the hub publishes and listens to")
    mqtt_discovery_prefix: str = setting("homeassistant", group=MQTT,
                                         help="Home Assistant's discovery prefix")
    mqtt_sensors: dict = setting(attrs.Factory(dict), group=MQTT, validator=mqtt_sensors,
                                 shown_default="none",
                                 help="sensors read from MQTT topics: a table of sensor id to "
                                      "{topic, path, unit, name} (docs/integrations.md)")
    outdoor_settings: dict = setting(attrs.Factory(dict), group=OUTDOOR, shown_default="none",
                                     help="the outdoor plugin's settings, e.g. {path = \"/run/outdoor\"} for "
                                          "file or {command = \"...\"} for command")
    outdoor_plugin: str | None = setting(None, group=OUTDOOR, validator=outdoor_plugin,
                                         shown_default="none (an outdoor sensor may be named in the settings)",
                                         help="outdoor-temperature plugin (rpymostat.outdoor entry point): "
                                              "file, command or a third party's")
    influxdb_url: str | None = setting(None, group=INFLUXDB, help="an InfluxDB v2 write API to copy every "
                                       "series to, e.g. http://127.0.0.1:8086; none: no export")
    influxdb_org: str = setting("rpymostat", group=INFLUXDB, help="the InfluxDB organization")
    influxdb_bucket: str = setting("rpymostat", group=INFLUXDB, help="the InfluxDB bucket")
    influxdb_token_file: Path | None = setting(None, group=INFLUXDB,
                                               help="a file holding the InfluxDB API token")

    def __attrs_post_init__(self) -> None:
        outdoor_plugin(self, attrs.fields(HubConfig).outdoor_plugin, self.outdoor_plugin)

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.home / 'rpymostat.db'}"


def load_hub_config(home: Path, config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                    flags: Mapping[str, Any] = {}) -> HubConfig:
    path = Path(config_file) if config_file else home / HubConfig.SECTION.file
    return load_config(HubConfig, path, required=bool(config_file), environ=environ, flags=flags,
                       defaults={"home": home})
