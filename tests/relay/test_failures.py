"""What the relay node does when switching or reporting fails: the failures it expects
(the hardware's ``RelayError``, a journal it cannot write, an absent hub) are said at warn
and worked around; any other error fails ``crashed``, which stops the daemon and with it
switches every output off."""

from __future__ import annotations

import pytest
from twisted.internet.defer import fail, succeed
from twisted.logger import LogLevel, capturedLogs, formatEvent

from rpymostat_relay.daemon import RelayNode
from rpymostat_relay.drivers import RelayError
from rpymostat_relay.outputs import RETRY_OFF_S
from tests.relay.test_api import Relay


def refusing_off(relay: Relay, error: Exception, times: int) -> None:
    """The driver fails the next ``times`` switches off with ``error``."""
    real_set, left = relay.driver.set, [times]

    def set_(output_id, on, lease_s=None):
        if not on and left[0] > 0:
            left[0] -= 1
            raise error
        real_set(output_id, on, lease_s)

    relay.driver.set = set_


@pytest.mark.parametrize("error", [RelayError("relay board not answering"), OSError("journal: disk full")])
def test_an_expected_failure_after_a_lease_is_said_at_warn_and_the_off_tried_again(error):
    relay = Relay()
    relay.put("heat", {"state": "on", "lease_s": 10})
    refusing_off(relay, error, times=2)
    with capturedLogs() as events:
        relay.advance(10)
        assert relay.state()["heat"] is True
        relay.advance(RETRY_OFF_S)
        assert relay.state()["heat"] is True
        relay.advance(RETRY_OFF_S)
    assert relay.state()["heat"] is False
    retries = [e for e in events if "could not switch heat off after its lease" in formatEvent(e)]
    assert len(retries) == 2 and {e["log_level"] for e in retries} == {LogLevel.warn}
    assert not relay.bank.crashed.called


def test_any_other_failure_after_a_lease_stops_the_node():
    relay = Relay()
    relay.put("heat", {"state": "on", "lease_s": 10})
    refusing_off(relay, TypeError("a fault in the driver"), times=1)
    crashes = []
    relay.bank.crashed.addErrback(crashes.append)
    for _ in range(5):
        relay.advance(10)
    assert [failure.type for failure in crashes] == [TypeError]


def test_a_failed_on_is_said_at_warn_and_the_output_switched_off():
    relay = Relay()
    real_set = relay.driver.set

    def set_(output_id, on, lease_s=None):
        if on:
            raise RelayError("relay board not answering")
        real_set(output_id, on, lease_s)

    relay.driver.set = set_
    with capturedLogs() as events:
        code, _ = relay.put("heat", {"state": "on", "lease_s": 30})
    assert code >= 400 and relay.state()["heat"] is False
    said = [e for e in events if "could not switch heat on" in formatEvent(e)]
    assert [e["log_level"] for e in said] == [LogLevel.warn]


class Link:
    """A linked hub link whose calls answer with ``outcome``."""

    def __init__(self, outcome):
        self.client = object()
        self.outcome = outcome

    def call(self, *args):
        return self.outcome()


def node_of(relay: Relay, outcome) -> RelayNode:
    node = RelayNode(bank=relay.bank, api=relay.api, node_id="relay-1", name="Boiler relay", port=8574)
    node.link = Link(outcome)
    return node


def test_a_report_that_fails_unexpectedly_stops_the_node():
    node = node_of(Relay(), lambda: fail(KeyError("reply without a field")))
    crashes = []
    node.crashed.addErrback(crashes.append)
    node.output_changed("heat", True, 0.0, "command")
    assert [failure.type for failure in crashes] == [KeyError]


def test_reports_that_reach_the_hub_leave_the_node_running():
    node = node_of(Relay(), lambda: succeed(None))
    node.output_changed("heat", True, 0.0, "command")
    assert node.pending == {} and not node.crashed.called
