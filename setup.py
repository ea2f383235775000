"""RPyMostat: an intelligent, distributed home thermostat."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(
    r'^__version__ = "([^"]+)"', (HERE / "rpymostat" / "__init__.py").read_text(), re.M
).group(1)

# HTTPS with self-signed certificates: Twisted's TLS extra (pyOpenSSL) and cryptography.
TLS = ["twisted[tls]>=24.3", "cryptography>=42"]
HUB = [
    *TLS,
    "klein>=24.8",
    "treq>=24.9",
    "attrs>=23.1",
    "jsonschema>=4.20",
    "fastjsonschema>=2.19",
    "SQLAlchemy>=2.0",
    "alembic>=1.13",
    "croniter>=2.0",
    "isodate>=0.6.1",
    "zeroconf>=0.131",
    "ifaddr>=0.2",
    "tzdata",
]
NODE = [
    *TLS,
    "klein>=24.8",
    "treq>=24.9",
    "attrs>=23.1",
    "jsonschema>=4.20",
    "fastjsonschema>=2.19",
    "isodate>=0.6.1",
    "zeroconf>=0.131",
    "ifaddr>=0.2",
]
EXTRAS = {
    "hub": HUB,
    "sensor": NODE + ["w1thermsensor>=2.0"],
    "relay": NODE,
    "gpio": ["RPi.GPIO>=0.7"],
    "phidget": ["Phidget22>=1.19"],
    "piface": ["pifacedigitalio>=3.0", "pifacecommon>=4.2"],
    "webui": NODE,
    "postgres": ["psycopg[binary]>=3.1"],
    "influxdb": ["influxdb-client>=1.40"],
    "mqtt": ["paho-mqtt>=2.0"],
    "energyplus": ["pyenergyplus-lbnl>=25.2"],
    "test": [
        "pytest>=8",
        "pytest-twisted>=1.14",
        "pytest-timeout>=2.2",
        "hypothesis>=6.100",
        "openapi-spec-validator>=0.7",
        "schemathesis>=4.30",
        "psutil>=5.9",
        "Phidget22>=1.19",
        "pifacedigitalio>=3.0",
        "pifacecommon>=4.2",
        "w1thermsensor>=2.0",
    ],
    "docs": ["sphinx>=7", "myst-parser>=2"],
}
EXTRAS["all"] = sorted(
    {req for name, reqs in EXTRAS.items() if name not in ("energyplus", "influxdb") for req in reqs}
)

setup(
    name="rpymostat",
    version=VERSION,
    description="An intelligent, distributed home thermostat: a Twisted hub, "
    "Raspberry Pi sensor and relay nodes, and a web UI over one REST API.",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="AGPL-3.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["rpymostat*"]),
    include_package_data=True,
    package_data={"rpymostat": ["hub/store/migrations/*.py", "hub/store/migrations/*.mako",
                                "hub/store/migrations/versions/*.py", "sim/data/*.csv.gz"]},
    install_requires=["attrs>=23.1", "isodate>=0.6.1"],
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": [
            "rpymostat = rpymostat.cli:main",
            "rpymostat-sensor = rpymostat_sensor.cli:main",
            "rpymostat-relay = rpymostat_relay.cli:main",
        ],
        "rpymostat.aggregation": [
            "single = rpymostat.core.control.aggregation:Single",
            "mean = rpymostat.core.control.aggregation:Mean",
            "weighted_mean = rpymostat.core.control.aggregation:WeightedMean",
            "min = rpymostat.core.control.aggregation:Minimum",
            "max = rpymostat.core.control.aggregation:Maximum",
        ],
        "rpymostat.decision": [
            "hysteresis = rpymostat.core.control.hysteresis:Hysteresis",
        ],
        "rpymostat_sensor.drivers": [
            "w1 = rpymostat_sensor.drivers.w1:W1Driver",
            "sim = rpymostat_sensor.drivers.sim:SimDriver",
            "command = rpymostat_sensor.drivers.command:CommandDriver",
        ],
        "rpymostat_relay.drivers": [
            "gpio = rpymostat_relay.drivers.gpio:GpioDriver",
            "phidget = rpymostat_relay.drivers.phidget:PhidgetDriver",
            "piface = rpymostat_relay.drivers.piface:PiFaceDriver",
            "sim = rpymostat_relay.drivers.sim:SimDriver",
        ],
    },
    classifiers=[
        "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "Framework :: Twisted",
        "Programming Language :: Python :: 3",
        "Topic :: Home Automation",
    ],
)
