"""The hub's REST API v1 (DESIGN §4): health, status, nodes, sensors, readings, outputs,
zones, settings, tokens and the OpenAPI document."""

from __future__ import annotations

from typing import Any, Callable

from twisted.internet.defer import Deferred, inlineCallbacks

from rpymostat import __version__
from rpymostat.core.readings import age_problem, invalid_reason
from rpymostat.core.settings import effective
from rpymostat.core.target import Target
from rpymostat.core.timeutil import format_time, parse_time
from rpymostat.hub.api.control import ControlAPI
from rpymostat.hub.api.formats import FORMATS
from rpymostat.hub.api.routes import op, routes
from rpymostat.hub.api.schedule import ScheduleAPI
from rpymostat.hub.api.schemas import SCHEMAS
from rpymostat.hub.auth import ENROLLMENT, Principal, TokenBook
from rpymostat.hub.live import Live
from rpymostat.web.auth import WrongCredential, bearer, unauthorized
from rpymostat.web.gate import Gate
from rpymostat.web.http import ApiError, conflict, not_found
from rpymostat.web.routing import Validators

READINGS_MAX_BODY = 1024 * 1024


def _time(value: float | None) -> str | None:
    return None if value is None else format_time(value)


class HubAPI(ControlAPI, ScheduleAPI):
    """The hub's API resource. Collaborators are injected so that tests run it in memory
    (StubTreq, a Clock, the store called inline) and the hub runs it for real."""

    app = routes.app
    routes = routes

    def __init__(self, *, store, writer, tokens: TokenBook, live: Live, clock, hub_id: str,
                 system: str, settings: dict, started_at: float,
                 zone_status: Callable[[dict, list[dict], dict, float], dict] | None = None,
                 on_change: Callable[[str], None] | None = None, gate: Gate | None = None):
        self.store = store
        self.writer = writer
        self.tokens = tokens
        self.live = live
        self.clock = clock
        self.hub_id = hub_id
        self.system = system
        self.settings = effective(settings)
        self.started_at = started_at
        self.zone_status = zone_status or basic_zone_status
        self.on_change = on_change or (lambda kind: None)
        self.gate = gate or Gate(clock)
        self.document = self.build_openapi()
        self.validators = Validators(self.document, FORMATS)

    def resource(self):
        return self.routes.resource(self.app)

    @classmethod
    def build_openapi(cls) -> dict:
        return cls.routes.openapi(
            title="RPyMostat hub API",
            version=__version__,
            description="The hub's REST API. JSON over HTTP; times ISO 8601 (responses in UTC); "
                        "temperatures in °C; errors as {\"error\": {code, message, details}}.",
            schemas=SCHEMAS,
            security_description="An admin or device token, or (for POST /v1/enroll only) the "
                                 "hub's enrollment key.",
            formats=FORMATS,
        )

    def now(self) -> float:
        return self.clock.seconds()

    # -- auth ------------------------------------------------------------

    def authorize(self, request, role: str | None):
        """The caller's Principal (None on public and enrollment routes), or a Deferred of
        it when the token is not known in memory; raises ApiError."""
        if role is None:
            return None
        token = bearer(request)
        if token is None:
            raise unauthorized()
        if role == ENROLLMENT:
            if not self.tokens.is_enrollment_key(token):
                raise WrongCredential("the enrollment key is not valid")
            return None
        principal = self.tokens.find(token)
        if isinstance(principal, Deferred):
            return principal.addCallback(self._allowed, role)
        return self._allowed(principal, role)

    @staticmethod
    def _allowed(principal: Principal | None, role: str) -> Principal:
        if principal is None:
            raise WrongCredential("the token is not valid or was revoked")
        if role == "admin" and principal.role != "admin":
            raise ApiError(403, "forbidden", "this route needs an admin token")
        return principal

    # -- health, status, openapi ------------------------------------------

    @op("GET", "/v1/health", summary="Is the hub up (no token needed).", tag="hub", role=None,
        response="Health")
    def health(self, call):
        return {"status": "ok", "version": __version__, "hub_id": self.hub_id, "system": self.system}

    @op("GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document.", tag="hub",
        role="device")
    def openapi(self, call):
        return self.document

    @op("GET", "/v1/status", summary="Hub summary: zones with temperature, target, action, alarms.",
        tag="hub", response="Status")
    @inlineCallbacks
    def status(self, call):
        zones = yield self.store.list_zones()
        sensors = yield self.store.list_sensors()
        nodes = yield self.store.list_nodes()
        outputs = yield self.store.list_outputs()
        now = self.now()
        zone_states = [self.zone_status(zone, sensors, self.settings, now) for zone in zones]
        return {
            "version": __version__,
            "hub_id": self.hub_id,
            "system": self.system,
            "time": format_time(now),
            "uptime_s": round(now - self.started_at, 3),
            "zones": zone_states,
            "alarms": [{**alarm, "zone_id": state["id"]} for state in zone_states
                       for alarm in state["alarms"]],
            "counts": {"nodes": len(nodes), "sensors": len(sensors), "outputs": len(outputs),
                       "zones": len(zones)},
        }

    # -- enrollment and nodes -----------------------------------------------

    @op("POST", "/v1/enroll", summary="A node trades the enrollment key for a device token (once; "
        "again only when an admin allows it).", tag="nodes", role=ENROLLMENT, body="Enroll",
        response="Enrolled", status=201)
    @inlineCallbacks
    def enroll(self, call):
        node_id = call.body["node_id"]
        row, plain = yield self.store.enroll(node_id, call.body.get("name", node_id), self.now())
        self.tokens.forget_node(node_id)
        self.tokens.add(row)
        self.on_change("nodes")  # a re-enrolled relay has a new command token
        return {"token": plain, "token_id": row["id"], "hub_id": self.hub_id, "system": self.system}

    @op("POST", "/v1/nodes/{node_id}/re-enroll", summary="Allow a known node to enroll once more "
        "within 24 h (a replaced or reinstalled machine); its tokens are revoked at once.",
        tag="nodes", response="ReEnrollment")
    @inlineCallbacks
    def allow_reenrollment(self, call):
        node_id = call.params["node_id"]
        permit = yield self.store.allow_reenrollment(node_id, self.now())
        self.tokens.forget_node(node_id)
        return {"node_id": node_id, "allowed": format_time(permit["allowed_at"]),
                "expires": format_time(permit["expires_at"]), "revoked_tokens": permit["revoked_tokens"]}

    def node_settings(self) -> dict:
        return {k: self.settings[k] for k in ("report_interval_s", "lease_s", "min_off_s")}

    @op("POST", "/v1/nodes", summary="A node registers itself with its sensors or outputs.",
        tag="nodes", role="device", body="NodeRegister", response="NodeRegistered")
    @inlineCallbacks
    def register_node(self, call):
        body = call.body
        self._speaks_for(call.principal, body["node_id"])
        node = {"id": body["node_id"], "kind": body["kind"], "name": body.get("name", body["node_id"]),
                "url": body.get("url"), "version": body.get("version"),
                "tls_fingerprint": body.get("tls_fingerprint"),
                "address": call.request.getClientAddress().host}
        row = yield self.store.register_node(
            node,
            [{"id": s["sensor_id"], "type": s.get("type", "unknown"), "name": s.get("name", s["sensor_id"])}
             for s in body.get("sensors", ())],
            [{"id": o["output_id"], "name": o.get("name", o["output_id"])} for o in body.get("outputs", ())],
            self.now(),
        )
        self.live.registered(body["node_id"], [s["sensor_id"] for s in body.get("sensors", ())])
        self.on_change("nodes")
        node_json = yield self._node_json(row)
        reply = {"node": node_json, "hub_id": self.hub_id, "settings": self.node_settings()}
        if row["command_token"] is not None and call.principal.node_id == row["id"]:
            reply["command_token"] = row["command_token"]  # to that node only, never to an admin
        return reply

    @staticmethod
    def _speaks_for(principal: Principal, node_id: str) -> None:
        if not principal.may_act_for(node_id):
            raise ApiError(403, "forbidden", f"this token belongs to node {principal.node_id!r}")

    @inlineCallbacks
    def _node_json(self, row, sensors=None, outputs=None):
        if sensors is None:
            sensors = yield self.store.list_sensors()
        if outputs is None:
            outputs = yield self.store.list_outputs()
        return {
            "id": row["id"], "kind": row["kind"], "name": row["name"], "url": row["url"],
            "tls_fingerprint": row["tls_fingerprint"], "address": row["address"], "version": row["version"],
            "registered": _time(row["registered_at"]), "last_seen": _time(row["last_seen"]),
            "sensors": [s["id"] for s in sensors if s["node_id"] == row["id"]],
            "outputs": [o["id"] for o in outputs if o["node_id"] == row["id"]],
        }

    @op("GET", "/v1/nodes", summary="Nodes with last seen, address and version.", tag="nodes",
        response="NodeList")
    @inlineCallbacks
    def list_nodes(self, call):
        rows = yield self.store.list_nodes()
        sensors = yield self.store.list_sensors()
        outputs = yield self.store.list_outputs()
        nodes = []
        for row in rows:
            nodes.append((yield self._node_json(row, sensors, outputs)))
        return {"nodes": nodes}

    @op("GET", "/v1/nodes/{node_id}", summary="One node.", tag="nodes", response="Node")
    @inlineCallbacks
    def get_node(self, call):
        row = yield self.store.get_node(call.params["node_id"])
        return (yield self._node_json(row))

    @op("DELETE", "/v1/nodes/{node_id}", summary="Forget a node and revoke its tokens; its sensors "
        "and outputs keep their history.", tag="nodes", status=204)
    @inlineCallbacks
    def delete_node(self, call):
        node_id = call.params["node_id"]
        yield self.store.delete_node(node_id, self.now())
        self.tokens.forget_node(node_id)
        self.live.forget_node(node_id)
        self.on_change("nodes")

    # -- sensors and readings --------------------------------------------

    def _sensor_json(self, row: dict, now: float) -> dict:
        stale = row["last_time"] is None or age_problem(
            row["last_time"], now, self.settings["report_interval_s"],
            self.settings["stale_after_intervals"]) is not None
        return {"id": row["id"], "node_id": row["node_id"], "type": row["type"], "name": row["name"],
                "alias": row["alias"], "zone_id": row["zone_id"], "last_value": row["last_value"],
                "last_seen": _time(row["last_time"]), "stale": stale}

    @op("GET", "/v1/sensors", summary="Sensors with alias, zone, last value, last seen and staleness.",
        tag="sensors", response="SensorList")
    @inlineCallbacks
    def list_sensors(self, call):
        rows = yield self.store.list_sensors()
        now = self.now()
        return {"sensors": [self._sensor_json(row, now) for row in rows]}

    @op("PATCH", "/v1/sensors/{sensor_id}", summary="Set a sensor's alias or zone.", tag="sensors",
        body="SensorPatch", response="Sensor")
    @inlineCallbacks
    def patch_sensor(self, call):
        yield self._zone_exists(call.body.get("zone_id"))
        row = yield self.store.patch_sensor(call.params["sensor_id"], call.body)
        self.on_change("sensors")
        return self._sensor_json(row, self.now())

    @op("POST", "/v1/sensors/{sensor_id}/release", summary="Detach a sensor from its node, so that "
        "another node may claim it; alias, zone and history stay.", tag="sensors", response="Sensor")
    @inlineCallbacks
    def release_sensor(self, call):
        sensor_id = call.params["sensor_id"]
        row = yield self.store.release("sensor", sensor_id)
        self.live.release(sensor_id)
        self.on_change("sensors")
        return self._sensor_json(row, self.now())

    @inlineCallbacks
    def _zone_exists(self, zone_id):
        """A zone named in a body must exist: a 409, since the request is well formed and
        the resource it addresses was found; only the hub's state is against it."""
        if zone_id is not None:
            zones = yield self.store.list_zones()
            if zone_id not in {z["id"] for z in zones}:
                raise conflict(f"no zone {zone_id}")

    @op("POST", "/v1/readings", summary="A node posts a batch of readings (at most 5000).",
        tag="sensors", role="device", body="ReadingBatch", response="ReadingsAccepted", status=202,
        max_body=READINGS_MAX_BODY)
    def post_readings(self, call):
        body = call.body
        node_id = body["node_id"]
        self._speaks_for(call.principal, node_id)
        now = self.now()
        parsed = [(index, reading, parse_time(reading["time"]).timestamp())
                  for index, reading in enumerate(body["readings"])]
        if node_id not in self.live.nodes:
            raise not_found(f"no node {node_id!r}; a node registers (POST /v1/nodes) before it posts")
        rows, errors = [], []
        for index, reading, when in parsed:
            reason = (
                "unknown_sensor" if not self.live.owned_by(reading["sensor_id"], node_id)
                else invalid_reason(reading["value"])
                or ("future" if when - now > self.settings["report_interval_s"] else None)
            )
            if reason:
                errors.append({"index": index, "sensor_id": reading["sensor_id"], "reason": reason})
            else:
                rows.append({"sensor_id": reading["sensor_id"], "time": when,
                             "value": float(reading["value"]), "received_at": now})
        unique = {(row["sensor_id"], row["time"]): row for row in rows}

        def stored(new: int) -> dict:
            self.live.record(rows)
            if new:
                self.on_change("readings")
            return {"accepted": new, "duplicates": len(rows) - new, "rejected": len(errors),
                    "errors": errors[:100],
                    "settings": {"report_interval_s": self.settings["report_interval_s"]}}

        return self.writer.submit(node_id, list(unique.values()), now).addCallback(stored)

    # -- outputs ---------------------------------------------------------

    @staticmethod
    def _output_json(row: dict) -> dict:
        return {"id": row["id"], "node_id": row["node_id"], "name": row["name"], "alias": row["alias"],
                "zone_id": row["zone_id"], "function": row["function"], "state": row["state"],
                "state_since": _time(row["state_time"])}

    @op("GET", "/v1/outputs", summary="Relay outputs with zone, function and state.", tag="outputs",
        response="OutputList")
    @inlineCallbacks
    def list_outputs(self, call):
        rows = yield self.store.list_outputs()
        return {"outputs": [self._output_json(row) for row in rows]}

    @op("PATCH", "/v1/outputs/{output_id}", summary="Set an output's alias, zone or function.",
        tag="outputs", body="OutputPatch", response="Output")
    @inlineCallbacks
    def patch_output(self, call):
        yield self._zone_exists(call.body.get("zone_id"))
        row = yield self.store.patch_output(call.params["output_id"], call.body)
        self.on_change("outputs")
        return self._output_json(row)

    @op("POST", "/v1/outputs/{output_id}/release", summary="Detach an output from its relay node, so "
        "that another node may claim it; alias, zone and function stay.", tag="outputs",
        response="Output")
    @inlineCallbacks
    def release_output(self, call):
        row = yield self.store.release("output", call.params["output_id"])
        self.on_change("outputs")
        return self._output_json(row)

    @op("PUT", "/v1/outputs/{output_id}/state", summary="A relay node reports an output's actual "
        "state (after a command, a lease running out, boot or stop).", tag="outputs", role="device",
        body="OutputState", response="Output")
    @inlineCallbacks
    def report_output_state(self, call):
        row = yield self.store.get_output(call.params["output_id"])
        if row["node_id"] is None or not call.principal.may_act_for(row["node_id"]):
            raise ApiError(403, "forbidden", "this output does not belong to this node")
        when = parse_time(call.body["time"]).timestamp() if "time" in call.body else self.now()
        yield self.store.set_output_state(row["id"], call.body["state"], when)
        self.on_change("outputs")
        return self._output_json({**row, "state": call.body["state"], "state_time": when})

    # -- zones -----------------------------------------------------------

    @staticmethod
    def _zone_json(row: dict) -> dict:
        return {"id": row["id"], "name": row["name"], "default_target": row["default_target"],
                "settings": row["settings"], "sensors": row["sensors"], "outputs": row["outputs"],
                "created": _time(row["created_at"]), "updated": _time(row["updated_at"])}

    @inlineCallbacks
    def _check_zone_body(self, body: dict, zone_id: int | None = None):
        """What the hub's state decides (the schema has checked the rest): the sensors and
        outputs named exist and no other zone uses the outputs; all checked before
        anything is stored."""
        sensors = {s["id"]: s for s in (yield self.store.list_sensors())}
        outputs = {o["id"]: o for o in (yield self.store.list_outputs())}
        for sensor_id in body.get("sensors", ()):
            if sensor_id not in sensors:
                raise conflict(f"no sensor {sensor_id!r}")
        for function, output_id in body.get("outputs", {}).items():
            if output_id not in outputs:
                raise conflict(f"no output {output_id!r}")
            if outputs[output_id]["zone_id"] not in (None, zone_id):
                raise conflict(f"output {output_id!r} belongs to zone {outputs[output_id]['zone_id']}")
        if "default_target" in body:
            target = Target.from_json(body["default_target"])
            for sensor_id in target.sensor_ids():
                if sensor_id not in sensors:
                    raise conflict(f"default_target names no known sensor {sensor_id!r}")
            body["default_target"] = target.to_json()

    @op("GET", "/v1/zones", summary="All zones.", tag="zones", response="ZoneList")
    @inlineCallbacks
    def list_zones(self, call):
        rows = yield self.store.list_zones()
        return {"zones": [self._zone_json(row) for row in rows]}

    @op("POST", "/v1/zones", summary="Create a zone.", tag="zones", body="ZoneCreate", response="Zone",
        status=201)
    @inlineCallbacks
    def create_zone(self, call):
        body = dict(call.body)
        body.setdefault("default_target", {"mode": "off"})
        yield self._check_zone_body(body)
        row = yield self.store.create_zone(body, self.now())
        self.on_change("zones")
        return self._zone_json(row)

    @op("GET", "/v1/zones/{zone_id}", summary="One zone.", tag="zones", response="Zone")
    @inlineCallbacks
    def get_zone(self, call):
        row = yield self.store.get_zone(call.params["zone_id"])
        return self._zone_json(row)

    @op("PATCH", "/v1/zones/{zone_id}", summary="Change a zone; `settings` replaces the zone's "
        "overrides as a whole.", tag="zones", body="ZonePatch", response="Zone")
    @inlineCallbacks
    def patch_zone(self, call):
        zone_id = call.params["zone_id"]
        yield self.store.get_zone(zone_id)
        body = dict(call.body)
        yield self._check_zone_body(body, zone_id)
        row = yield self.store.patch_zone(zone_id, body, self.now())
        self.on_change("zones")
        return self._zone_json(row)

    @op("DELETE", "/v1/zones/{zone_id}", summary="Delete a zone; its sensors and outputs are "
        "unassigned.", tag="zones", status=204)
    @inlineCallbacks
    def delete_zone(self, call):
        yield self.store.delete_zone(call.params["zone_id"])
        self.on_change("zones")

    # -- settings --------------------------------------------------------

    @op("GET", "/v1/settings", summary="Hub-wide settings.", tag="hub", response="Settings")
    def get_settings(self, call):
        return self.settings

    @op("PATCH", "/v1/settings", summary="Change hub-wide settings.", tag="hub", body="SettingsPatch",
        response="Settings")
    @inlineCallbacks
    def patch_settings(self, call):
        changes = call.body
        yield self.store.put_settings(changes)
        self.settings = {**self.settings, **changes}
        self.on_change("settings")
        return self.settings

    # -- tokens ----------------------------------------------------------

    @staticmethod
    def _token_json(row: dict) -> dict:
        return {"id": row["id"], "name": row["name"], "role": row["role"], "node_id": row["node_id"],
                "created": _time(row["created_at"]), "revoked": _time(row["revoked_at"])}

    @op("GET", "/v1/tokens", summary="Tokens (never their secrets).", tag="tokens", response="TokenList")
    @inlineCallbacks
    def list_tokens(self, call):
        rows = yield self.store.list_tokens()
        return {"tokens": [self._token_json(row) for row in rows]}

    @op("POST", "/v1/tokens", summary="Create a token; its secret is in this reply only.",
        tag="tokens", body="TokenCreate", response="Token", status=201)
    @inlineCallbacks
    def create_token(self, call):
        body = call.body
        row, plain = yield self.store.create_token(body["role"], body.get("name", body["role"]),
                                                   self.now(), node_id=body.get("node_id"))
        self.tokens.add(row)
        return {**self._token_json(row), "token": plain}

    @op("DELETE", "/v1/tokens/{token_id}", summary="Revoke a token (not the last admin token).",
        tag="tokens", status=204)
    @inlineCallbacks
    def revoke_token(self, call):
        token_id = call.params["token_id"]
        yield self.store.revoke_token(token_id, self.now())
        self.tokens.forget(token_id)


def basic_zone_status(zone: dict, sensors: list[dict], settings: dict, now: float) -> dict[str, Any]:
    """A zone's status before the control loop has anything to say: the mean of its
    fresh, valid sensors and its default target; no demand."""
    values = []
    for sensor in sensors:
        if sensor["zone_id"] != zone["id"] or sensor["last_time"] is None:
            continue
        if invalid_reason(sensor["last_value"]) or age_problem(
                sensor["last_time"], now, settings["report_interval_s"], settings["stale_after_intervals"]):
            continue
        values.append((sensor["id"], sensor["last_value"]))
    temperature = round(sum(v for _, v in values) / len(values), 3) if values else None
    alarms = [] if values or not zone["sensors"] else [
        {"code": "no_temperature", "message": "no valid fresh temperature"}]
    return {"id": zone["id"], "name": zone["name"], "temperature": temperature,
            "sensors_used": [s for s, _ in values], "target": zone["default_target"],
            "action": "idle", "reason": "no control loop in this hub", "alarms": alarms}
