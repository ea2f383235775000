"""Plugins are setuptools entry points; this module finds and loads them.

Groups:

- ``rpymostat.aggregation``: combine several sensors' temperatures into one.
- ``rpymostat.decision``: propose what a zone's equipment should do.
- ``rpymostat.schedule``: contribute rules to, or transform, a zone's timeline.
- ``rpymostat_sensor.drivers`` / ``rpymostat_relay.drivers``: node hardware drivers.

Every plugin object has a ``name`` and a ``settings_schema`` (a JSON Schema dict), which
``GET /v1/plugins`` publishes.
"""

from __future__ import annotations

import functools
import inspect
from importlib.metadata import entry_points

GROUPS = {
    "aggregation": "rpymostat.aggregation",
    "decision": "rpymostat.decision",
    "schedule": "rpymostat.schedule",
}


class PluginNotFound(LookupError):
    pass


def available(group: str) -> list[str]:
    """Names of the installed plugins of one entry-point group, sorted."""
    return sorted({ep.name for ep in entry_points(group=group)})


def load_class(group: str, name: str):
    """The object an entry point names, as it is (drivers are built later, with their config)."""
    for ep in entry_points(group=group):
        if ep.name == name:
            return ep.load()
    raise PluginNotFound(f"no plugin {name!r} in {group}")


def load(group: str, name: str):
    """The plugin an entry point names; a class is instantiated without arguments."""
    obj = load_class(group, name)
    return obj() if isinstance(obj, type) else obj


def load_all(group: str) -> dict:
    """Every plugin of a group by name; a plugin that fails to load is left out."""
    found = {}
    for name in available(group):
        try:
            found[name] = load(group, name)
        except Exception:  # a broken third-party plugin must not stop the hub
            continue
    return found


def with_clock(driver_class, clock):
    """The driver class, given the node's clock when it takes one (simulated drivers do:
    their time must be the node's, faster under the demo's ``--speed``)."""
    if "clock" in inspect.signature(driver_class).parameters:
        return functools.partial(driver_class, clock=clock.seconds)
    return driver_class
