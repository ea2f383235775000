"""Sign-in links: a one-time code becomes a named, revocable admin token of one browser;
a used, expired or wrong code gets nothing and counts as a failed authentication."""

import subprocess
import sys
import threading
import time
from pathlib import Path

from rpymostat.hub.login import LOGIN_CODE_TTL_S, new_login_code, redeem_login_code
from rpymostat.hub.store.store import Store

BIN = Path(sys.executable).parent


def code_of(hub, ttl_s=LOGIN_CODE_TTL_S):
    return new_login_code(hub.raw_store, hub.clock.seconds(), ttl_s)


def test_a_code_signs_one_browser_in_once(any_hub):
    code = code_of(any_hub)
    reply = any_hub.call("POST", "/v1/login", {"code": code, "name": "Firefox on Android"}, token=None)
    assert reply.status == 201, reply.body
    assert reply.body["name"] == "browser: Firefox on Android" and reply.body["role"] == "admin"
    token = reply.body["token"]
    assert any_hub.call("GET", "/v1/status", token=token).status == 200
    again = any_hub.call("POST", "/v1/login", {"code": code}, token=None)
    assert again.status == 401 and "rpymostat login-link" in again.body["error"]["message"]
    listed = {t["id"]: t for t in any_hub.call("GET", "/v1/tokens").body["tokens"]}
    assert listed[reply.body["token_id"]]["name"] == "browser: Firefox on Android"


def test_revoking_the_browsers_token_signs_it_out(hub):
    reply = hub.call("POST", "/v1/login", {"code": code_of(hub)}, token=None)
    token, token_id = reply.body["token"], reply.body["token_id"]
    assert hub.call("DELETE", f"/v1/tokens/{token_id}").status == 204
    assert hub.call("GET", "/v1/status", token=token).status == 401


def test_an_expired_code_is_refused_and_used_up(hub):
    code = code_of(hub, ttl_s=60)
    hub.clock.advance(61)
    before = hub.call("GET", "/v1/tokens").body
    assert hub.call("POST", "/v1/login", {"code": code}, token=None).status == 401
    assert hub.call("GET", "/v1/tokens").body == before
    assert redeem_login_code(hub.raw_store, code, "late", hub.clock.seconds() - 61) is None


def test_wrong_codes_count_as_failed_authentications(hub):
    code = code_of(hub)
    for _ in range(10):
        assert hub.call("POST", "/v1/login", {"code": "guessed-code-0000000"}, token=None).status == 401
    throttled = hub.call("POST", "/v1/login", {"code": code}, token=None)
    assert throttled.status == 429 and throttled.headers.getRawHeaders("retry-after")
    assert hub.call("POST", "/v1/login", {"code": code}, token=None, peer="192.0.2.7").status == 201


def test_expired_codes_are_cleared_when_new_ones_are_made(hub):
    from sqlalchemy import select

    from rpymostat.hub.store.schema import meta

    code_of(hub, ttl_s=60)
    hub.clock.advance(120)
    code_of(hub)
    with hub.raw_store.engine.connect() as conn:
        keys = [k for k in conn.execute(select(meta.c.key)).scalars() if k.startswith("login:")]
    assert len(keys) == 1


def test_racing_exchanges_of_one_code_make_one_token(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.open(1_790_000_000.0)
    code = new_login_code(store, 1_790_000_000.0)
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        redeem_login_code(store, code, "racer", 1_790_000_001.0))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert sum(result is not None for result in results) == 1


def login_link(*args: str) -> subprocess.CompletedProcess:
    """The command as a person runs it: a process of its own (it starts the logging of one)."""
    return subprocess.run([str(BIN / "rpymostat"), *args], capture_output=True, text=True, timeout=60)


def test_login_link_prints_a_link_the_hub_accepts(tmp_path):
    made = login_link("--home", str(tmp_path), "login-link", "--url", "http://thermostat.local:8573/")
    assert made.returncode == 0, made.stderr
    link = made.stdout.strip()
    assert link.startswith("http://thermostat.local:8573/#/signin/")
    store = Store(f"sqlite:///{tmp_path / 'rpymostat.db'}")
    try:
        redeemed = redeem_login_code(store, link.rsplit("/", 1)[1], "cli", time.time())
    finally:
        store.close()
    assert redeemed is not None and redeemed[0]["role"] == "admin"


def test_login_link_without_url_names_the_configured_hub(tmp_path):
    made = login_link("--home", str(tmp_path), "login-link", "--port", "9000", "--no-tls")
    assert made.returncode == 0 and made.stdout.startswith("http://127.0.0.1:9000/#/signin/"), made.stderr
    refused = login_link("--home", str(tmp_path), "login-link", "--minutes", "0")
    assert refused.returncode == 2 and "--minutes" in refused.stderr


def test_codes_expire_in_real_time_whatever_the_hubs_clock(tmp_path):
    """The demo runs the hub's clock fast; a code made from the wall clock still works."""
    from twisted.internet.task import Clock

    from tests.hubkit import Hub

    hub = Hub(f"sqlite:///{tmp_path / 'hub.db'}")
    real = Clock()
    real.advance(hub.clock.seconds())
    hub.api.real_clock = real
    try:
        code = new_login_code(hub.raw_store, real.seconds())
        hub.clock.advance(LOGIN_CODE_TTL_S * 100)  # the hub's clock far ahead, as at speed ×120
        assert hub.call("POST", "/v1/login", {"code": code}, token=None).status == 201
        late = new_login_code(hub.raw_store, real.seconds())
        real.advance(LOGIN_CODE_TTL_S + 1)
        assert hub.call("POST", "/v1/login", {"code": late}, token=None).status == 401
    finally:
        hub.close()
