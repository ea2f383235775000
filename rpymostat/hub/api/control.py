"""Control routes (DESIGN §4, §6): the decision log, and the control loop's view of a zone
in ``GET /v1/zones/{id}/state``. A mixin of ``HubAPI``, placed before ``ScheduleAPI`` so
that its ``zone_runtime`` is the one the state route calls.

``control`` is the API's control loop (:class:`rpymostat.hub.control.ControlService`); an API
without one (some tests) answers the decision log from the store and adds nothing to zone states.
"""

from __future__ import annotations

from datetime import timedelta

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.timeutil import format_time
from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import ZONE_ID_MAX, add_schemas, obj, ref
from rpymostat.hub.api.window import TIME_QUERY, query_window
from rpymostat.web.routing import Param

DECISIONS_DEFAULT = timedelta(days=1)
DECISIONS_MAX_WINDOW = timedelta(days=31)
DECISIONS_LIMIT = 1000
DECISIONS_LIMIT_MAX = 10_000
_Commands = obj({f: {"type": "string", "enum": ["on", "off"]} for f in ("heat", "aux", "cool", "fan")})

add_schemas({
    "Decision": obj(
        {"time": {"type": "string", "format": "date-time"},
         "action": {"type": "string", "enum": ["idle", "heating", "cooling", "fan"]},
         "commands": _Commands,
         "reason": {"type": "string", "description": "In words: the plugin's reason, the rule, "
                                                     "what the guard changed, relay events."},
         "data": {"type": "object", "description": "The same as data: temperature and sensors "
                                                   "used, target, rule, proposal, guard changes, "
                                                   "alarms, recheck time, relay events."}},
        required=["time", "action", "commands", "reason", "data"],
    ),
    "DecisionList": obj(
        {"zone_id": {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
         "from": {"type": "string", "format": "date-time"},
         "to": {"type": "string", "format": "date-time"},
         "decisions": {"type": "array", "items": ref("Decision")},
         "truncated": {"type": "boolean", "description": "More decisions fell in the window than "
                                                         "`limit`, or the window asked for was "
                                                         "longer than 31 days: these are the "
                                                         "newest."}},
        required=["zone_id", "from", "to", "decisions", "truncated"],
    ),
})


class ControlAPI:
    def zone_runtime(self, zone_id: int):
        return None if self.control is None else self.control.zone_runtime(zone_id)

    @op("GET", "/v1/zones/{zone_id}/decisions", summary="The zone's decision log over [from, to]: "
        "what was decided, when and why. Kept when a decision changes, and every 10 minutes "
        "while it does not.", tag="control", response="DecisionList",
        query=(Param("from", TIME_QUERY, description="Default: `to` − 1 day."),
               Param("to", TIME_QUERY, description="Default: now. A window longer than 31 days "
                     "keeps its last 31; `to` not after `from`: no decisions."),
               Param("limit", {"type": "integer", "minimum": 1, "maximum": DECISIONS_LIMIT_MAX},
                     description=f"Most decisions returned (the newest); default {DECISIONS_LIMIT}.")))
    @inlineCallbacks
    def zone_decisions(self, call):
        zone_id = call.params["zone_id"]
        query = call.query
        window = query_window(query, self._now_dt(), default=DECISIONS_DEFAULT, longest=DECISIONS_MAX_WINDOW,
                              anchor="to")
        start, end = window.start, window.end
        yield self.store.get_zone(zone_id)
        limit = query.get("limit", DECISIONS_LIMIT)
        rows = [] if end <= start else (
            yield self.store.list_decisions(zone_id, start.timestamp(), end.timestamp(), limit + 1))
        return {
            "zone_id": zone_id, "from": format_time(start), "to": format_time(end),
            "decisions": [{"time": format_time(row["time"]), "action": row["action"],
                           "commands": row["commands"], "reason": row["reason"], "data": row["data"]}
                          for row in rows[-limit:]],
            "truncated": window.cut or len(rows) > limit,
        }
