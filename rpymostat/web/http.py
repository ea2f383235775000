"""JSON in and out of Twisted requests, and the error envelope.

Klein sends an empty body for a returned dict, so every response goes through
:func:`json_response`.
"""

from __future__ import annotations

import json
import math
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


def json_response(request, payload: Any, status: int = 200) -> bytes:
    request.setResponseCode(status)
    request.setHeader(b"content-type", b"application/json")
    request.setHeader(b"cache-control", b"no-store")
    if status == 204:
        return b""
    return encode(payload)


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
