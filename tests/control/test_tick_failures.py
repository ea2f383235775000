"""What a tick does when it fails: a history write the database refuses is kept and
written later (an alarm once it keeps failing); any other failure is a bug, logged as
one, shown as an alarm, and the relays' leases are left to run out until a tick works."""

import pytest
from twisted.internet.defer import fail

from rpymostat.core.errors import Unavailable
from tests.control.rig import HEAT, Rig
from tests.control.test_tick_race import Errors


@pytest.fixture
def rig(tmp_path):
    r = Rig(f"sqlite:///{tmp_path / 'hub.db'}", settings={"min_off_s": 60, "min_run_s": 60})
    yield r
    r.close()


class Refusing:
    """The control service's store, with writes refused while ``down``."""

    def __init__(self, store):
        self.store = store
        self.down = True

    def record_control(self, *args):
        if self.down:
            return fail(Unavailable("the control history could not be written: disk I/O error"))
        return self.store.record_control(*args)

    def __getattr__(self, name):
        return getattr(self.store, name)


def codes(rig):
    return [a["code"] for a in rig.state()["alarms"]]


@pytest.mark.logs_errors("the control history could not be written: disk I/O error")
def test_a_refused_write_is_kept_and_written_later_with_an_alarm_while_it_lasts(rig):
    t0 = rig.starts[0]
    before = rig.decisions()  # the first tick's, with no reading yet
    refusing = rig.control.store = Refusing(rig.control.store)
    with Errors() as errors:
        rig.feed(18.0, until=t0 + 60)  # no heat yet: the start-up off time
        assert rig.decisions() == before and codes(rig) == ["history_unwritten"]
        rig.feed(18.0, until=t0 + 90)  # heat on at t0 + 60, its switch event not written either
        assert rig.relay.on(HEAT)
    assert [e["log_level"].name for e in errors.events] == ["error"]  # said once, not every tick
    refusing.down = False
    rig.reading(18.0)
    logged = rig.decisions()[len(before):]
    assert [(d["time"], d["action"]) for d in logged[:2]] == [("2026-09-21T14:13:20Z", "idle"),
                                                               ("2026-09-21T14:14:20Z", "heating")]
    assert codes(rig) == []
    (heat,) = [r for r in rig.hub.raw_store.switch_history(0) if r["function"] == "heat"]
    assert (heat["on"], heat["last_on"]) == (True, t0 + 60)


class Broken:
    name = "mean"
    settings_schema = {}

    def aggregate(self, *args, **kwargs):
        raise RuntimeError("a bug")


@pytest.mark.logs_errors("control tick failed; relay leases are no longer renewed")
def test_any_other_failure_is_logged_shown_and_lets_the_leases_run_out_until_a_tick_works(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 70)
    assert rig.relay.on(HEAT)
    working = rig.control.aggregators["mean"]
    rig.control.aggregators["mean"] = Broken()
    with Errors() as errors:
        rig.reading(18.0)
        assert [e["log_failure"].getErrorMessage() for e in errors.events] == ["a bug"]
        assert codes(rig) == ["control_failed"]
        assert rig.hub.call("GET", "/v1/status").body["alarms"][0]["code"] == "control_failed"
        lease_end = rig.relay.bank.states[HEAT].lease_until
        rig.feed(18.0, until=lease_end + 1)
    assert not rig.relay.on(HEAT) and rig.relay.events[-1][3] == "lease_expired"
    assert {(e["log_failure"].getErrorMessage()) for e in errors.events} == {"a bug"}
    rig.control.aggregators["mean"] = working
    rig.feed(18.0, until=lease_end + 61)  # the minimum off time from the lease's end
    assert rig.relay.on(HEAT) and codes(rig) == []
