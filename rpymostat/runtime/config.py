"""Configuration that every process shares: the error a bad setting raises, where data
lives, and the limits an API server keeps on its connections."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import attrs


class ConfigError(ValueError):
    pass


@attrs.frozen
class ConnectionLimits:
    """What an API server (the hub's, a relay node's) allows its clients. A household has a
    few nodes and browsers, so the defaults leave room for a Raspberry Pi's memory and file
    descriptors while a flood of idle or slow connections cannot starve them."""

    max_connections: int = 512
    idle_timeout_s: float = 60.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0


DEFAULT_LIMITS = ConnectionLimits()

# The connection settings of the hub and the relay node: key -> (type, lowest, highest).
LIMIT_FIELDS: dict[str, tuple[type, float, float]] = {
    "max_connections": (int, 4, 100_000),
    "idle_timeout_s": (float, 1, 86_400),
    "header_timeout_s": (float, 1, 3600),
    "body_timeout_s": (float, 1, 3600),
}


def check_limit(key: str, value, source: str):
    """``value`` if it lies within the bounds of ``LIMIT_FIELDS[key]`` (NaN does not)."""
    _, lowest, highest = LIMIT_FIELDS[key]
    if not lowest <= value <= highest:
        raise ConfigError(f"{source}: {key} must be within {lowest}..{highest}, not {value!r}")
    return value


def connection_limits(config) -> ConnectionLimits:
    """The :class:`ConnectionLimits` of a hub or relay config, which carry them as flat keys."""
    return ConnectionLimits(**{key: getattr(config, key) for key in LIMIT_FIELDS})


def home_dir(flag: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--home``, else ``$RPYMOSTAT_HOME``, else the XDG data dir."""
    if flag:
        return Path(flag).expanduser()
    if environ.get("RPYMOSTAT_HOME"):
        return Path(environ["RPYMOSTAT_HOME"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rpymostat"
