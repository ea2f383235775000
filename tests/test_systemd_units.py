"""The systemd units give each process the file descriptors its connection cap needs."""

from pathlib import Path

import pytest

from rpymostat.runtime.config import DEFAULT_LIMITS
from rpymostat.web.site import RESERVED_DESCRIPTORS
from rpymostat_relay.config import DEFAULT_MAX_CONNECTIONS

UNITS = Path(__file__).resolve().parent.parent / "systemd"


def nofile(unit: str) -> tuple[int, int]:
    values = [line.split("=", 1)[1] for line in (UNITS / unit).read_text().splitlines()
              if line.startswith("LimitNOFILE=")]
    assert len(values) == 1, f"{unit} sets LimitNOFILE= once"
    soft, _, hard = values[0].partition(":")
    return int(soft), int(hard or soft)


@pytest.mark.parametrize("unit, cap", [
    ("rpymostat-hub.service", DEFAULT_LIMITS.max_connections),
    ("rpymostat-relay.service", DEFAULT_MAX_CONNECTIONS),
])
def test_the_hard_limit_lets_the_default_cap_fit(unit, cap):
    soft, hard = nofile(unit)
    assert soft <= hard
    assert hard >= 2 * cap + RESERVED_DESCRIPTORS


def test_the_sensor_node_has_a_limit_too():
    assert nofile("rpymostat-sensor.service")[1] >= 256
