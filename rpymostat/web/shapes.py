"""Building blocks for the APIs' JSON Schemas, shared by the hub's and the relay node's
APIs (the relay must not import the hub's schemas and, with them, its scheduling stack)."""

from __future__ import annotations

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,127}$"
ZONE_ID_MAX = 2**31 - 1


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required=(), **extra) -> dict:
    schema = {"type": "object", "additionalProperties": False, "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    return schema


def nullable(schema: dict) -> dict:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
