"""Sign-in links: a browser gets its own admin token without anyone pasting one.

``rpymostat login-link`` (or the hub at its first start, or the demo) makes a one-time
code that lives ``LOGIN_CODE_TTL_S`` and prints a link holding it in the URL's fragment
(``/#/signin/<code>``), which browsers never send to a server, so the code stays out of
logs and Referer headers. The page trades it (``POST /v1/login``) for a new, named admin
token, kept in the browser's storage and sent as a header; revoking that token (``DELETE
/v1/tokens/{id}``) signs the browser out.

Codes live in the database beside the hub (the command runs as a separate process), only
as hashes in the ``meta`` table, and are consumed by a ``DELETE`` whose row count says
whether this exchange was the one that took it: a code signs in one browser, however many
try it at once.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, select

from rpymostat.hub.store.schema import meta

LOGIN_CODE_TTL_S = 600.0
_PREFIX = "login:"
BROWSER_PREFIX = "browser: "


def _key(code: str) -> str:
    # meta keys hold 64 characters: the prefix and 58 hex digits (232 bits) of the hash
    return _PREFIX + hashlib.sha256(code.encode("utf-8")).hexdigest()[: 64 - len(_PREFIX)]


def _purge_expired(conn, now: float) -> None:
    rows = conn.execute(select(meta.c.key, meta.c.value).where(meta.c.key.like(_PREFIX + "%"))).all()
    gone = [key for key, value in rows if float(value) <= now]
    if gone:
        conn.execute(delete(meta).where(meta.c.key.in_(gone)))


def new_login_code(store, now: float, ttl_s: float = LOGIN_CODE_TTL_S) -> str:
    """A fresh one-time code (128 bits, URL-safe), stored as a hash until it expires."""
    code = secrets.token_urlsafe(16)
    with store.engine.begin() as conn:
        _purge_expired(conn, now)
        conn.execute(meta.insert().values(key=_key(code), value=repr(now + ttl_s)))
    return code


def redeem_login_code(store, code: str, name: str, now: float) -> tuple[dict, str] | None:
    """The new token (row, secret) for a valid code, which is used up; None for a code
    that is unknown, used or expired."""
    key = _key(code)
    with store.engine.begin() as conn:
        expires = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        if expires is None or conn.execute(delete(meta).where(meta.c.key == key)).rowcount != 1:
            return None
        if float(expires) <= now:
            return None
        return store._insert_token(conn, "admin", (BROWSER_PREFIX + name)[:100], now, None)


def sign_in_url(base: str, code: str) -> str:
    return f"{base.rstrip('/')}/#/signin/{code}"


def hub_base_url(config) -> str:
    """Where this machine's hub answers, as its configuration says (a wildcard listen
    address becomes loopback: the link is opened on the hub's machine or given ``--url``)."""
    host = "127.0.0.1" if config.listen in ("0.0.0.0", "::", "") else config.listen
    host = f"[{host}]" if ":" in host else host
    return f"{'https' if config.tls else 'http'}://{host}:{config.port}"


def login_link_command(args, config) -> int:
    """``rpymostat login-link``: a one-time sign-in link, printed alone on stdout."""
    import sys
    import time

    from rpymostat.hub.cli import _with_store

    if not 1 <= args.minutes <= 1440:
        print("rpymostat: --minutes must be within 1..1440", file=sys.stderr)
        return 2

    def work(store) -> int:
        code = new_login_code(store, time.time(), args.minutes * 60.0)
        print(sign_in_url(args.url or hub_base_url(config), code))
        return 0

    return _with_store(config, work)
