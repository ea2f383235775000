"""``GET /v1/events``: the hub's live events as Server-Sent Events (:mod:`rpymostat.hub.events`).

Browsers' ``EventSource`` cannot send an Authorization header, and this API takes no
cookies, so the UI reads the stream with ``fetch``; any SSE client that sends headers works.
"""

from __future__ import annotations

from rpymostat.hub.api.routes import op
from rpymostat.hub.events import EventStream
from rpymostat.web.auth import bearer

DESCRIPTION = ("Events: `reading` {sensor_id, value, time}, `decision` {zone_id, action, reason, "
               "temperature, alarms, ...}, `alarm` {zone_id, alarms} when a zone's alarms change, "
               "`change` {kind} when configuration or the schedule changed; `hello` first, or `reset` "
               "when Last-Event-ID cannot be resumed (reload everything); a comment every 15 s. "
               "The stream ends within 15 s of its token's revocation.")


class EventsAPI:
    @op("GET", "/v1/events", summary="Live updates as Server-Sent Events; resumes after the "
        "Last-Event-ID header. " + DESCRIPTION, tag="hub",
        media={"text/event-stream": {"schema": {"type": "string"}}}, json=False)
    def events(self, call):
        header = call.request.getHeader(b"last-event-id")
        last_id = header.decode("ascii", "replace")[:64] if header else None
        token = bearer(call.request)
        return EventStream(call.request, self.events, self.real_clock, last_id,
                           allowed=lambda: self.tokens.lookup(token) is not None).done
