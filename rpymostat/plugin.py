"""The one module plugin authors import from: everything a decision, aggregation or
schedule plugin needs, whatever the package layout behind it.

Plugins are setuptools entry points in the groups ``rpymostat.decision``,
``rpymostat.aggregation`` and ``rpymostat.schedule`` (docs/decision-plugins.md,
docs/control.md, docs/scheduling.md). ``PLUGIN_API`` is this interface's version: it grows
by new optional inputs, and a plugin written for an earlier version keeps working.
"""

from rpymostat.core.control.aggregation import Aggregate, Dropped
from rpymostat.core.control.decide import (
    Alarm,
    Commands,
    Decision,
    DecisionPlugin,
    Equipment,
    FunctionState,
    Inputs,
    Proposal,
    Settings,
)
from rpymostat.core.control.hysteresis import Hysteresis
from rpymostat.core.readings import Reading
from rpymostat.core.schedule.plugins import SchedulePlugin
from rpymostat.core.schedule.rules import Rule
from rpymostat.core.schedule.timeline import Segment, Timeline, ZoneSchedule
from rpymostat.core.target import SensorWeight, Target

PLUGIN_API = 1

__all__ = [
    "PLUGIN_API", "Aggregate", "Alarm", "Commands", "Decision", "DecisionPlugin", "Dropped", "Equipment",
    "FunctionState", "Hysteresis", "Inputs", "Proposal", "Reading", "Rule", "SchedulePlugin", "Segment",
    "SensorWeight", "Settings", "Target", "Timeline", "ZoneSchedule",
]
