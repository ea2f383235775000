"""The one module plugin authors import from: everything a decision, aggregation or
schedule plugin needs, whatever the package layout behind it.

Plugins are setuptools entry points in the groups ``rpymostat.decision``,
``rpymostat.aggregation`` and ``rpymostat.schedule`` (docs/decision-plugins.md,
docs/control.md, docs/scheduling.md). ``PLUGIN_API`` is this interface's version: it grows
by new optional inputs, and a plugin written for an earlier version keeps working.

API 2 added the look-ahead inputs (``Inputs.segments``, ``model``, ``outdoor``,
``previous``; their values ``Upcoming``, ``ZoneModel``/``Rate``, ``Outdoor``, ``Previous``)
and the ``predictive`` plugin.
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
from rpymostat.core.control.learner import Rate, ZoneModel
from rpymostat.core.control.lookahead import Outdoor, Previous, Upcoming
from rpymostat.core.control.predictive import Predictive
from rpymostat.core.readings import Reading
from rpymostat.core.schedule.plugins import SchedulePlugin
from rpymostat.core.schedule.rules import Rule
from rpymostat.core.schedule.timeline import Segment, Timeline, ZoneSchedule
from rpymostat.core.target import SensorWeight, Target

PLUGIN_API = 2

__all__ = [
    "PLUGIN_API", "Aggregate", "Alarm", "Commands", "Decision", "DecisionPlugin", "Dropped", "Equipment",
    "FunctionState", "Hysteresis", "Inputs", "Outdoor", "Predictive", "Previous", "Proposal", "Rate", "Reading",
    "Rule", "SchedulePlugin", "Segment", "SensorWeight", "Settings", "Target", "Timeline", "Upcoming",
    "ZoneModel", "ZoneSchedule",
]
