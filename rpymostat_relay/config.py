"""The relay node's settings (see :mod:`rpymostat.nodeconfig` for where they come from)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import attrs

from rpymostat.config import ConfigError
from rpymostat.nodeconfig import COMMON_FIELDS, NodeConfig, load_node_settings
DEFAULT_PORT = 8574

FIELDS = {**COMMON_FIELDS, "listen": str, "port": int, "url": str}
DEFAULTS = {"driver": "gpio", "driver_settings": {}, "zeroconf_interfaces": [], "listen": "0.0.0.0",
            "port": DEFAULT_PORT, "log_level": "info"}


@attrs.frozen
class RelayConfig(NodeConfig):
    listen: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    url: str | None = None


def load_relay_config(config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                      flags: Mapping[str, Any] = {}) -> RelayConfig:
    values = load_node_settings("relay", FIELDS, DEFAULTS, config_file, environ, flags)
    if not 0 <= values["port"] <= 65535:
        raise ConfigError("port must be within 0..65535")
    if values.get("url") and not values["url"].startswith(("http://", "https://")):
        raise ConfigError(f"url must be an http:// or https:// URL, not {values['url']!r}")
    values["data_dir"] = Path(values["data_dir"]).expanduser()
    values["zeroconf_interfaces"] = tuple(values["zeroconf_interfaces"])
    return RelayConfig(**values)
