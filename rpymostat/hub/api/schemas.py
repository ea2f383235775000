"""The JSON Schemas of the hub API's bodies. They go into the OpenAPI document's
``components.schemas`` and are the very schemas that validate requests."""

from __future__ import annotations

from rpymostat.core.schedule import rules
from rpymostat.core.settings import SETTINGS_PATCH_SCHEMA, SETTINGS_SCHEMA, ZONE_SETTINGS_SCHEMA
from rpymostat.core.target import FAN_MODES, MODES, SETPOINT_MAX, SETPOINT_MIN, SETPOINTS_NEEDED
from rpymostat.hub.api.formats import (
    DISTINCT_OUTPUTS,
    INSTANT,
    TARGET,
    TIME_ZONE,
    UNIQUE_OUTPUT_IDS,
    UNIQUE_SENSOR_IDS,
)
from rpymostat.web.shapes import ID_PATTERN, ZONE_ID_MAX, nullable, obj, ref  # noqa: F401  (re-exported)

Id = {"type": "string", "pattern": ID_PATTERN, "maxLength": 128}
Name = {"type": "string", "minLength": 1, "maxLength": 100}
Time = {"type": "string", "format": INSTANT, "maxLength": 40,
        "description": "ISO 8601 with an offset; responses use UTC with Z."}
ZoneId = {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX}
Setpoint = {"type": ["number", "null"], "minimum": SETPOINT_MIN, "maximum": SETPOINT_MAX}
Temperature = {"type": ["number", "null"], "description": "°C"}
FUNCTIONS = ["heat", "cool", "fan", "aux"]


def _needs(mode: str, *setpoints: str) -> dict:
    """In ``mode`` the target must carry these setpoints, not null."""
    return {"if": {"properties": {"mode": {"const": mode}}, "required": ["mode"]},
            "then": {"required": list(setpoints),
                     "properties": {name: {"type": "number"} for name in setpoints}}}


def _with_format(schema: dict, field: str, name: str) -> dict:
    properties = {**schema["properties"], field: {**schema["properties"][field], "format": name}}
    return {**schema, "properties": properties}

SCHEMAS: dict[str, dict] = {
    "Error": obj(
        {"error": obj({"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
                      required=["code", "message"])},
        required=["error"],
    ),
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"},
                   "hub_id": {"type": "string"}, "system": {"type": "string"}},
                  required=["status", "version", "hub_id"]),
    "SensorWeight": obj({"sensor_id": Id, "weight": {"type": "number", "minimum": 0.001,
                                                     "maximum": 1000, "default": 1}},
                        required=["sensor_id"]),
    "Target": obj(
        {
            "mode": {"type": "string", "enum": list(MODES)},
            "heat_setpoint": Setpoint,
            "cool_setpoint": Setpoint,
            "fan": {"type": "string", "enum": list(FAN_MODES), "default": "auto"},
            "sensors": {"type": "array", "maxItems": 32, "items": ref("SensorWeight"),
                        "format": UNIQUE_SENSOR_IDS,
                        "description": "Sensors that count, with weights; empty = all of the zone's."},
            "aggregation": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,63}$",
                            "description": "Aggregation plugin (single, mean, weighted_mean, min, max)."},
            "decision": {"type": ["string", "null"], "pattern": r"^[a-z][a-z0-9_]{0,63}$",
                         "description": "Decision plugin; null = the hub's default."},
        },
        required=["mode"],
        allOf=[_needs(mode, *setpoints) for mode, setpoints in SETPOINTS_NEEDED.items()],
        format=TARGET,
        description="What a zone is asked to do. In auto, cool_setpoint ≥ heat_setpoint + 0.5.",
    ),
    "Settings": SETTINGS_SCHEMA,
    "SettingsPatch": _with_format(SETTINGS_PATCH_SCHEMA, "timezone", TIME_ZONE),
    "ZoneSettings": ZONE_SETTINGS_SCHEMA,
    "ZoneOutputs": obj({f: Id for f in FUNCTIONS}, format=DISTINCT_OUTPUTS,
                       description="The zone's relay outputs by function, each a different one."),
    "ZoneCreate": obj(
        {"name": Name, "default_target": ref("Target"), "settings": ref("ZoneSettings"),
         "sensors": {"type": "array", "maxItems": 64, "uniqueItems": True, "items": Id},
         "outputs": ref("ZoneOutputs")},
        required=["name"],
    ),
    "ZonePatch": obj(
        {"name": Name, "default_target": ref("Target"), "settings": ref("ZoneSettings"),
         "sensors": {"type": "array", "maxItems": 64, "uniqueItems": True, "items": Id},
         "outputs": ref("ZoneOutputs")},
        minProperties=1,
    ),
    "Zone": obj(
        {"id": ZoneId, "name": Name, "default_target": ref("Target"), "settings": ref("ZoneSettings"),
         "sensors": {"type": "array", "items": Id}, "outputs": ref("ZoneOutputs"),
         "created": Time, "updated": Time},
        required=["id", "name", "default_target", "settings", "sensors", "outputs"],
    ),
    "ZoneList": obj({"zones": {"type": "array", "items": ref("Zone")}}, required=["zones"]),
    "SensorInfo": obj({"sensor_id": Id, "type": {"type": "string", "minLength": 1, "maxLength": 50},
                       "name": Name}, required=["sensor_id"]),
    "OutputInfo": obj({"output_id": Id, "name": Name}, required=["output_id"]),
    "NodeRegister": obj(
        {
            "node_id": Id,
            "kind": {"type": "string", "enum": ["sensor", "relay"]},
            "name": Name,
            "url": {"type": "string", "pattern": r"^https?://", "maxLength": 500,
                    "description": "Where a relay node's API answers: https with its self-signed "
                                   "certificate (give tls_fingerprint), or plain http on the LAN "
                                   "(the hub's command token authenticates the hub)."},
            "tls_fingerprint": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                "description": "SHA-256 of the certificate a relay node's https url "
                                               "presents (64 lowercase hex digits); the hub commands "
                                               "it only while it presents that one."},
            "version": {"type": "string", "maxLength": 50},
            "sensors": {"type": "array", "maxItems": 64, "items": ref("SensorInfo"),
                        "format": UNIQUE_SENSOR_IDS},
            "outputs": {"type": "array", "maxItems": 64, "items": ref("OutputInfo"),
                        "format": UNIQUE_OUTPUT_IDS},
        },
        required=["node_id", "kind"],
        allOf=[
            {"if": {"properties": {"kind": {"const": "relay"}}, "required": ["kind"]},
             "then": {"required": ["url"], "properties": {"sensors": {"maxItems": 0}}}},
            {"if": {"properties": {"kind": {"const": "sensor"}}, "required": ["kind"]},
             "then": {"properties": {"outputs": {"maxItems": 0}}}},
            {"if": {"properties": {"url": {"pattern": "^https:"}}, "required": ["url"]},
             "then": {"required": ["tls_fingerprint"]}},
            {"if": {"required": ["tls_fingerprint"]},
             "then": {"required": ["url"], "properties": {"url": {"pattern": "^https:"}}}},
        ],
        description="A relay node gives its API's url and outputs; a sensor node its sensors. "
                    "An https url comes with its tls_fingerprint, and only an https url.",
    ),
    "Node": obj(
        {"id": Id, "kind": {"type": "string"}, "name": Name, "url": {"type": ["string", "null"]},
         "tls_fingerprint": {"type": ["string", "null"]},
         "address": {"type": ["string", "null"]}, "version": {"type": ["string", "null"]},
         "registered": Time, "last_seen": Time, "sensors": {"type": "array", "items": Id},
         "outputs": {"type": "array", "items": Id}},
        required=["id", "kind", "name", "last_seen"],
    ),
    "NodeList": obj({"nodes": {"type": "array", "items": ref("Node")}}, required=["nodes"]),
    "NodeRegistered": obj(
        {"node": ref("Node"), "hub_id": {"type": "string"},
         "command_token": {"type": "string", "description": "Relay nodes only: the token the hub "
                           "presents on this relay's API (random per relay; only this node gets it)."},
         "settings": obj({"report_interval_s": {"type": "integer"}, "lease_s": {"type": "integer"},
                          "min_off_s": {"type": "integer"}})},
        required=["node", "hub_id", "settings"],
    ),
    "Enroll": obj({"node_id": Id, "name": Name}, required=["node_id"],
                  description="A node already enrolled (registered, or holding an active token) "
                              "is refused with 409 unless an admin allowed it to enroll again."),
    "ReEnrollment": obj(
        {"node_id": Id, "allowed": Time, "expires": Time,
         "revoked_tokens": {"type": "integer", "minimum": 0,
                            "description": "The node's tokens revoked by this permission."}},
        required=["node_id", "allowed", "expires", "revoked_tokens"],
        description="The node may enroll once more until `expires`; that enrollment gives a relay "
                    "a new command token, which it learns when it registers.",
    ),
    "Enrolled": obj({"token": {"type": "string"}, "hub_id": {"type": "string"},
                     "system": {"type": "string"}, "token_id": {"type": "integer"}},
                    required=["token", "hub_id"]),
    "Sensor": obj(
        {"id": Id, "node_id": {"type": ["string", "null"]}, "type": {"type": "string"}, "name": Name,
         "alias": {"type": ["string", "null"]}, "zone_id": nullable(ZoneId),
         "last_value": Temperature, "last_seen": {"type": ["string", "null"], "format": "date-time"},
         "stale": {"type": "boolean"}},
        required=["id", "type", "name", "stale"],
    ),
    "SensorList": obj({"sensors": {"type": "array", "items": ref("Sensor")}}, required=["sensors"]),
    "SensorPatch": obj({"alias": nullable(Name), "zone_id": nullable(ZoneId)}, minProperties=1),
    "Reading": obj({"sensor_id": Id, "time": Time,
                    "value": {"type": "number", "minimum": -1000, "maximum": 1000}},
                   required=["sensor_id", "time", "value"]),
    "ReadingBatch": obj({"node_id": Id, "readings": {"type": "array", "minItems": 1, "maxItems": 5000,
                                                      "items": ref("Reading")}},
                        required=["node_id", "readings"]),
    "ReadingsAccepted": obj(
        {"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
         "rejected": {"type": "integer"},
         "errors": {"type": "array", "items": obj({"index": {"type": "integer"},
                                                    "sensor_id": {"type": "string"},
                                                    "reason": {"type": "string"}})},
         "settings": obj({"report_interval_s": {"type": "integer"}})},
        required=["accepted", "duplicates", "rejected", "errors"],
    ),
    "Output": obj(
        {"id": Id, "node_id": {"type": ["string", "null"]}, "name": Name,
         "alias": {"type": ["string", "null"]}, "zone_id": nullable(ZoneId),
         "function": {"type": ["string", "null"], "enum": FUNCTIONS + [None]},
         "state": {"type": "string", "enum": ["on", "off"]},
         "state_since": {"type": ["string", "null"], "format": "date-time"}},
        required=["id", "name", "state"],
    ),
    "OutputState": obj({"state": {"type": "string", "enum": ["on", "off"]}, "time": Time,
                        "reason": {"type": "string", "enum": ["command", "lease_expired", "boot", "stop",
                                                              "failsafe", "error"]}},
                       required=["state"]),
    "OutputList": obj({"outputs": {"type": "array", "items": ref("Output")}}, required=["outputs"]),
    "OutputPatch": obj({"alias": nullable(Name), "zone_id": nullable(ZoneId),
                        "function": {"type": ["string", "null"], "enum": FUNCTIONS + [None]}},
                       minProperties=1),
    "AdminTokenCreate": obj({"role": {"type": "string", "enum": ["admin"]}, "name": Name},
                            required=["role"], description="A token for a person or the UI."),
    "DeviceTokenCreate": obj({"role": {"type": "string", "enum": ["device"]}, "name": Name,
                              "node_id": Id}, required=["role", "node_id"],
                             description="A token for one node: it speaks for that node only."),
    "MetricsTokenCreate": obj({"role": {"type": "string", "enum": ["metrics"]}, "name": Name},
                              required=["role"], description="A token that may read GET /metrics and "
                                                             "nothing else (for a Prometheus server)."),
    "TokenCreate": {
        "oneOf": [ref("AdminTokenCreate"), ref("DeviceTokenCreate"), ref("MetricsTokenCreate")],
        "discriminator": {"propertyName": "role",
                          "mapping": {"admin": "#/components/schemas/AdminTokenCreate",
                                      "device": "#/components/schemas/DeviceTokenCreate",
                                      "metrics": "#/components/schemas/MetricsTokenCreate"}},
    },
    "Token": obj({"id": {"type": "integer"}, "name": {"type": "string"},
                  "role": {"type": "string", "enum": ["admin", "device", "metrics"]},
                  "node_id": {"type": ["string", "null"]}, "created": Time,
                  "revoked": {"type": ["string", "null"], "format": "date-time"},
                  "token": {"type": "string", "description": "Only in the reply that creates it."}},
                 required=["id", "name", "role", "created"]),
    "TokenList": obj({"tokens": {"type": "array", "items": ref("Token")}}, required=["tokens"]),
    "Alarm": obj(
        {"code": {"type": "string", "description": "e.g. no_temperature, over_temperature, freeze, "
                                                   "relay_unreachable, relay_refused, plugin_error"},
         "message": {"type": "string"},
         "zone_id": {**ZoneId, "description": "In the hub summary: the zone it concerns."}},
        required=["code", "message"],
    ),
    "ZoneStatus": obj(
        {"id": ZoneId, "name": Name, "temperature": Temperature,
         "sensors_used": {"type": "array", "items": Id},
         "target": nullable(ref("Target")),
         "action": {"type": "string", "enum": ["idle", "heating", "cooling", "fan"]},
         "reason": {"type": "string"}, "alarms": {"type": "array", "items": ref("Alarm")}},
        required=["id", "name", "temperature", "target", "action", "reason", "alarms"],
    ),
    "Status": obj(
        {"version": {"type": "string"}, "hub_id": {"type": "string"}, "system": {"type": "string"},
         "time": Time, "uptime_s": {"type": "number"},
         "zones": {"type": "array", "items": ref("ZoneStatus")},
         "alarms": {"type": "array", "items": ref("Alarm"),
                    "description": "Every zone's alarms, each with its zone_id."},
         "counts": obj({k: {"type": "integer"} for k in ("nodes", "sensors", "outputs", "zones")})},
        required=["version", "hub_id", "time", "uptime_s", "zones", "alarms"],
    ),
}


def add_schemas(more: dict[str, dict]) -> None:
    """Add another module's schemas to the document's components; a name may not be taken twice."""
    taken = sorted(SCHEMAS.keys() & more.keys())
    if taken:
        raise ValueError(f"schema names already taken: {', '.join(taken)}")
    SCHEMAS.update(more)


# The scheduling core's schemas are the ones that validate rule and hold bodies.
add_schemas(rules.SCHEMAS)
