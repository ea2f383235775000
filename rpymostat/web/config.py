"""The settings every API server has, the hub's and a relay node's: the limits it keeps
on its connections and the names and pages it answers (see :mod:`rpymostat.web.gate`).
Both processes' config classes derive from :class:`ServerSettings`."""

from __future__ import annotations

from typing import Any

import attrs

from rpymostat.runtime.config import DEFAULT_LIMITS, SettingError, Within, setting


def origins(instance, attribute: attrs.Attribute, value: tuple[str, ...]) -> None:
    from rpymostat.web.gate import OriginError, parse_origin

    for origin in value:
        try:
            parse_origin(origin)
        except OriginError as exc:
            raise SettingError(attribute.name, str(exc)) from None


def max_connections(default: int) -> Any:
    """The connection cap, with the default of its process."""
    return setting(default, validator=Within(4, 100_000),
                   help="connections kept open; over it the one idle the longest is closed")


@attrs.frozen(kw_only=True, slots=False)
class ServerSettings:
    """Not slotted, so that a relay node's config can derive from it and from
    :class:`~rpymostat.node.config.NodeConfig` at once."""

    max_connections: int = max_connections(DEFAULT_LIMITS.max_connections)
    idle_timeout_s: float = setting(DEFAULT_LIMITS.idle_timeout_s, validator=Within(1, 86_400),
                                    help="a kept-alive connection with no request for this long is closed")
    header_timeout_s: float = setting(DEFAULT_LIMITS.header_timeout_s, validator=Within(1, 3600),
                                      help="from connecting, or from a request's first byte, to its last header")
    body_timeout_s: float = setting(DEFAULT_LIMITS.body_timeout_s, validator=Within(1, 3600),
                                    help="from a request's last header to the last byte of its body")
    allowed_hosts: tuple[str, ...] = setting(
        (), help="more names the API answers to (`*.example.org` for a domain, `*` for any)")
    allowed_origins: tuple[str, ...] = setting(
        (), validator=origins, help="web pages on other origins that may use the API (CORS), "
                                    "such as `https://ui.example:8580`")
