"""The hub's REST API v1 (DESIGN §4), assembled from its route groups (one module each);
here: the API object, its auth, health and the OpenAPI document."""

from __future__ import annotations

from typing import Callable, Protocol

from twisted.internet.defer import Deferred

from rpymostat import __version__
from rpymostat.core.settings import effective
from rpymostat.hub.api.control import ControlAPI
from rpymostat.hub.api.events import EventsAPI
from rpymostat.hub.api.formats import FORMATS
from rpymostat.hub.api.history import HistoryAPI
from rpymostat.hub.api.login import LoginAPI
from rpymostat.hub.api.metrics import MetricsAPI
from rpymostat.hub.api.nodes import NodesAPI
from rpymostat.hub.api.outputs import OutputsAPI
from rpymostat.hub.api.readings import ReadingsAPI
from rpymostat.hub.api.routes import op, routes
from rpymostat.hub.api.schedule import ScheduleAPI
from rpymostat.hub.api.schemas import SCHEMAS
from rpymostat.hub.api.sensors import SensorsAPI
from rpymostat.hub.api.settings import SettingsAPI
from rpymostat.hub.api.status import StatusAPI
from rpymostat.hub.api.tokens import TokensAPI
from rpymostat.hub.api.zones import ZonesAPI
from rpymostat.hub.auth import CALLERS, ENROLLMENT, Principal, TokenBook
from rpymostat.hub.events import Events
from rpymostat.hub.live import Live
from rpymostat.hub.metrics import HubMetrics
from rpymostat.hub.status import basic_zone_status
from rpymostat.web.auth import WrongCredential, bearer, unauthorized
from rpymostat.web.gate import Gate
from rpymostat.web.http import ApiError
from rpymostat.web.routing import Validators


class ControlLoop(Protocol):
    """What the API needs of the control loop (``rpymostat.hub.control.ControlService``)."""

    def changed(self, kind: str) -> None: ...

    def zone_status(self, zone: dict, sensors: list[dict], settings: dict, now: float) -> dict: ...

    def zone_runtime(self, zone_id: int) -> dict | None: ...


def _changes_to(*listeners: Callable[[str], None] | None) -> Callable[[str], None]:
    def changed(kind: str) -> None:
        for listener in listeners:
            if listener is not None:
                listener(kind)

    return changed


class HubAPI(StatusAPI, NodesAPI, SensorsAPI, ReadingsAPI, OutputsAPI, ZonesAPI, SettingsAPI, TokensAPI,
             ControlAPI, ScheduleAPI, MetricsAPI, HistoryAPI, LoginAPI, EventsAPI):
    """The hub's API resource. Collaborators are injected so that tests run it in memory
    (StubTreq, a Clock, the store called inline) and the hub runs it for real."""

    app = routes.app
    routes = routes

    def __init__(self, *, store, writer, tokens: TokenBook, live: Live, clock, hub_id: str,
                 system: str, settings: dict, started_at: float,
                 control: Callable[[HubAPI], ControlLoop] | None = None,
                 on_change: Callable[[str], None] | None = None, gate: Gate | None = None,
                 metrics: HubMetrics | None = None, metrics_open: bool = False,
                 events: Events | None = None, real_clock=None):
        """``control`` makes the hub's control loop from this API (its inputs); the loop
        hears every change the API reports, and its view fills the status and zone state
        routes. ``on_change`` hears the changes as well (tests)."""
        self.store = store
        self.writer = writer
        self.tokens = tokens
        self.live = live
        self.clock = clock
        self.hub_id = hub_id
        self.system = system
        self.settings = effective(settings)
        self.started_at = started_at
        self.events = events or Events()
        # Real time even when the hub's clock runs fast (the demo): heartbeats, sign-in codes.
        self.real_clock = real_clock or clock
        live.on_moved = self.events.readings
        self.gate = gate or Gate(clock)
        self.metrics = metrics if metrics is not None else HubMetrics()
        self.metrics.watch(self)
        self.metrics_open = metrics_open
        self.control = None if control is None else control(self)
        self.zone_status = basic_zone_status if self.control is None else self.control.zone_status
        self.on_change = _changes_to(self.events.changed, on_change,
                                     None if self.control is None else self.control.changed)
        self.document = self.build_openapi()
        self.validators = Validators(self.document, FORMATS)

    def resource(self):
        return self.routes.resource(self.app)

    @classmethod
    def build_openapi(cls) -> dict:
        return cls.routes.openapi(
            title="RPyMostat hub API",
            version=__version__,
            description="The hub's REST API. JSON over HTTP; times ISO 8601 (responses in UTC); "
                        "temperatures in °C; errors as {\"error\": {code, message, details}}.",
            schemas=SCHEMAS,
            security_description="An admin or device token, or (for POST /v1/enroll only) the "
                                 "hub's enrollment key.",
            formats=FORMATS,
        )

    def now(self) -> float:
        return self.clock.seconds()

    # -- auth ------------------------------------------------------------

    def authorize(self, request, role: str | None):
        """The caller's Principal (None on public and enrollment routes), or a Deferred of
        it when the token is not known in memory; raises ApiError."""
        if role is None or (role == "metrics" and self.metrics_open):
            return None
        token = bearer(request)
        if token is None:
            raise unauthorized()
        if role == ENROLLMENT:
            if not self.tokens.is_enrollment_key(token):
                raise WrongCredential("the enrollment key is not valid")
            return None
        principal = self.tokens.find(token)
        if isinstance(principal, Deferred):
            return principal.addCallback(self._allowed, role)
        return self._allowed(principal, role)

    @staticmethod
    def _allowed(principal: Principal | None, role: str) -> Principal:
        if principal is None:
            raise WrongCredential("the token is not valid or was revoked")
        if principal.role not in CALLERS[role]:
            raise ApiError(403, "forbidden", f"this route needs an {' or '.join(sorted(CALLERS[role]))} token")
        return principal

    # -- health, status, openapi ------------------------------------------

    @op("GET", "/v1/health", summary="Is the hub up (no token needed).", tag="hub", role=None,
        response="Health")
    def health(self, call):
        return {"status": "ok", "version": __version__, "hub_id": self.hub_id, "system": self.system}

    @op("GET", "/v1/openapi.json", summary="This API's OpenAPI 3.1 document.", tag="hub",
        role="device")
    def openapi(self, call):
        return self.document
