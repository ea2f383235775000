"""The relay node's own small API (DESIGN §4), built like the hub's: routes declared once
with :class:`rpymostat.web.routing.Routes`, JSON errors, an OpenAPI document whose
schemas validate the requests.

Only the hub may command the outputs: every route but health needs
``Authorization: Bearer <command token>``, the token the hub's registration reply gave
this node. Until the node has registered there is no token and every command is refused.
"""

from __future__ import annotations

import hmac

from twisted.internet.defer import inlineCallbacks

from rpymostat import __version__
from rpymostat.core.timeutil import format_time
from rpymostat.web.auth import WrongCredential, bearer, unauthorized
from rpymostat.web.gate import Gate
from rpymostat.web.http import ApiError
from rpymostat.web.routing import Routes, Validators
from rpymostat.web.shapes import ID_PATTERN, obj, ref
from rpymostat_relay.drivers import RelayError, UnknownOutput
from rpymostat_relay.outputs import OutputState, TooSoon

LEASE_MIN_S = 5
LEASE_MAX_S = 600
HUB = "hub"

Id = {"type": "string", "pattern": ID_PATTERN, "maxLength": 128}
Time = {"type": "string", "format": "date-time"}
SCHEMAS = {
    "Error": obj(
        {"error": obj({"code": {"type": "string"}, "message": {"type": "string"}, "details": {}},
                      required=["code", "message"])},
        required=["error"]),
    "Health": obj({"status": {"type": "string", "enum": ["ok"]}, "version": {"type": "string"},
                   "node_id": {"type": "string"}, "registered": {"type": "boolean"}},
                  required=["status", "version", "node_id", "registered"]),
    "Output": obj({"id": Id, "name": {"type": "string"}, "state": {"type": "string", "enum": ["on", "off"]},
                   "since": Time, "lease_until": {"type": ["string", "null"], "format": "date-time"},
                   "may_start_at": {"type": ["string", "null"], "format": "date-time",
                                    "description": "Until then an 'on' is refused (minimum off time)."}},
                  required=["id", "name", "state", "since", "lease_until"]),
    "OutputList": obj({"outputs": {"type": "array", "items": ref("Output")}}, required=["outputs"]),
    "OutputCommand": {
        **obj({"state": {"type": "string", "enum": ["on", "off"]},
               "lease_s": {"type": "integer", "minimum": LEASE_MIN_S, "maximum": LEASE_MAX_S,
                           "description": "How long an 'on' holds unless renewed."}},
              required=["state"]),
        "if": {"properties": {"state": {"const": "on"}}},
        "then": {"required": ["lease_s"]},
        "description": "Switch an output. 'on' needs a lease; a repeated 'on' renews it.",
    },
}

routes = Routes(path_params={"output_id": Id})
op = routes.op


class RelayAPI:
    app = routes.app
    routes = routes

    def __init__(self, *, bank, node_id: str, clock, gate: Gate | None = None):
        self.bank = bank
        self.node_id = node_id
        self.clock = clock
        self.gate = gate or Gate(clock)
        self.command_token: str | None = None
        self.document = routes.openapi(
            title="RPyMostat relay node API", version=__version__,
            description="Commands for one relay node's outputs; used by the hub.",
            schemas=SCHEMAS,
            security_description="The command token the hub received when this node registered.")
        self.validators = Validators(self.document)

    def resource(self):
        return self.routes.resource(self.app)

    def authorize(self, request, role):
        if role is None:
            return None
        token = bearer(request)
        if self.command_token is None:
            raise unauthorized("this relay node has not registered with a hub yet")
        if token is None:
            raise unauthorized("the hub's command token is required")
        if not hmac.compare_digest(token.encode(), self.command_token.encode()):
            raise WrongCredential("the hub's command token is required")
        return HUB

    def _output_json(self, state: OutputState) -> dict:
        """The state's times are on the bank's monotonic timer; shown on the wall clock."""
        bank = self.bank
        may_start = None
        if not state.on and state.off_since is not None:
            start = state.off_since + bank.min_off_s
            may_start = format_time(bank.wall(start)) if start > bank.timer.seconds() else None
        return {"id": state.id, "name": state.name, "state": "on" if state.on else "off",
                "since": format_time(bank.wall(state.since)),
                "lease_until": format_time(bank.wall(state.lease_until)) if state.lease_until is not None else None,
                "may_start_at": may_start}

    @op("GET", "/v1/health", summary="Is the relay node up (no token needed).", tag="relay", role=None,
        response="Health")
    def health(self, call):
        return {"status": "ok", "version": __version__, "node_id": self.node_id,
                "registered": self.command_token is not None}

    @op("GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document.", tag="relay", role=HUB)
    def openapi(self, call):
        return self.document

    @op("GET", "/v1/outputs", summary="The outputs with their state and lease.", tag="relay", role=HUB,
        response="OutputList")
    def list_outputs(self, call):
        return {"outputs": [self._output_json(s) for s in self.bank.states.values()]}

    @op("PUT", "/v1/outputs/{output_id}", summary="Switch an output on (with a lease) or off.",
        tag="relay", role=HUB, body="OutputCommand", response="Output")
    @inlineCallbacks
    def command(self, call):
        output_id = call.params["output_id"]
        on = call.body["state"] == "on"
        try:
            state = yield self.bank.command(output_id, on, call.body.get("lease_s") if on else None)
        except UnknownOutput:
            raise ApiError(404, "not_found", f"no such output: {output_id!r}") from None
        except TooSoon as exc:
            raise ApiError(409, "min_off_time", str(exc),
                           {"retry_after_s": round(exc.remaining_s, 3)}) from None
        except RelayError as exc:
            raise ApiError(503, "hardware", f"the relay hardware failed: {exc}") from None
        return self._output_json(state)
