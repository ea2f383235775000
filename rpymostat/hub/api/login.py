"""``POST /v1/login``: a browser trades a sign-in link's one-time code for its own admin
token (:mod:`rpymostat.hub.login`). No bearer token is needed, but a wrong code is a failed
authentication, counted against the caller's address like a wrong token. Codes expire in
real time, whatever speed the hub's own clock runs at (the demo's)."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import add_schemas, obj
from rpymostat.hub.login import redeem_login_code
from rpymostat.web.auth import WrongCredential

add_schemas({
    "LoginCode": obj(
        {"code": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,64}$",
                  "description": "The code of a sign-in link (`rpymostat login-link`)."},
         "name": {"type": "string", "minLength": 1, "maxLength": 80,
                  "description": "What to call this browser in the token list."}},
        required=["code"],
    ),
    "LoginToken": obj(
        {"token": {"type": "string", "description": "An admin token for this browser: send it as "
                                                     "`Authorization: Bearer`."},
         "token_id": {"type": "integer"}, "name": {"type": "string"},
         "role": {"type": "string", "enum": ["admin"]}},
        required=["token", "token_id", "name", "role"],
    ),
})


class LoginAPI:
    @op("POST", "/v1/login", summary="Trade a sign-in link's one-time code for a named admin token "
        "of this browser (revoke it with DELETE /v1/tokens/{token_id}).", tag="tokens", role=None,
        body="LoginCode", response="LoginToken", status=201,
        errors=(("401", "The code is unknown, used or expired."),
                ("429", "Too many failed authentications from this address; see Retry-After.")))
    @inlineCallbacks
    def login(self, call):
        self.gate.not_throttled(call.request)
        body = call.body
        made = yield self.store.run(redeem_login_code, self.store.store, body["code"],
                                    body.get("name", "browser"), self.real_clock.seconds())
        if made is None:
            self.gate.failed(call.request)
            raise WrongCredential("the sign-in code is not valid: it was used, has expired or was "
                                  "mistyped; make a new link with `rpymostat login-link`")
        row, plain = made
        self.tokens.add(row)
        return {"token": plain, "token_id": row["id"], "name": row["name"], "role": "admin"}
