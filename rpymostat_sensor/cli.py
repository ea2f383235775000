"""``rpymostat-sensor``: read temperature sensors and send the readings to the hub.

    rpymostat-sensor [--hub URL] [--enrollment-key KEY] [--driver w1|sim|command] ...
"""

from __future__ import annotations

import sys

from rpymostat.node.cli import node_parser, run_daemon
from rpymostat_sensor.config import SensorConfig, load_sensor_config

DESCRIPTION = ("RPyMostat sensor node: reads temperature sensors and sends the readings to the hub, "
               "keeping them on disk while the hub is away.")


def build_parser():
    return node_parser("rpymostat-sensor", DESCRIPTION, SensorConfig)


def main(argv: list[str] | None = None) -> int:
    def build(config, reactor, clock):
        from rpymostat_sensor.service import SensorService

        return SensorService(config, reactor, clock)

    return run_daemon("rpymostat-sensor", build_parser(), argv, SensorConfig, load_sensor_config, build)


if __name__ == "__main__":
    sys.exit(main())
