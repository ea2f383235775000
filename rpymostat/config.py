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

DEFAULT_PORT = 8573


class ConfigError(ValueError):
    pass


def home_dir(flag: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--home``, else ``$RPYMOSTAT_HOME``, else the XDG data dir."""
    if flag:
        return Path(flag).expanduser()
    if environ.get("RPYMOSTAT_HOME"):
        return Path(environ["RPYMOSTAT_HOME"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rpymostat"


@attrs.frozen
class HubConfig:
    home: Path
    port: int = DEFAULT_PORT
    listen: str = "0.0.0.0"
    db: str | None = None
    system: str = "home"
    enrollment_key: str | None = None
    zeroconf: bool = True
    log_level: str = "info"
    speed: float = 1.0
    epoch: float | None = None
    clock_start: float | None = None

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
    "log_level": str,
    "speed": float,
    "epoch": float,
    "clock_start": float,
}


def _coerce(key: str, value, source: str):
    kind = _FIELDS[key]
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
