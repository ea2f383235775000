"""The relay node's settings (see :mod:`rpymostat.node.config` for where they come from)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import attrs

from rpymostat.node.config import COMMON_FIELDS, NodeConfig, load_node_settings
from rpymostat.runtime.config import DEFAULT_LIMITS, LIMIT_FIELDS, ConfigError
from rpymostat.web.gate import OriginError, parse_origin

DEFAULT_PORT = 8574
# Only the hub, and now and then a person, talks to a relay node.
DEFAULT_MAX_CONNECTIONS = 64

FIELDS = {**COMMON_FIELDS, "listen": str, "port": int, "url": str, "allowed_hosts": list,
          "allowed_origins": list, **{key: kind for key, (kind, _, _) in LIMIT_FIELDS.items()}}
DEFAULTS = {"driver": "gpio", "driver_settings": {}, "zeroconf_interfaces": [], "listen": "0.0.0.0",
            "port": DEFAULT_PORT, "log_level": "info", "max_connections": DEFAULT_MAX_CONNECTIONS,
            "allowed_hosts": [], "allowed_origins": []}


@attrs.frozen
class RelayConfig(NodeConfig):
    listen: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    url: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    idle_timeout_s: float = DEFAULT_LIMITS.idle_timeout_s
    header_timeout_s: float = DEFAULT_LIMITS.header_timeout_s
    body_timeout_s: float = DEFAULT_LIMITS.body_timeout_s
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()

    @property
    def uses_tls(self) -> bool:
        """A relay node with TLS on serves HTTPS, whatever its hub speaks."""
        return self.tls


def load_relay_config(config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                      flags: Mapping[str, Any] = {}) -> RelayConfig:
    values = load_node_settings("relay", FIELDS, DEFAULTS, config_file, environ, flags)
    if not 0 <= values["port"] <= 65535:
        raise ConfigError("port must be within 0..65535")
    tls = values.get("tls", True)
    if values.get("url") and not values["url"].startswith("https://" if tls else "http://"):
        raise ConfigError(f"url must be an https:// URL (the API serves HTTPS), not {values['url']!r}" if tls
                          else f"url must be an http:// URL with tls = false, not {values['url']!r}")
    values["data_dir"] = Path(values["data_dir"]).expanduser()
    values["zeroconf_interfaces"] = tuple(values["zeroconf_interfaces"])
    for origin in values["allowed_origins"]:
        try:
            parse_origin(origin)
        except OriginError as exc:
            raise ConfigError(f"allowed_origins: {exc}") from None
    values["allowed_hosts"] = tuple(values["allowed_hosts"])
    values["allowed_origins"] = tuple(values["allowed_origins"])
    return RelayConfig(**values)
