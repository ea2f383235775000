"""Enrollment, registration and the nodes: a node enrolls once, registers on every
(re)connection, and speaks only for itself."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.timeutil import format_optional, format_time
from rpymostat.hub.api.routes import op
from rpymostat.hub.auth import ENROLLMENT, Principal
from rpymostat.web.http import ApiError, not_found


class NodesAPI:
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
        row = yield self.enlist(body, call.request.getClientAddress().host)
        node_json = self._node_json(row)
        reply = {"node": node_json, "hub_id": self.hub_id, "settings": self.node_settings()}
        if row["command_token"] is not None and call.principal.node_id == row["id"]:
            reply["command_token"] = row["command_token"]  # to that node only, never to an admin
        return reply

    @inlineCallbacks
    def enlist(self, body: dict, address: str | None):
        """Register a node (a valid ``NodeRegister`` body) with its sensors or outputs:
        a node's own registration, or the hub's for what it reads itself (MQTT sensors)."""
        node = {"id": body["node_id"], "kind": body["kind"], "name": body.get("name", body["node_id"]),
                "url": body.get("url"), "version": body.get("version"),
                "tls_fingerprint": body.get("tls_fingerprint"), "address": address}
        row = yield self.store.register_node(
            node,
            [{"id": s["sensor_id"], "type": s.get("type", "unknown"), "name": s.get("name", s["sensor_id"])}
             for s in body.get("sensors", ())],
            [{"id": o["output_id"], "name": o.get("name", o["output_id"])} for o in body.get("outputs", ())],
            self.now(),
        )
        self.live.registered(body["node_id"], [s["sensor_id"] for s in body.get("sensors", ())])
        self.on_change("nodes")
        return row

    @staticmethod
    def _speaks_for(principal: Principal, node_id: str) -> None:
        if not principal.may_act_for(node_id):
            raise ApiError(403, "forbidden", f"this token belongs to node {principal.node_id!r}")

    def _node_json(self, row: dict) -> dict:
        sensors, outputs = self.live.sensor_list(), self.live.output_list()
        return {
            "id": row["id"], "kind": row["kind"], "name": row["name"], "url": row["url"],
            "tls_fingerprint": row["tls_fingerprint"], "address": row["address"], "version": row["version"],
            "registered": format_optional(row["registered_at"]), "last_seen": format_optional(row["last_seen"]),
            "sensors": [s["id"] for s in sensors if s["node_id"] == row["id"]],
            "outputs": [o["id"] for o in outputs if o["node_id"] == row["id"]],
        }

    @op("GET", "/v1/nodes", summary="Nodes with last seen, address and version.", tag="nodes",
        response="NodeList")
    def list_nodes(self, call):
        return {"nodes": [self._node_json(row) for row in self.live.node_list()]}

    @op("GET", "/v1/nodes/{node_id}", summary="One node.", tag="nodes", response="Node")
    def get_node(self, call):
        row = self.live.nodes.get(call.params["node_id"])
        if row is None:
            raise not_found(f"no node {call.params['node_id']!r}")
        return self._node_json(row)

    @op("DELETE", "/v1/nodes/{node_id}", summary="Forget a node and revoke its tokens; its sensors "
        "and outputs keep their history.", tag="nodes", status=204)
    @inlineCallbacks
    def delete_node(self, call):
        node_id = call.params["node_id"]
        yield self.store.delete_node(node_id, self.now())
        self.tokens.forget_node(node_id)
        self.live.forget_node(node_id)
        self.on_change("nodes")
