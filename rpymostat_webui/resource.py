"""The UI's files, served from memory with a strict Content-Security-Policy.

The app is a few hashed files built by esbuild (``webui/build.mjs``) plus ``index.html``,
each also stored gzipped: they are read once at start, so serving one costs a dict look-up.
``index.html`` is revalidated on every load and names the hashed files, which are cached
for a year. The page may run only its own scripts and styles and talk only to its own
origin (``connect-src 'self'``): the API answers on the same origin, the hub's or the
standalone server's that proxies it.

Every request passes the API's :class:`~rpymostat.web.gate.Gate` first (Host and Origin),
so a page on a name the hub does not know (DNS rebinding) gets nothing, the app included.
"""

from __future__ import annotations

import gzip
import mimetypes
from pathlib import Path

import attrs
from twisted.web.resource import Resource

from rpymostat.web.http import ApiError, json_response

STATIC = Path(__file__).resolve().parent / "static"
INDEX = "index.html"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".json": "application/json",
         ".webmanifest": "application/manifest+json"}


@attrs.frozen
class Asset:
    body: bytes
    gzipped: bytes
    content_type: str
    immutable: bool


def load_assets(root: Path = STATIC) -> dict[str, Asset]:
    """Every built file under ``root`` by its path in the URL; empty when the UI is not built."""
    if not (root / INDEX).is_file():
        return {}
    assets = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".gz":
            continue
        name = path.relative_to(root).as_posix()
        body = path.read_bytes()
        packed = path.with_name(path.name + ".gz")
        gzipped = packed.read_bytes() if packed.is_file() else gzip.compress(body, 9, mtime=0)
        kind = TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
        assets[name] = Asset(body, gzipped, kind, immutable=name.startswith("assets/"))
    return assets


def built(root: Path = STATIC) -> bool:
    return (root / INDEX).is_file()


def _accepts_gzip(request) -> bool:
    header = request.getHeader(b"accept-encoding") or b""
    return any(part.split(b";")[0].strip() == b"gzip" for part in header.split(b","))


class UIResource(Resource):
    """The app's files at ``/`` (``index.html``) and ``/assets/...``; ``gate`` is the API's."""

    isLeaf = True

    def __init__(self, gate, assets: dict[str, Asset] | None = None):
        super().__init__()
        self.gate = gate
        self.assets = load_assets() if assets is None else assets

    def render(self, request):
        try:
            self.gate.admit(request, credentials=False)
        except ApiError as error:
            return json_response(request, error.envelope(), error.status)
        if request.method not in (b"GET", b"HEAD"):
            request.setHeader(b"allow", b"GET, HEAD")
            return json_response(request, ApiError(405, "method_not_allowed", "the UI's files are read-only"
                                                   ).envelope(), 405)
        name = b"/".join(request.postpath).decode("utf-8", "replace") or INDEX
        asset = self.assets.get(name)
        if asset is None:
            return json_response(request, ApiError(404, "not_found", "no such file").envelope(), 404)
        return self._send(request, asset)

    @staticmethod
    def _send(request, asset: Asset) -> bytes:
        for header, value in SECURITY_HEADERS.items():
            request.setHeader(header, value)
        request.setHeader(b"content-type", asset.content_type.encode())
        request.setHeader(b"vary", b"Accept-Encoding")
        request.setHeader(b"cache-control", b"public, max-age=31536000, immutable" if asset.immutable
                          else b"no-cache")
        body = asset.body
        if _accepts_gzip(request):
            request.setHeader(b"content-encoding", b"gzip")
            body = asset.gzipped
        request.setHeader(b"content-length", str(len(body)).encode())
        return b"" if request.method == b"HEAD" else body


def is_ui_path(request) -> bool:
    """The page (``/``, ``/index.html``) and its files (``/assets/...``); every other path is
    the API's (``/v1/...``, ``/metrics``, and the API's own 404 for what no one serves)."""
    path = request.postpath
    return path in ([], [b""], [INDEX.encode()]) or path[:1] == [b"assets"]


class WithUI(Resource):
    """The UI's paths to the UI, the rest to the API: a leaf at the root, so that the API
    resource sees the whole path as it does when it is the root itself."""

    isLeaf = True

    def __init__(self, api, ui: UIResource):
        super().__init__()
        self.api = api
        self.ui = ui

    def render(self, request):
        return (self.ui if is_ui_path(request) else self.api).render(request)


def mount(api_resource, gate, assets: dict[str, Asset] | None = None):
    """The API with the UI beside it, or the API alone when the UI was not built."""
    assets = load_assets() if assets is None else assets
    if not assets:
        return api_resource
    return WithUI(api_resource, UIResource(gate, assets))
