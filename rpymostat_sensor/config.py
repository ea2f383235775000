"""The sensor node's settings (see :mod:`rpymostat.node.config` for where they come from)."""

from __future__ import annotations

import os
from typing import Any, ClassVar, Mapping

import attrs

from rpymostat.node.config import NodeConfig, driver, load_node_config
from rpymostat.runtime.config import Section, Within, setting
from rpymostat_sensor.queue import DEFAULT_MAX_ENTRIES


@attrs.frozen(kw_only=True)
class SensorConfig(NodeConfig):
    SECTION: ClassVar[Section] = Section("sensor", "sensor.toml", "RPYMOSTAT_SENSOR_")

    driver: str = driver("w1")
    report_interval_s: int = setting(30, flag="--report-interval", metavar="SECONDS", validator=Within(1, 3600),
                                     help="seconds between reports until the hub says otherwise")
    retention_days: float = setting(7.0, flag="--retention-days", validator=Within(0, 366, above=True),
                                    help="how long undelivered readings are kept")
    max_queued: int = setting(DEFAULT_MAX_ENTRIES, validator=Within(1),
                              help="the most undelivered readings kept; the oldest go first")


def load_sensor_config(config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                       flags: Mapping[str, Any] = {}) -> SensorConfig:
    return load_node_config(SensorConfig, config_file, environ, flags, "rpymostat_sensor.drivers")
