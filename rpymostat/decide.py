"""Where the decision plugin interface lived before the package layout; kept so that
plugins written against it keep working. New code imports from :mod:`rpymostat.plugin`."""

from rpymostat.plugin import (  # noqa: F401
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
