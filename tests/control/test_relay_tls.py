"""The hub commands an HTTPS relay only while it presents the certificate its node
registered; another certificate is a named problem and the relay hears nothing."""

from __future__ import annotations

import pytest

from tests.control.rig import HEAT, Rig
from tests.hubkit import relay_node

A, B = "a" * 64, "b" * 64


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}", relay_tls=A)
    yield r
    r.close()


def test_the_relay_is_commanded_over_https_with_its_registered_certificate(rig):
    rig.feed(18.0, until=rig.clock.seconds() + 310)
    assert rig.relay.on(HEAT)
    assert all(url.startswith("https://127.0.0.1:8574/") for _, _, url, _ in rig.http.requests)
    assert rig.state()["alarms"] == []


def test_a_relay_presenting_another_certificate_is_not_commanded_and_is_named(rig):
    t0 = rig.clock.seconds()
    rig.feed(18.0, until=t0 + 310)
    assert rig.relay.on(HEAT)
    heard = rig.http.delivered
    rig.http.presented = B  # another machine answers at the relay's address
    rig.feed(18.0, until=t0 + 310 + 60)
    alarms = rig.state()["alarms"]
    assert [a["code"] for a in alarms] == ["relay_certificate_changed"]
    assert f"presented TLS certificate sha256 {B}, not {A} as it registered" in alarms[0]["message"]
    assert any(a["code"] == "relay_certificate_changed" for a in rig.hub.call("GET", "/v1/status").body["alarms"])
    rig.feed(18.0, until=t0 + 310 + 200)
    assert rig.http.delivered == heard, "not one command reached it"
    assert len(rig.http.puts(HEAT)) > 2, "the hub kept trying"
    assert not rig.relay.on(HEAT), "its lease ran out"

    # The relay registers its new certificate over its own authenticated channel: trusted again.
    assert relay_node(rig.hub, outputs=(HEAT,), fingerprint=B).status == 200
    rig.feed(18.0, until=t0 + 310 + 260)
    assert rig.state()["alarms"] == []
    assert rig.http.delivered > heard


def test_a_hub_without_tls_names_the_https_relay_it_cannot_command(tmp_path):
    rig = Rig(f"sqlite:///{tmp_path / 'hub.db'}", relay_tls=A, hub_tls=False)
    try:
        rig.feed(18.0, until=rig.clock.seconds() + 310)
        assert rig.http.requests == []
        alarms = rig.state()["alarms"]
        assert {a["code"] for a in alarms} == {"relay_needs_tls"}
        assert "serves HTTPS but this hub runs with tls = false" in alarms[0]["message"]
    finally:
        rig.close()
