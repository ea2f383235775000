"""Bearer tokens: who is calling, and may they.

Tokens are stored as SHA-256 hashes. The hub keeps the active ones in memory, compares
the presented token's hash against each in constant time, and asks the database only
on a miss (a token made by ``rpymostat token create`` while the hub runs).
"""

from __future__ import annotations

import hmac

import attrs

from rpymostat.api.http import ApiError
from rpymostat.tokens import hash_token

ROLES = ("admin", "device")


@attrs.frozen
class Principal:
    token_id: int | None
    role: str
    name: str
    node_id: str | None = None

    def may_act_for(self, node_id: str) -> bool:
        """A device token speaks for its own node only; one bound to no node (made before
        every device token had one) speaks for none."""
        return self.role == "admin" or (self.node_id is not None and self.node_id == node_id)


ENROLLMENT = "enrollment"


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


class TokenBook:
    """The active tokens by hash, plus the enrollment key's hash."""

    def __init__(self, store, enrollment_key_hash: str | None = None):
        self._store = store
        self._active: dict[str, Principal] = {}
        self.enrollment_key_hash = enrollment_key_hash

    def load(self, rows: list[dict]) -> None:
        self._active = {row["token_hash"]: _principal(row) for row in rows if row["revoked_at"] is None}

    def add(self, row: dict) -> None:
        self._active[row["token_hash"]] = _principal(row)

    def forget(self, token_id: int) -> None:
        self._active = {h: p for h, p in self._active.items() if p.token_id != token_id}

    def forget_node(self, node_id: str) -> None:
        self._active = {h: p for h, p in self._active.items() if p.node_id != node_id}

    def _match(self, presented_hash: str) -> Principal | None:
        found = None
        for known, principal in self._active.items():
            if hmac.compare_digest(known, presented_hash):
                found = principal
        return found

    def is_enrollment_key(self, token: str) -> bool:
        return self.enrollment_key_hash is not None and hmac.compare_digest(
            self.enrollment_key_hash, hash_token(token))

    def lookup(self, token: str) -> Principal | None:
        """The principal of an active token known in memory, or None."""
        return self._match(hash_token(token))

    def reload(self):
        """A Deferred that fires once the active tokens are read again from the database
        (tokens made by ``rpymostat token create`` while the hub runs)."""
        return self._store.active_tokens().addCallback(self.load)


def _principal(row: dict) -> Principal:
    return Principal(token_id=row["id"], role=row["role"], name=row["name"], node_id=row["node_id"])
