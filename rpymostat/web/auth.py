"""Bearer credentials in requests: read them, and refuse them in the API's own words.

The hub's tokens and roles are the hub's (:mod:`rpymostat.hub.auth`); the relay node knows
only the one command token its hub gave it.
"""

from __future__ import annotations

from rpymostat.web.http import ApiError


def bearer(request) -> str | None:
    header = request.getHeader(b"authorization")
    if not header:
        return None
    header = header.decode("utf-8", "replace") if isinstance(header, bytes) else header
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthorized(message: str = "a valid bearer token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)


class WrongCredential(ApiError):
    """A token or enrollment key was presented and is not valid: a failed authentication,
    which the request gate counts against the client's address."""

    def __init__(self, message: str):
        super().__init__(401, "unauthorized", message)
