"""The console scripts, and the one table of which extra of the distribution brings which
library: a command run where its extra is not installed ends with one line naming the
extra to install, not with a traceback from deep inside an import.

This module imports only the standard library: it must load where nothing else does.
"""

from __future__ import annotations

import importlib
import sys

# top-level module -> the extras that install it (pyproject.toml's optional dependencies)
EXTRAS_OF_MODULE: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("twisted", "OpenSSL", "cryptography", "klein", "treq", "jsonschema", "fastjsonschema",
                     "zeroconf", "ifaddr"), ("hub", "sensor", "relay", "webui")),
    **dict.fromkeys(("sqlalchemy", "alembic", "croniter", "prometheus_client"), ("hub",)),
    "w1thermsensor": ("sensor",),
    "RPi": ("gpio",),
    "Phidget22": ("phidget",),
    **dict.fromkeys(("pifacedigitalio", "pifacecommon"), ("piface",)),
    "psycopg": ("postgres",),
    "paho": ("mqtt",),
    "influxdb_client": ("influxdb",),
    "pyenergyplus": ("energyplus",),
}
MISSING_EXTRA = 1  # the exit status


def missing_extra(exc: BaseException, own_extra: str) -> str | None:
    """What to install for a module that failed to import (``own_extra`` when it brings
    it); None when the module is none of the distribution's dependencies (a fault, which
    must surface as it is)."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return None
    module = exc.name.split(".")[0]
    extras = EXTRAS_OF_MODULE.get(module)
    if extras is None:
        return None
    extra = own_extra if own_extra in extras else extras[0]
    return f"{module} is not installed: pip install 'rpymostat[{extra}]'"


def run(prog: str, own_extra: str, target: str) -> int:
    """Import and run ``target`` (``module:function``)."""
    module, function = target.split(":")
    try:
        return getattr(importlib.import_module(module), function)()
    except ModuleNotFoundError as exc:
        line = missing_extra(exc, own_extra)
        if line is None:
            raise
        print(f"{prog}: {line}", file=sys.stderr)
        return MISSING_EXTRA


def rpymostat() -> int:
    return run("rpymostat", "hub", "rpymostat.cli:main")


def rpymostat_sensor() -> int:
    return run("rpymostat-sensor", "sensor", "rpymostat_sensor.cli:main")


def rpymostat_relay() -> int:
    return run("rpymostat-relay", "relay", "rpymostat_relay.cli:main")


def rpymostat_webui() -> int:
    return run("rpymostat-webui", "webui", "rpymostat_webui.cli:main")
