"""A worked example of a decision plugin, shown in docs/decision-plugins.md.

Two-stage heating: the ordinary hysteresis decides the first stage (``heat``); when the
room is far below the setpoint, the second stage (``aux``, e.g. a heat pump's backup
strip) joins in. The plugin only proposes: the guard still decides whether ``aux`` may
start (its own minimum off time, starts per hour, changeover) and stops it with ``heat``
when the temperature goes missing or too high.
"""

import attrs

from rpymostat.plugin import Hysteresis, Inputs, Proposal

AUX_BELOW_DEFAULT = 2.0


class TwoStage:
    name = "two_stage"
    settings_schema = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "aux_below": {
                "type": "number", "minimum": 0.5, "maximum": 10.0, "default": AUX_BELOW_DEFAULT,
                "description": "°C below the heat setpoint at which the second stage joins in.",
            },
        },
    }

    def __init__(self):
        self.first_stage = Hysteresis()

    def propose(self, inputs: Inputs) -> Proposal:
        proposal = self.first_stage.propose(inputs)
        aux_below = inputs.plugin_settings.get("aux_below", AUX_BELOW_DEFAULT)
        setpoint, temperature = inputs.target.heat_setpoint, inputs.temperature
        if not proposal.commands.heat or temperature >= setpoint - aux_below:
            return proposal
        return Proposal(
            attrs.evolve(proposal.commands, aux=True),
            f"{proposal.reason}; aux: {temperature:.1f} °C < {setpoint:g} − {aux_below:g}",
            {**proposal.data, "aux_below": aux_below},
        )
