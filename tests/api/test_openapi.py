import re

from openapi_spec_validator import validate

from rpymostat.hub.api.app import HubAPI


def test_document_is_valid_openapi_3_1(hub):
    reply = hub.call("GET", "/v1/openapi.json")
    assert reply.status == 200
    assert reply.body["openapi"] == "3.1.0"
    validate(reply.body)


def served_routes(api):
    """(method, path) for every rule Klein serves, in OpenAPI path syntax."""
    routes = set()
    for rule in api.app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((method, path))
    return routes


def test_served_and_documented_routes_are_the_same(hub):
    documented = {(method.upper(), path)
                  for path, item in hub.api.document["paths"].items() for method in item}
    assert served_routes(hub.api) == documented
    assert len(documented) >= 20


def test_every_documented_body_schema_bounds_its_numbers():
    """Generated clients and fuzzers learn the bounds from the document: every number in
    a request schema carries both bounds (or an enum)."""
    schemas = HubAPI.build_openapi()["components"]["schemas"]
    request_schemas = {op.body for op in HubAPI.routes.operations if op.body}
    seen = set()

    def walk(schema, where):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                walk(schemas[name], name)
            return
        kinds = schema.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if ("number" in kinds or "integer" in kinds) and "enum" not in schema:
            assert "minimum" in schema and "maximum" in schema, where
        if "string" in kinds and "enum" not in schema:
            assert "maxLength" in schema or "pattern" in schema, where
        for key, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{key}")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{where}[]")
        for sub in schema.get("anyOf", []):
            walk(sub, where)

    for name in request_schemas:
        walk({"$ref": f"#/components/schemas/{name}"}, name)
    assert "Target" in seen and "Reading" in seen
