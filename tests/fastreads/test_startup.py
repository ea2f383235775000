"""While the hub starts, its socket already answers: 503 with Retry-After, as JSON."""

from __future__ import annotations

import json

from twisted.web.test.requesthelper import DummyRequest

from rpymostat.hub.service import Starting


def test_every_path_hears_the_hub_is_starting():
    for path in (b"v1/health", b"v1/status"):
        request = DummyRequest(path.split(b"/"))
        body = Starting().render(request)
        assert request.responseCode == 503
        assert request.responseHeaders.getRawHeaders(b"retry-after") == [b"1"]
        assert json.loads(body)["error"]["code"] == "starting"
