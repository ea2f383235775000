"""The hub's installed plugins, found through their entry points (:mod:`rpymostat.runtime.plugins`)."""

from __future__ import annotations

from rpymostat.core.schedule.plugins import SchedulePlugin, is_schedule_plugin
from rpymostat.runtime.plugins import GROUPS, load_all


def load_schedule_plugins() -> dict[str, SchedulePlugin]:
    """The installed schedule plugins by name, leaving out objects that do not fit."""
    return {
        name: plugin
        for name, plugin in load_all(GROUPS["schedule"]).items()
        if is_schedule_plugin(plugin)
    }
