"""The settings both node daemons have (:class:`NodeConfig`), and loading a daemon's.

A daemon's settings are ``[sensor]`` or ``[relay]`` in ``--config`` or
``$RPYMOSTAT_HOME/<kind>.toml``, ``RPYMOSTAT_SENSOR_<KEY>`` or ``RPYMOSTAT_RELAY_<KEY>``,
and flags (see :mod:`rpymostat.runtime.config`). A driver's settings are checked against
its ``settings_schema`` when the settings are loaded, so a mistyped one stops the daemon
with one line before it starts.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, ClassVar, Mapping, TypeVar

import attrs

from rpymostat.runtime.config import (
    LOG_LEVELS,
    ClockSettings,
    ConfigError,
    Section,
    SettingError,
    home_dir,
    load_config,
    setting,
    ways_to_set,
)

N = TypeVar("N", bound="NodeConfig")


def hub_url(instance, attribute: attrs.Attribute, value: str | None) -> None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise SettingError(attribute.name, f"must be an http:// or https:// URL, not {value!r}")


def fingerprint(value: str | None) -> str | None:
    """The form certificates' fingerprints are compared in."""
    from rpymostat.runtime.tls import normalize_fingerprint

    return None if value is None else normalize_fingerprint(value)


def driver(default: Any = attrs.NOTHING) -> Any:
    """The driver setting, with the default of its daemon."""
    return setting(default, flag="--driver", help="driver plugin name")


@attrs.frozen(kw_only=True)
class NodeConfig(ClockSettings):
    """What both node daemons are configured with; each adds its own fields, its
    ``SECTION`` and its default driver."""

    SECTION: ClassVar[Section]

    data_dir: Path = setting(flag="--data-dir", shown_default="$RPYMOSTAT_HOME/{section}, else the XDG data "
                                                              "dir's rpymostat/{section}",
                             help="where the node keeps its token, hub id and state")
    hub: str | None = setting(None, flag="--hub", validator=hub_url, shown_default="found over mDNS",
                              help="the hub's URL, e.g. https://hub.local:8573")
    hub_fingerprint: str | None = setting(
        None, flag="--hub-fingerprint", metavar="SHA256", converter=fingerprint,
        help="the SHA-256 fingerprint of the hub's certificate (the hub logs it at start) to pin instead "
             "of trusting the first one seen")
    tls: bool = setting(True, flag="--no-tls", help="speak HTTPS to the hub; a relay node serves HTTPS",
                        flag_help="speak plain HTTP only (no pyOpenSSL); a relay node then serves plain HTTP")
    enrollment_key: str | None = setting(None, flag="--enrollment-key", secret=True,
                                         help="the hub's enrollment key, traded once for a device token")
    token: str | None = setting(None, flag="--token", secret=True,
                                help="a device token made with `rpymostat token create` (instead of enrolling)")
    name: str = setting(flag="--name", shown_default="the host name and {section}",
                        help="a name for this node on the hub")
    system: str | None = setting(None, flag="--system", help="enroll only with a hub advertising this system name")
    zeroconf_interfaces: tuple[str, ...] = setting(
        (), flag="--zeroconf-interface", metavar="ADDR", shown_default="all interfaces",
        help="IPv4 addresses of the interfaces to browse mDNS on; the flag is repeatable")
    log_level: str = setting("info", flag="--log-level", validator=LOG_LEVELS,
                             help="the least important log lines written")
    driver: str = driver()
    driver_settings: dict = setting(attrs.Factory(dict), flag="--driver-settings", metavar="JSON",
                                    help="the driver's settings (a JSON object outside the file)")

    def __attrs_post_init__(self) -> None:
        """The hub URL, the pinned fingerprint and ``tls`` must agree."""
        hub = self.hub or ""
        if not self.tls and hub.startswith("https:"):
            raise SettingError("hub", f"{hub!r} is https but tls is false: give an http:// hub URL, "
                                      "or turn tls on")
        if self.hub_fingerprint and (not self.tls or hub.startswith("http:")):
            raise SettingError("hub_fingerprint", "is for a hub on HTTPS; this node speaks plain HTTP to its "
                                                  "hub (tls = false or an http:// hub URL)")

    @property
    def uses_tls(self) -> bool:
        """Whether this node may speak HTTPS (and so loads pyOpenSSL): unless TLS is off, or
        the hub is named by a plain http:// URL."""
        return self.tls and not (self.hub or "").startswith("http:")

    @classmethod
    def ways_to_set(cls, key: str) -> str:
        return ways_to_set(cls, key)


def load_node_config(cls: type[N], config_file: str | None, environ: Mapping[str, str],
                     flags: Mapping[str, Any], drivers: str) -> N:
    """A daemon's settings; its data dir and name default to ones made from its kind, and
    its driver must be one installed in the entry point group ``drivers``."""
    kind = cls.SECTION.name
    home = home_dir(None, environ)
    path = Path(config_file) if config_file else home / cls.SECTION.file
    defaults = {"data_dir": home / kind, "name": f"{socket.gethostname().split('.')[0] or 'node'} {kind}"}
    return load_config(cls, path, required=bool(config_file), environ=environ, flags=flags, defaults=defaults,
                       checks=[lambda config: check_driver(config, drivers)])


def check_driver(config: NodeConfig, group: str) -> None:
    """The driver is installed and its settings match its schema (settings left empty
    are the driver's to fill)."""
    from rpymostat.node.configcheck import validated
    from rpymostat.runtime.plugins import PluginNotFound, available, load_class

    try:
        driver_class = load_class(group, config.driver)
    except PluginNotFound:
        raise SettingError("driver", f"no driver {config.driver!r}; installed: "
                                     f"{', '.join(available(group))}") from None
    if config.driver_settings:
        try:
            validated(driver_class.settings_schema, config.driver_settings)
        except ConfigError as exc:
            raise SettingError("driver_settings", str(exc)) from None
