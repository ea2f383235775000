"""Tokens: made with their secret shown once, listed without it, revoked."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.timeutil import format_optional
from rpymostat.hub.api.routes import op


class TokensAPI:
    @staticmethod
    def _token_json(row: dict) -> dict:
        return {"id": row["id"], "name": row["name"], "role": row["role"], "node_id": row["node_id"],
                "created": format_optional(row["created_at"]), "revoked": format_optional(row["revoked_at"])}

    @op("GET", "/v1/tokens", summary="Tokens (never their secrets).", tag="tokens", response="TokenList")
    @inlineCallbacks
    def list_tokens(self, call):
        rows = yield self.store.list_tokens()
        return {"tokens": [self._token_json(row) for row in rows]}

    @op("POST", "/v1/tokens", summary="Create a token; its secret is in this reply only.",
        tag="tokens", body="TokenCreate", response="Token", status=201)
    @inlineCallbacks
    def create_token(self, call):
        body = call.body
        row, plain = yield self.store.create_token(body["role"], body.get("name", body["role"]),
                                                   self.now(), node_id=body.get("node_id"))
        self.tokens.add(row)
        return {**self._token_json(row), "token": plain}

    @op("DELETE", "/v1/tokens/{token_id}", summary="Revoke a token (not the last admin token).",
        tag="tokens", status=204)
    @inlineCallbacks
    def revoke_token(self, call):
        token_id = call.params["token_id"]
        yield self.store.revoke_token(token_id, self.now())
        self.tokens.forget(token_id)
