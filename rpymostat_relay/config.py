"""The relay node's settings (see :mod:`rpymostat.node.config` for where they come from)."""

from __future__ import annotations

import os
from typing import Any, ClassVar, Mapping

import attrs

from rpymostat.node.config import NodeConfig, driver, load_node_config
from rpymostat.runtime.config import Section, SettingError, Within, setting
from rpymostat.web.config import ServerSettings, max_connections

DEFAULT_PORT = 8574
# Only the hub, and now and then a person, talks to a relay node.
DEFAULT_MAX_CONNECTIONS = 64


@attrs.frozen(kw_only=True)
class RelayConfig(NodeConfig, ServerSettings):
    SECTION: ClassVar[Section] = Section("relay", "relay.toml", "RPYMOSTAT_RELAY_")

    driver: str = driver("gpio")
    listen: str = setting("0.0.0.0", flag="--listen", help="address the API listens on")
    port: int = setting(DEFAULT_PORT, flag="--port", validator=Within(0, 65535),
                        help="TCP port of the API; 0 picks a free one")
    url: str | None = setting(None, flag="--url", shown_default="from the address that reaches the hub",
                              help="the API's URL as the hub should call it: https:// unless tls is false")
    max_connections: int = max_connections(DEFAULT_MAX_CONNECTIONS)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        scheme = "https://" if self.tls else "http://"
        if self.url and not self.url.startswith(scheme):
            raise SettingError("url", f"must be an https:// URL (the API serves HTTPS), not {self.url!r}"
                               if self.tls else f"must be an http:// URL with tls = false, not {self.url!r}")

    @property
    def uses_tls(self) -> bool:
        """A relay node with TLS on serves HTTPS, whatever its hub speaks."""
        return self.tls


def load_relay_config(config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                      flags: Mapping[str, Any] = {}) -> RelayConfig:
    return load_node_config(RelayConfig, config_file, environ, flags, "rpymostat_relay.drivers")
