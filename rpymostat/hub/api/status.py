"""GET /v1/status: the hub's summary, zones with temperature, target, action and alarms."""

from __future__ import annotations

import math

from rpymostat import __version__
from rpymostat.core.timeutil import format_time
from rpymostat.hub.api.routes import op
from rpymostat.web.http import Encoded, encode


class StatusAPI:
    """The status is what the UI polls, so its bytes are kept and sent again until
    something it shows changes: the live state, a change the API reported, a decision of
    the control loop or its own alarms, or the second (its time and staleness)."""

    @op("GET", "/v1/status", summary="Hub summary: zones with temperature, target, action, alarms.",
        tag="hub", response="Status")
    def status(self, call):
        now = math.floor(self.now())
        views = () if self.control is None else tuple(self.control.views.values())
        key = (self.change_count, self.live.version, now, tuple(map(id, views)),
               () if self.control is None else self.control.service_alarms())
        kept = self.status_kept
        if kept is not None and kept[0] == key:
            return kept[1]
        body = Encoded(encode(self.status_now(now)))
        self.status_kept = (key, body, views)  # the views kept alive: their ids stay theirs
        return body

    def status_now(self, now: float) -> dict:
        live = self.live
        zones, sensors = live.zone_list(), live.sensor_list()
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
            "counts": {"nodes": len(live.nodes), "sensors": len(sensors), "outputs": len(live.outputs),
                       "zones": len(zones)},
        }
