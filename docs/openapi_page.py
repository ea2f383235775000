"""Renders the hub's OpenAPI document as a Markdown reference page for Sphinx."""

import json


def _bounds(schema: dict) -> str:
    parts = []
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("minLength", "length ≥"),
                       ("maxLength", "length ≤"), ("maxItems", "items ≤")):
        if key in schema:
            parts.append(f"{label} {schema[key]}")
    if "format" in schema:
        parts.append(f"format `{schema['format']}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    return "; ".join(parts)


def render() -> str:
    from rpymostat.hub.api.app import HubAPI

    doc = HubAPI.build_openapi()
    lines = ["# HTTP API reference", "",
             "Generated from `GET /v1/openapi.json` (OpenAPI 3.1). Every route but `GET /v1/health` "
             "needs `Authorization: Bearer <token>`.", "",
             "| method | path | role | body | success | what |", "|---|---|---|---|---|---|"]
    for path, item in doc["paths"].items():
        for method, entry in item.items():
            role = entry.get("description", "Role: none").removeprefix("Role: ").rstrip(".")
            body = entry.get("requestBody", {}).get("content", {}).get("application/json", {})
            body_name = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            success = next(code for code in entry["responses"] if code.startswith("2"))
            lines.append(f"| {method.upper()} | `{path}` | {role} | {body_name or '—'} | {success} | "
                         f"{entry['summary']} |")
    lines += ["", "## Formats", "", "| format | what |", "|---|---|"]
    lines += [f"| `{name}` | {text} |" for name, text in doc.get("x-formats", {}).items()]
    lines += ["", "## Schemas", ""]
    for name, schema in doc["components"]["schemas"].items():
        lines += [f"### {name}", ""]
        if schema.get("description"):
            lines += [schema["description"], ""]
        properties = schema.get("properties")
        if properties:
            required = set(schema.get("required", ()))
            lines += ["| field | type | required | bounds | description |", "|---|---|---|---|---|"]
            for field, sub in properties.items():
                kind = sub.get("type") or sub.get("$ref", "").rsplit("/", 1)[-1] or "any"
                if isinstance(kind, list):
                    kind = " or ".join(kind)
                text = sub.get("description", "").replace("|", "\\|")
                lines.append(f"| `{field}` | {kind} | {'yes' if field in required else ''} | "
                             f"{_bounds(sub)} | {text} |")
        else:
            lines += ["```json", json.dumps(schema, indent=2, ensure_ascii=False), "```"]
        lines.append("")
    return "\n".join(lines)
