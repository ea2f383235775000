"""What a tick does when it fails: a history write the database refuses is kept and
written later (an alarm once it keeps failing); a tick that fails leaves the relays'
leases to run out until a tick works, with an alarm: a warning when the database could
not be read, a logged bug for any other failure."""

import pytest
from twisted.internet.defer import fail
from twisted.logger import LogLevel, formatEvent

from rpymostat.core.errors import Unavailable
from rpymostat.hub.control import Loop
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


def test_a_refused_write_is_kept_and_written_later_with_an_alarm_while_it_lasts(rig):
    t0 = rig.starts[0]
    before = rig.decisions()  # the first tick's, with no reading yet
    refusing = rig.control.store = Refusing(rig.control.store)
    with Errors() as errors, Errors(LogLevel.warn) as said:
        rig.feed(18.0, until=t0 + 60)  # no heat yet: the start-up off time
        assert rig.decisions() == before and codes(rig) == ["history_unwritten"]
        rig.feed(18.0, until=t0 + 90)  # heat on at t0 + 60, its switch event not written either
        assert rig.relay.on(HEAT)
    assert errors.events == [], "an expected failure, handled: not an error"
    told = [formatEvent(e) for e in said.events if "could not be written" in formatEvent(e)]
    assert len(told) == 2, "when it first fails, and when the alarm is raised; not every tick"
    assert "kept to be written at the next tick" in told[0]
    assert "3 writes in a row failed (alarm history_unwritten); still kept" in told[1]
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


class Unreadable(Refusing):
    """The control service's store, with the configuration unreadable while ``down``."""

    def list_zones(self):
        if self.down:
            return fail(Unavailable("the database is locked"))
        return self.store.list_zones()


def test_a_database_it_cannot_read_holds_the_leases_with_a_warning_until_a_tick_works(rig):
    t0 = rig.starts[0]
    rig.feed(18.0, until=t0 + 70)
    assert rig.relay.on(HEAT)
    unreadable = rig.control.store = Unreadable(rig.control.store)
    with Errors() as errors, Errors(LogLevel.warn) as said:
        rig.hub.call("PATCH", "/v1/zones/1", {"name": "Living room"})  # the configuration must be read again
        rig.settle()
        assert codes(rig) == ["control_failed"]
        assert rig.control.phase is Loop.HELD
        lease_end = rig.relay.bank.states[HEAT].lease_until
        rig.feed(18.0, until=lease_end + 1)
    assert not rig.relay.on(HEAT) and rig.relay.events[-1][3] == "lease_expired"
    assert errors.events == []
    told = {formatEvent(e) for e in said.events if "control tick failed" in formatEvent(e)}
    assert told == {"control tick failed: the database is locked; relay leases are no longer renewed, so the "
                    "outputs go off as they run out, until a tick succeeds"}
    unreadable.down = False
    rig.feed(18.0, until=lease_end + 61)
    assert rig.relay.on(HEAT) and codes(rig) == [] and rig.control.phase is Loop.WAITING


@pytest.mark.logs_errors("a bug")
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
