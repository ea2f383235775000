"""Zones: their sensors, outputs (by function), default target and settings."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.target import Target
from rpymostat.core.timeutil import format_optional
from rpymostat.hub.api.routes import op
from rpymostat.web.http import conflict, not_found


class ZonesAPI:
    @staticmethod
    def _zone_json(row: dict) -> dict:
        return {"id": row["id"], "name": row["name"], "default_target": row["default_target"],
                "settings": row["settings"], "sensors": row["sensors"], "outputs": row["outputs"],
                "created": format_optional(row["created_at"]), "updated": format_optional(row["updated_at"])}

    def _check_zone_body(self, body: dict, zone_id: int | None = None) -> None:
        """What the hub's state decides (the schema has checked the rest): the sensors and
        outputs named exist and no other zone uses the outputs; all checked before
        anything is stored."""
        sensors, outputs = self.live.sensors, self.live.outputs
        for sensor_id in body.get("sensors", ()):
            if sensor_id not in sensors:
                raise conflict(f"no sensor {sensor_id!r}")
        for output_id in body.get("outputs", {}).values():
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
    def list_zones(self, call):
        return {"zones": [self._zone_json(row) for row in self.live.zone_list()]}

    @op("POST", "/v1/zones", summary="Create a zone.", tag="zones", body="ZoneCreate", response="Zone",
        status=201)
    @inlineCallbacks
    def create_zone(self, call):
        body = dict(call.body)
        body.setdefault("default_target", {"mode": "off"})
        self._check_zone_body(body)
        row = yield self.store.create_zone(body, self.now())
        self.on_change("zones")
        return self._zone_json(row)

    @op("GET", "/v1/zones/{zone_id}", summary="One zone.", tag="zones", response="Zone")
    def get_zone(self, call):
        return self._zone_json(self.known_zone(call.params["zone_id"]))

    def known_zone(self, zone_id: int) -> dict:
        """The zone as the hub holds it, or a 404."""
        row = self.live.zones.get(zone_id)
        if row is None:
            raise not_found(f"no zone {zone_id}")
        return row

    @op("PATCH", "/v1/zones/{zone_id}", summary="Change a zone; `settings` replaces the zone's "
        "overrides as a whole.", tag="zones", body="ZonePatch", response="Zone")
    @inlineCallbacks
    def patch_zone(self, call):
        zone_id = call.params["zone_id"]
        self.known_zone(zone_id)
        body = dict(call.body)
        self._check_zone_body(body, zone_id)
        row = yield self.store.patch_zone(zone_id, body, self.now())
        self.on_change("zones")
        return self._zone_json(row)

    @op("DELETE", "/v1/zones/{zone_id}", summary="Delete a zone; its sensors and outputs are "
        "unassigned.", tag="zones", status=204)
    @inlineCallbacks
    def delete_zone(self, call):
        yield self.store.delete_zone(call.params["zone_id"])
        self.on_change("zones")
