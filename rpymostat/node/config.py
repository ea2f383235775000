"""How the node daemons are configured: the settings both share, and the loader.

Precedence, lowest first: built-in defaults, the TOML file (section ``[sensor]`` or
``[relay]``; ``--config`` or ``<home>/<kind>.toml``), ``RPYMOSTAT_<KIND>_<KEY>``
environment variables, command-line flags. Lists come from the environment as
comma-separated text, driver settings as JSON text.
"""

from __future__ import annotations

import json
import os
import socket
import tomllib
from pathlib import Path
from typing import Any, Mapping

import attrs

from rpymostat.runtime.config import LIMIT_FIELDS, ConfigError, check_limit, home_dir
from rpymostat.runtime.tls import normalize_fingerprint

# Settings every node has: name -> type. The daemons add their own.
COMMON_FIELDS: dict[str, type] = {
    "data_dir": str,
    "hub": str,
    "enrollment_key": str,
    "token": str,
    "name": str,
    "system": str,
    "zeroconf_interfaces": list,
    "driver": str,
    "driver_settings": dict,
    "log_level": str,
    "tls": bool,
    "hub_fingerprint": str,
}
LOG_LEVELS = ("debug", "info", "warn", "error")


def _coerce(key: str, kind: type, value: Any, source: str) -> Any:
    value = _COERCE[kind](key, value, source)
    return check_limit(key, value, source) if key in LIMIT_FIELDS else value


def _strings(key: str, value: Any, source: str) -> list:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key} must be a list of strings")
    return value


def _table(key: str, value: Any, source: str) -> dict:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"{source}: {key} must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {key} must be a table / JSON object")
    return value


def _integer(key: str, value: Any, source: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{source}: {key} must be an integer, not {value!r}")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {key} must be an integer, not {value!r}") from None


def _number(key: str, value: Any, source: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {key} must be a number, not {value!r}") from None


def _boolean(key: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{source}: {key} must be true or false, not {value!r}")


def _text(key: str, value: Any, source: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{source}: {key} must be text, not {value!r}")
    return value


_COERCE = {list: _strings, dict: _table, int: _integer, float: _number, bool: _boolean, str: _text}


def _check_tls(values: dict[str, Any]) -> None:
    """The hub URL, the pinned fingerprint and ``tls`` must agree; the fingerprint is stored
    in the form the certificates' fingerprints are compared in."""
    hub = str(values.get("hub") or "")
    if not values.get("tls", True) and hub.startswith("https:"):
        raise ConfigError(f"hub {hub!r} is https but tls is false: give an http:// hub URL, or turn tls on")
    if values.get("hub_fingerprint"):
        if not values.get("tls", True) or hub.startswith("http:"):
            raise ConfigError("hub_fingerprint is for a hub on HTTPS; this node speaks plain HTTP to its "
                              "hub (tls = false or an http:// hub URL)")
        try:
            values["hub_fingerprint"] = normalize_fingerprint(values["hub_fingerprint"])
        except ValueError as exc:
            raise ConfigError(f"hub_fingerprint: {exc}") from None


def load_node_settings(kind: str, fields: Mapping[str, type], defaults: Mapping[str, Any],  # noqa: C901
                       config_file: str | None, environ: Mapping[str, str] = os.environ,
                       flags: Mapping[str, Any] = {}) -> dict[str, Any]:
    """The merged settings of one node daemon, as a plain dict with every key of ``fields``."""
    values: dict[str, Any] = dict(defaults)
    path = Path(config_file) if config_file else home_dir(None, environ) / f"{kind}.toml"
    if path.exists():
        try:
            data = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
        section = data.get(kind, data)
        if not isinstance(section, dict):
            raise ConfigError(f"{path}: [{kind}] must be a table")
        for key, value in section.items():
            if key not in fields:
                raise ConfigError(f"{path}: unknown setting {key!r}")
            values[key] = _coerce(key, fields[key], value, str(path))
    elif config_file:
        raise ConfigError(f"{path}: no such file")
    prefix = f"RPYMOSTAT_{kind.upper()}_"
    for key, kind_of in fields.items():
        env = environ.get(prefix + key.upper())
        if env:
            values[key] = _coerce(key, kind_of, env, prefix + key.upper())
    for key, value in flags.items():
        if value is not None:
            values[key] = _coerce(key, fields[key], value, f"--{key.replace('_', '-')}")
    if values.get("log_level", "info") not in LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(LOG_LEVELS)}")
    if values.get("hub") and not str(values["hub"]).startswith(("http://", "https://")):
        raise ConfigError(f"hub must be an http:// or https:// URL, not {values['hub']!r}")
    _check_tls(values)
    if not values.get("data_dir"):
        values["data_dir"] = str(home_dir(None, environ) / kind)
    if not values.get("name"):
        values["name"] = f"{socket.gethostname().split('.')[0] or 'node'} {kind}"
    return values


@attrs.frozen
class NodeConfig:
    """What both node daemons are configured with; each adds its own fields."""

    data_dir: Path
    name: str
    driver: str
    driver_settings: dict = attrs.field(factory=dict)
    hub: str | None = None
    enrollment_key: str | None = None
    token: str | None = attrs.field(default=None, repr=False)
    system: str | None = None
    zeroconf_interfaces: tuple[str, ...] = ()
    log_level: str = "info"
    tls: bool = True
    hub_fingerprint: str | None = None

    @property
    def uses_tls(self) -> bool:
        """Whether this node may speak HTTPS (and so loads pyOpenSSL): unless TLS is off, or
        the hub is named by a plain http:// URL."""
        return self.tls and not (self.hub or "").startswith("http:")
