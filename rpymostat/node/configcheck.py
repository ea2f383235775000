"""Checking a driver's settings against its JSON Schema, for both node daemons.

Good settings are checked by the schema compiled with fastjsonschema; only bad ones load
jsonschema to word the error, so a node that starts well does not carry jsonschema. The
error is the one :class:`~rpymostat.runtime.config.ConfigError` of every setting.
"""

from __future__ import annotations

from typing import Any, Callable

import fastjsonschema

from rpymostat.runtime.config import ConfigError

_compiled: dict[int, tuple[dict, Callable[[Any], Any]]] = {}


def _fast(schema: dict) -> Callable[[Any], Any]:
    key = id(schema)
    if key not in _compiled or _compiled[key][0] is not schema:
        plain = {k: v for k, v in schema.items() if k != "$schema"}
        _compiled[key] = (schema, fastjsonschema.compile(plain, use_default=False))
    return _compiled[key][1]


def driver_schema(title: str, properties: dict, required: tuple[str, ...] = ()) -> dict:
    """A driver's ``settings_schema``: an object of ``properties`` and nothing else, which
    ``GET /v1/plugins`` publishes under ``title``."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
              "additionalProperties": False, "properties": properties}
    return {**schema, "required": list(required)} if required else schema


def validated(schema: dict, config: dict | None) -> dict:
    """The config with the schema's top-level defaults filled in, or ConfigError."""
    config = dict(config or {})
    try:
        _fast(schema)(config)
    except fastjsonschema.JsonSchemaException:
        import jsonschema

        try:
            jsonschema.validate(config, schema)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
            raise ConfigError(f"{where}: {exc.message}") from None
    for key, spec in schema.get("properties", {}).items():
        if "default" in spec:
            config.setdefault(key, spec["default"])
    return config
