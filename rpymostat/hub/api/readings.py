"""POST /v1/readings: a node's batch, checked against who owns each sensor, then group-committed."""

from __future__ import annotations

from rpymostat.core.readings import invalid_reason
from rpymostat.core.timeutil import parse_time
from rpymostat.hub.api.routes import op
from rpymostat.web.http import not_found

READINGS_MAX_BODY = 1024 * 1024


class ReadingsAPI:
    @op("POST", "/v1/readings", summary="A node posts a batch of readings (at most 5000).",
        tag="sensors", role="device", body="ReadingBatch", response="ReadingsAccepted", status=202,
        max_body=READINGS_MAX_BODY)
    def post_readings(self, call):
        body = call.body
        node_id = body["node_id"]
        self._speaks_for(call.principal, node_id)
        readings = [(reading["sensor_id"], parse_time(reading["time"]).timestamp(), reading["value"])
                    for reading in body["readings"]]
        if node_id not in self.live.nodes:
            raise not_found(f"no node {node_id!r}; a node registers (POST /v1/nodes) before it posts")
        return self.ingest(node_id, readings)

    def ingest(self, node_id: str, readings: list[tuple[str, float, float]], source: str = "api"):
        """Check each ``(sensor_id, time, value)`` of a registered node (its own sensor, a
        valid value, not from the future) and store the good ones; a Deferred of the
        counts. Every way readings enter the hub (this API, MQTT sensors) comes here."""
        now = self.now()
        rows, errors = [], []
        for index, (sensor_id, when, value) in enumerate(readings):
            reason = (
                "unknown_sensor" if not self.live.owned_by(sensor_id, node_id)
                else invalid_reason(value)
                or ("future" if when - now > self.settings["report_interval_s"] else None)
            )
            if reason:
                errors.append({"index": index, "sensor_id": sensor_id, "reason": reason})
            else:
                rows.append({"sensor_id": sensor_id, "time": when, "value": float(value), "received_at": now})
        unique = {(row["sensor_id"], row["time"]): row for row in rows}

        def stored(new: int) -> dict:
            self.live.record(rows, {node_id: now})
            self.metrics.readings(source, new, len(rows) - new, [error["reason"] for error in errors])
            if new:
                self.on_change("readings")
            return {"accepted": new, "duplicates": len(rows) - new, "rejected": len(errors),
                    "errors": errors[:100],
                    "settings": {"report_interval_s": self.settings["report_interval_s"]}}

        return self.writer.submit(node_id, list(unique.values()), now).addCallback(stored)
