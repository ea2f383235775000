"""JSON in and out of Twisted requests, and the error envelope.

Klein sends an empty body for a returned dict, so every response goes through
:func:`json_response` (or, for other media types, :func:`send`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
from collections import OrderedDict
from typing import Any

MAX_BODY = 64 * 1024


class ApiError(Exception):
    """An error the client caused or should know about; becomes the JSON error envelope."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def envelope(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def unprocessable(message: str, details: Any = None) -> ApiError:
    return ApiError(422, "invalid", message, details)


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")


class Encoded(bytes):
    """JSON already encoded: a handler that keeps the bytes of an answer between changes
    returns them as this, and they are sent as they are."""


def json_response(request, payload: Any, status: int = 200) -> bytes:
    if status == 204:
        request.setResponseCode(status)
        request.setHeader(b"cache-control", b"no-store")
        return b""
    body = payload if isinstance(payload, Encoded) else encode(payload)
    return send(request, body, b"application/json", status)


def send(request, body: bytes, content_type: bytes, status: int = 200) -> bytes:
    """Every answer with a body leaves through here. A successful read carries an
    ``ETag`` (a hash of its bytes): a client that sends it back in ``If-None-Match``
    gets a bodiless 304 when nothing changed, and a large body goes gzipped to a client
    that accepts it. Anything else is never stored by a cache."""
    request.setResponseCode(status)
    request.setHeader(b"content-type", content_type)
    if status != 200 or request.method not in (b"GET", b"HEAD"):
        request.setHeader(b"cache-control", b"no-store")
        return _sized(request, body)
    request.setHeader(b"cache-control", b"private, no-cache")
    tag = hashlib.blake2b(body, digest_size=12).hexdigest()
    zipped = len(body) >= GZIP_MIN and _accepts_gzip(request)
    if len(body) >= GZIP_MIN:
        request.setHeader(b"vary", b"Accept-Encoding")
    etag = f'"{tag}-gz"' if zipped else f'"{tag}"'
    request.setHeader(b"etag", etag.encode("ascii"))
    if _matches(request.getHeader(b"if-none-match"), tag):
        request.setResponseCode(304)
        return b""
    if zipped:
        request.setHeader(b"content-encoding", b"gzip")
        return _sized(request, _gzipped(tag, body))
    return _sized(request, body)


def _sized(request, body: bytes) -> bytes:
    """A known length: sent as it is rather than in chunks."""
    request.setHeader(b"content-length", b"%d" % len(body))
    return body


GZIP_MIN = 1400  # about one packet: smaller bodies gain nothing from compression
_GZIP_KEPT = 32
_zipped: OrderedDict[str, bytes] = OrderedDict()


def _gzipped(tag: str, body: bytes) -> bytes:
    """The body compressed, kept for the few bodies most recently sent: polling clients
    ask for the same ones again and again."""
    found = _zipped.get(tag)
    if found is None:
        found = _zipped[tag] = gzip.compress(body, compresslevel=6, mtime=0)
        if len(_zipped) > _GZIP_KEPT:
            _zipped.popitem(last=False)
    else:
        _zipped.move_to_end(tag)
    return found


def _accepts_gzip(request) -> bool:
    accepted = request.getHeader(b"accept-encoding") or b""
    for item in accepted.lower().split(b","):
        name, _, params = item.strip().partition(b";")
        if name.strip() == b"gzip":
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


def _matches(header: bytes | None, tag: str) -> bool:
    """Does ``If-None-Match`` name this body, in either encoding (``W/`` tags compare weakly)?"""
    if not header:
        return False
    wanted = header.decode("latin-1").strip()
    if wanted == "*":
        return True
    return any(item.strip().removeprefix("W/").strip('"').removesuffix("-gz") == tag
               for item in wanted.split(","))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def read_json(request, max_bytes: int = MAX_BODY) -> Any:
    """The request's JSON body: 413 when too large, 400 when it is not strict JSON
    (NaN, Infinity and numbers that overflow a double are refused)."""
    length = request.getHeader(b"content-length")
    if length is not None and length.isdigit() and int(length) > max_bytes:
        raise ApiError(413, "too_large", f"request body is over {max_bytes} bytes")
    raw = request.content.read(max_bytes + 1) if request.content is not None else b""
    if len(raw) > max_bytes:
        raise ApiError(413, "too_large", f"request body is over {max_bytes} bytes")
    if not raw.strip():
        raise ApiError(400, "malformed", "request body is empty; send a JSON object")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except RecursionError:
        raise ApiError(400, "malformed", "request body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed", f"request body is not valid JSON: {exc}") from None
