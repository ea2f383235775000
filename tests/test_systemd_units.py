"""The units in systemd/ are what ``rpymostat install-units`` writes for a venv in
/opt/rpymostat on a Raspberry Pi, and give each process the file descriptors its
connection cap needs.

After changing :mod:`rpymostat.runtime.units`: ``python -m tests.test_systemd_units``
writes them again.
"""

from pathlib import Path

import pytest

from rpymostat.runtime.config import DEFAULT_LIMITS
from rpymostat.runtime.units import UnitOptions, units
from rpymostat.web.site import RESERVED_DESCRIPTORS
from rpymostat_relay.config import DEFAULT_MAX_CONNECTIONS

UNITS = Path(__file__).resolve().parent.parent / "systemd"
# A Raspberry Pi running Raspberry Pi OS: it has the gpio and spi groups.
REFERENCE = UnitOptions(venv="/opt/rpymostat", groups=("gpio", "spi"))


def nofile(unit: str) -> tuple[int, int]:
    values = [line.split("=", 1)[1] for line in (UNITS / unit).read_text().splitlines()
              if line.startswith("LimitNOFILE=")]
    assert len(values) == 1, f"{unit} sets LimitNOFILE= once"
    soft, _, hard = values[0].partition(":")
    return int(soft), int(hard or soft)


@pytest.mark.parametrize("name, text", units(REFERENCE).items())
def test_the_units_in_the_repository_are_the_generated_ones(name, text):
    assert (UNITS / name).read_text() == text, "run: python -m tests.test_systemd_units"


def test_no_other_units_in_the_repository():
    assert sorted(path.name for path in UNITS.iterdir()) == sorted(units(REFERENCE))


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


if __name__ == "__main__":
    for name, text in units(REFERENCE).items():
        (UNITS / name).write_text(text)
