"""The GET routes answered without Klein answer exactly as through Klein."""

from __future__ import annotations

from klein.resource import KleinResource
from treq.testing import StubTreq

from rpymostat.web.routing import SegmentResource
from tests.api.schedkit import post, recurring, zone_hub
from tests.hubkit import Peers

PATHS = ["/v1/status", "/v1/zones", "/v1/zones/1", "/v1/zones/2", "/v1/zones/01", "/v1/zones/1/",
         "/v1/zones/99999999999", "/v1/zones/1/state", "/v1/zones/1/timeline", "/v1/zones/9/timeline",
         "/v1/zones/1/timeline?from=2026-09-22T00:00:00Z&to=2026-09-23T00:00:00Z",
         "/v1/zones/1/timeline?from=yesterday", "/v1/sensors", "/v1/nodes", "/v1/outputs", "/v1/settings",
         "/v1/health", "/v1/rules?zone_id=1", "/v1/nodes/node-1"]


def answers(hub, resource) -> list:
    hub.client = StubTreq(Peers(resource))
    found = []
    for path in PATHS:
        for token in ("admin", "device", None):
            reply = hub.call("GET", path, token=token)
            found.append((path, token, reply.status, reply.body,
                          reply.headers.getRawHeaders("etag"), reply.headers.getRawHeaders("cache-control")))
    return found


def test_direct_and_klein_answers_are_the_same(hub, monkeypatch):
    zone_hub(hub)
    post(hub, recurring("evenings", "0 18 * * *", "PT4H", 21))
    rendered = []
    monkeypatch.setattr(KleinResource, "render", lambda self, request: _klein_render(self, request, rendered))
    direct = answers(hub, hub.api.resource())
    through_klein = len(rendered)
    rendered.clear()
    plain = answers(hub, SegmentResource(hub.api.app))
    assert direct == plain
    assert len(rendered) == len(PATHS) * 3 and through_klein < len(rendered) / 2


_original = KleinResource.render


def _klein_render(self, request, rendered):
    rendered.append(request.path)
    return _original(self, request)
