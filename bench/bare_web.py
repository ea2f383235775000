"""The baseline for bench/api.py: a bare twisted.web resource on the same reactor that
parses a JSON body and answers JSON, with none of the hub's routing, auth, validation
or database. Prints its port once listening."""

import json
import sys

from twisted.internet import asyncioreactor

asyncioreactor.install()

from twisted.internet import reactor  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import Site  # noqa: E402


class Echo(Resource):
    isLeaf = True

    def render_GET(self, request):
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"status": "ok"}).encode()

    def render_POST(self, request):
        body = json.loads(request.content.read())
        request.setResponseCode(202)
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"accepted": len(body.get("readings", ()))}).encode()


site = Site(Echo())
site.noisy = False
port = reactor.listenTCP(0, site, interface="127.0.0.1")
print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
sys.stdout.flush()
reactor.run()
