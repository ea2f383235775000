"""GET /metrics: the hub's Prometheus metrics (:mod:`rpymostat.hub.metrics`)."""

from __future__ import annotations

from rpymostat.hub.api.routes import op
from rpymostat.hub.metrics import CONTENT_TYPE
from rpymostat.web.routing import Raw


class MetricsAPI:
    def observe_request(self, operation, request) -> None:
        self.metrics.observe_request(operation.method, operation.path, request)

    @op("GET", "/metrics", summary="Prometheus metrics in the text exposition format: zones, sensors, "
        "readings, relay commands, requests. Needs a metrics (or admin) token unless the hub is "
        "set to serve them openly (metrics_open).", tag="hub", role="metrics",
        media={CONTENT_TYPE: {"schema": {"type": "string"}}}, json=False)
    def metrics_text(self, call):
        return Raw(self.metrics.exposition(), CONTENT_TYPE)
