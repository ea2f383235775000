"""The sensor node's settings (see :mod:`rpymostat.node.config` for where they come from)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping

import attrs

from rpymostat.node.config import COMMON_FIELDS, NodeConfig, load_node_settings
from rpymostat_sensor.queue import DEFAULT_MAX_ENTRIES

FIELDS = {**COMMON_FIELDS, "report_interval_s": int, "retention_days": float, "max_queued": int}
DEFAULTS = {"driver": "w1", "driver_settings": {}, "zeroconf_interfaces": [], "report_interval_s": 30,
            "retention_days": 7.0, "max_queued": DEFAULT_MAX_ENTRIES, "log_level": "info"}


@attrs.frozen
class SensorConfig(NodeConfig):
    report_interval_s: int = 30
    retention_days: float = 7.0
    max_queued: int = DEFAULT_MAX_ENTRIES


def load_sensor_config(config_file: str | None = None, environ: Mapping[str, str] = os.environ,
                       flags: Mapping[str, Any] = {}) -> SensorConfig:
    from rpymostat.runtime.config import ConfigError

    values = load_node_settings("sensor", FIELDS, DEFAULTS, config_file, environ, flags)
    if not 1 <= values["report_interval_s"] <= 3600:
        raise ConfigError("report_interval_s must be within 1..3600")
    if not 0 < values["retention_days"] <= 366 or values["max_queued"] < 1:
        raise ConfigError("retention_days must be within 0..366 and max_queued at least 1")
    values["data_dir"] = Path(values["data_dir"]).expanduser()
    values["zeroconf_interfaces"] = tuple(values["zeroconf_interfaces"])
    return SensorConfig(**values)
