"""``rpymostat-sensor``: read temperature sensors and send the readings to the hub.

    rpymostat-sensor [--hub URL] [--enrollment-key KEY] [--driver w1|sim|command] ...
"""

from __future__ import annotations

import sys

from rpymostat.node.cli import COMMON_FLAGS, node_parser, run_daemon


def build_parser():
    parser = node_parser("rpymostat-sensor", "RPyMostat sensor node: reads temperature sensors and "
                                             "sends the readings to the hub, keeping them on disk "
                                             "while the hub is away.")
    parser.add_argument("--report-interval", dest="report_interval_s", type=int, metavar="SECONDS",
                        help="seconds between reports until the hub says otherwise (default 30)")
    parser.add_argument("--retention-days", dest="retention_days", type=float,
                        help="how long undelivered readings are kept (default 7)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def load(config_file, flags):
        from rpymostat_sensor.config import load_sensor_config

        return load_sensor_config(config_file, flags=flags)

    def build(config, reactor, clock):
        from rpymostat_sensor.service import SensorService

        return SensorService(config, reactor, clock)

    return run_daemon("rpymostat-sensor", args, load, build,
                      COMMON_FLAGS + ("report_interval_s", "retention_days"))


if __name__ == "__main__":
    sys.exit(main())
