"""Relay outputs: alias, zone, function, the state their relay reports; releasing one."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.timeutil import format_optional, parse_time
from rpymostat.hub.api.routes import op
from rpymostat.web.http import ApiError, not_found


class OutputsAPI:
    @staticmethod
    def _output_json(row: dict) -> dict:
        return {"id": row["id"], "node_id": row["node_id"], "name": row["name"], "alias": row["alias"],
                "zone_id": row["zone_id"], "function": row["function"], "state": row["state"],
                "state_since": format_optional(row["state_time"])}

    @op("GET", "/v1/outputs", summary="Relay outputs with zone, function and state.", tag="outputs",
        response="OutputList")
    def list_outputs(self, call):
        return {"outputs": [self._output_json(row) for row in self.live.output_list()]}

    @op("PATCH", "/v1/outputs/{output_id}", summary="Set an output's alias, zone or function.",
        tag="outputs", body="OutputPatch", response="Output")
    @inlineCallbacks
    def patch_output(self, call):
        self._zone_exists(call.body.get("zone_id"))
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
        row = self.live.outputs.get(call.params["output_id"])
        if row is None:
            raise not_found(f"no output {call.params['output_id']!r}")
        if row["node_id"] is None or not call.principal.may_act_for(row["node_id"]):
            raise ApiError(403, "forbidden", "this output does not belong to this node")
        when = parse_time(call.body["time"]).timestamp() if "time" in call.body else self.now()
        yield self.store.set_output_state(row["id"], call.body["state"], when)
        self.on_change("outputs")
        return self._output_json({**row, "state": call.body["state"], "state_time": when})
