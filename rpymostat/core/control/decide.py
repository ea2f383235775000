"""One zone's decision: the plugin proposes, the guard disposes.

``decide(inputs, plugin) -> Decision`` is a pure function of its arguments: no clock, no
I/O. The control service gathers the ``Inputs`` (the aggregate from
``rpymostat.core.control.aggregation``, the target in force, the equipment history, the zone's
settings and ``now``), calls it, sends ``Decision.commands`` to the relays, records the
switching with ``apply`` and logs the decision; it decides again at the next tick, or at
``recheck_at`` when that is sooner.

A decision plugin (entry-point group ``rpymostat.decision``) is any object with:

- ``name``: its entry-point name;
- ``settings_schema``: a JSON Schema of the settings it reads (``GET /v1/plugins``);
- ``propose(inputs: Inputs) -> Proposal``.

``propose`` gets the target already made safe by ``safe_target`` and must cope with
``inputs.temperature`` being None. Whatever it returns goes through the guard, so a plugin
cannot break a safety rule; a plugin that raises, or returns something other than a
``Proposal``, gets everything switched off and a ``plugin_error`` alarm, because one broken
third-party plugin must not stop the hub. ``Proposal.data`` must be JSON-serialisable: it
is stored in the decision log.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Protocol

import attrs

from rpymostat.core.control.guard import (
    Alarm,
    Change,
    Commands,
    Equipment,
    FunctionState,
    Inputs,
    Settings,
    apply,
    guard,
    restarted,
    safe_target,
    switched_off,
)

__all__ = [
    "Alarm", "Change", "Commands", "Decision", "DecisionPlugin", "Equipment", "FunctionState",
    "Inputs", "Proposal", "Settings", "action_of", "apply", "decide", "restarted",
    "switched_off",
]

ACTIONS = ("idle", "heating", "cooling", "fan")


@attrs.frozen
class Proposal:
    """What a plugin would like: commands, and why in words (``reason``) and data."""

    commands: Commands
    reason: str
    data: Mapping[str, Any] = attrs.field(factory=dict)


class DecisionPlugin(Protocol):
    name: str
    settings_schema: dict[str, Any]

    def propose(self, inputs: Inputs) -> Proposal:
        ...


@attrs.frozen
class Decision:
    """What to do, and why.

    ``reason`` is one line for people; ``data`` holds the same and more as a
    JSON-serialisable dict for the decision log and ``GET /v1/zones/{id}/state``, its
    times on the wall clock. ``recheck_at`` is when a guard timer runs out (None when none
    is running), on the guard's clock (``Inputs.guard_time``) so that it can be waited for.
    """

    commands: Commands
    action: str
    reason: str
    data: dict[str, Any]
    alarms: tuple[Alarm, ...]
    recheck_at: Optional[float]


def action_of(commands: Commands) -> str:
    if commands.heat or commands.aux:
        return "heating"
    if commands.cool:
        return "cooling"
    return "fan" if commands.fan else "idle"


def _propose(plugin: DecisionPlugin, inputs: Inputs) -> tuple[Proposal, tuple[Alarm, ...]]:
    name = getattr(plugin, "name", type(plugin).__name__)
    try:
        proposal = plugin.propose(inputs)
        if not isinstance(proposal, Proposal):
            raise TypeError(f"propose() returned {type(proposal).__name__}, not a Proposal")
    except Exception as exc:  # a broken plugin must leave the zone safe, not stop the hub
        message = f"decision plugin {name!r} failed: {exc!r}"
        return (Proposal(Commands(), f"idle: {message}", {"error": repr(exc)}),
                (Alarm("plugin_error", message),))
    return proposal, ()


def _reason(proposal: Proposal, rule: Optional[str], changes: tuple[Change, ...]) -> str:
    ruled = f" (rule '{rule}')" if rule else ""
    guarded = "; ".join(change.text for change in changes) or "ok"
    return f"{proposal.reason}{ruled}; guard: {guarded}"


def _wall_change(inputs: Inputs, change: Change) -> dict[str, Any]:
    shown = change.to_json()
    if change.until is not None:
        shown["until"] = inputs.wall_instant(change.until)
    return shown


def decide(inputs: Inputs, plugin: DecisionPlugin) -> Decision:
    """The commands for one zone now, after the guard, with reasons and alarms."""
    target, target_changes, target_alarms = safe_target(inputs.target)
    inputs = attrs.evolve(inputs, target=target)
    proposal, plugin_alarms = _propose(plugin, inputs)
    guarded = guard(inputs, proposal.commands)
    changes = target_changes + guarded.changes
    alarms = target_alarms + plugin_alarms + guarded.alarms
    action = action_of(guarded.commands)
    data = {
        "action": action,
        "commands": guarded.commands.to_json(),
        "temperature": inputs.temperature,
        "temperature_time": inputs.temperature_time,
        "target": target.to_json(),
        "rule": inputs.rule,
        "plugin": getattr(plugin, "name", type(plugin).__name__),
        "proposal": {
            "commands": proposal.commands.to_json(),
            "reason": proposal.reason,
            "data": dict(proposal.data),
        },
        "guard": [_wall_change(inputs, change) for change in changes],
        "alarms": [alarm.to_json() for alarm in alarms],
        "recheck_at": None if guarded.recheck_at is None else inputs.wall_instant(guarded.recheck_at),
    }
    return Decision(
        guarded.commands, action, _reason(proposal, inputs.rule, changes), data, alarms,
        guarded.recheck_at,
    )
