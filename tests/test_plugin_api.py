"""The public plugin module, and the import paths the docs taught before the package layout."""

import importlib

import pytest

from rpymostat import plugin
from rpymostat.core.control.decide import decide
from rpymostat.core.control.guard import Equipment, Settings
from rpymostat.core.target import Target


@pytest.mark.parametrize("old, names", [
    ("rpymostat.decide", ["Inputs", "Proposal", "Commands", "Alarm", "Decision", "Settings"]),
    ("rpymostat.hysteresis", ["Hysteresis"]),
    ("rpymostat.aggregation", ["Aggregate", "Dropped", "Reading", "SensorWeight"]),
])
def test_old_paths_give_the_same_objects(old, names):
    module = importlib.import_module(old)
    for name in names:
        assert getattr(module, name) is getattr(plugin, name)


def test_a_plugin_written_against_the_old_path_still_decides():
    from rpymostat.decide import Proposal
    from rpymostat.hysteresis import Hysteresis

    class Cautious:
        name, settings_schema = "cautious", {}

        def propose(self, inputs):
            base = Hysteresis().propose(inputs)
            return Proposal(base.commands, "cautious: " + base.reason, base.data)

    inputs = plugin.Inputs(temperature=17.0, temperature_time=1000.0, target=Target.from_json(
        {"mode": "heat", "heat_setpoint": 20}), equipment=Equipment(hub_start=0.0), now=1000.0,
        settings=Settings())
    decision = decide(inputs, Cautious())
    assert decision.commands.heat and decision.reason.startswith("cautious: heating")


def test_the_plugin_api_is_versioned_and_complete():
    assert plugin.PLUGIN_API == 2
    assert all(hasattr(plugin, name) for name in plugin.__all__)
