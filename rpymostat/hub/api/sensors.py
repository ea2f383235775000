"""Sensors: alias, zone, last value, staleness; releasing one from its node."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.readings import age_problem
from rpymostat.core.timeutil import format_optional
from rpymostat.hub.api.routes import op
from rpymostat.web.http import conflict


class SensorsAPI:
    def _sensor_json(self, row: dict, now: float) -> dict:
        stale = row["last_time"] is None or age_problem(
            row["last_time"], now, self.settings["report_interval_s"],
            self.settings["stale_after_intervals"]) is not None
        return {"id": row["id"], "node_id": row["node_id"], "type": row["type"], "name": row["name"],
                "alias": row["alias"], "zone_id": row["zone_id"], "last_value": row["last_value"],
                "last_seen": format_optional(row["last_time"]), "stale": stale}

    @op("GET", "/v1/sensors", summary="Sensors with alias, zone, last value, last seen and staleness.",
        tag="sensors", response="SensorList")
    def list_sensors(self, call):
        now = self.now()
        return {"sensors": [self._sensor_json(row, now) for row in self.live.sensor_list()]}

    @op("PATCH", "/v1/sensors/{sensor_id}", summary="Set a sensor's alias or zone.", tag="sensors",
        body="SensorPatch", response="Sensor")
    @inlineCallbacks
    def patch_sensor(self, call):
        self._zone_exists(call.body.get("zone_id"))
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

    def _zone_exists(self, zone_id) -> None:
        """A zone named in a body must exist: a 409, since the request is well formed and
        the resource it addresses was found; only the hub's state is against it."""
        if zone_id is not None and zone_id not in self.live.zones:
            raise conflict(f"no zone {zone_id}")
