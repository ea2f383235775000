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
