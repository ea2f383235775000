"""Where the hub keeps its data and how it is configured.

Precedence, lowest first: built-in defaults, the TOML file (``<home>/rpymostat.toml`` or
``--config``), ``RPYMOSTAT_*`` environment variables, command-line flags.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Mapping

import attrs

from rpymostat.hub.tokens import key_weakness
from rpymostat.runtime.config import DEFAULT_LIMITS, LIMIT_FIELDS, ConfigError, check_limit

DEFAULT_PORT = 8573


@attrs.frozen
class HubConfig:
    home: Path
    port: int = DEFAULT_PORT
    listen: str = "0.0.0.0"
    db: str | None = None
    system: str = "home"
    enrollment_key: str | None = None
    zeroconf: bool = True
    tls: bool = True
    log_level: str = "info"
    speed: float = 1.0
    epoch: float | None = None
    clock_start: float | None = None
    max_connections: int = DEFAULT_LIMITS.max_connections
    idle_timeout_s: float = DEFAULT_LIMITS.idle_timeout_s
    header_timeout_s: float = DEFAULT_LIMITS.header_timeout_s
    body_timeout_s: float = DEFAULT_LIMITS.body_timeout_s
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()

    @property
    def db_url(self) -> str:
        return self.db or f"sqlite:///{self.home / 'rpymostat.db'}"


_FIELDS = {
    "port": int,
    "listen": str,
    "db": str,
    "system": str,
    "enrollment_key": str,
    "zeroconf": bool,
    "tls": bool,
    "log_level": str,
    "speed": float,
    "epoch": float,
    "clock_start": float,
    **{key: kind for key, (kind, _, _) in LIMIT_FIELDS.items()},
    "allowed_hosts": tuple,
    "allowed_origins": tuple,
}


def _names(key: str, value, source: str) -> tuple[str, ...]:
    """A list of host names or origins: a TOML array, or comma-separated text."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{source}: {key} must be a list of names")
    if key == "allowed_origins":
        from rpymostat.web.gate import OriginError, parse_origin

        for origin in value:
            try:
                parse_origin(origin)
            except OriginError as exc:
                raise ConfigError(f"{source}: allowed_origins: {exc}") from None
    return tuple(v.strip() for v in value)


def _coerce(key: str, value, source: str):
    kind = _FIELDS[key]
    if kind is tuple:
        return _names(key, value, source)
    if kind is bool and isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{source}: {key} must be true or false, not {value!r}")
    try:
        value = kind(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {key} must be a {kind.__name__}, not {value!r}") from None
    if key == "port" and not 0 <= value <= 65535:
        raise ConfigError(f"{source}: port must be within 0..65535")
    if key == "speed" and not 0 < value <= 3600:
        raise ConfigError(f"{source}: speed must be within 0..3600")
    if key in LIMIT_FIELDS:
        check_limit(key, value, source)
    if key == "enrollment_key" and key_weakness(value):
        raise ConfigError(f"{source}: enrollment_key {key_weakness(value)}; make a good one with "
                          "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return value


def load_hub_config(home: Path, config_file: str | None = None,
                    environ: Mapping[str, str] = os.environ, flags: Mapping[str, object] = {}) -> HubConfig:
    values: dict = {}
    path = Path(config_file) if config_file else home / "rpymostat.toml"
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        section = data.get("hub", data)
        for key, value in section.items():
            if key not in _FIELDS:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(key, value, str(path))
    elif config_file:
        raise ConfigError(f"{path}: no such file")
    for key in _FIELDS:
        env = environ.get(f"RPYMOSTAT_{key.upper()}")
        if env is not None and env != "":
            values[key] = _coerce(key, env, f"RPYMOSTAT_{key.upper()}")
    for key, value in flags.items():
        if value is not None:
            values[key] = _coerce(key, value, f"--{key.replace('_', '-')}")
    return HubConfig(home=home, **values)
