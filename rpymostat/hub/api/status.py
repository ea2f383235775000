"""GET /v1/status: the hub's summary, zones with temperature, target, action and alarms."""

from __future__ import annotations

from rpymostat import __version__
from rpymostat.core.timeutil import format_time
from rpymostat.hub.api.routes import op


class StatusAPI:
    @op("GET", "/v1/status", summary="Hub summary: zones with temperature, target, action, alarms.",
        tag="hub", response="Status")
    def status(self, call):
        live = self.live
        zones, sensors = live.zone_list(), live.sensor_list()
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
            "counts": {"nodes": len(live.nodes), "sensors": len(sensors), "outputs": len(live.outputs),
                       "zones": len(zones)},
        }
