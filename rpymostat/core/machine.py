"""State machines written as one table: named states (an enum), named events (an enum)
and ``{(state, event): (next state, action)}``, so that every transition is in one place
and a test can walk them all."""

from __future__ import annotations

import enum
from typing import Callable, Mapping, Optional

Table = Mapping[tuple[enum.Enum, enum.Enum], tuple[enum.Enum, Optional[str]]]


class InvalidTransition(Exception):
    """An event that the state it arrived in has no transition for: a bug."""


class Machine:
    """Named states and one transition table ``{(state, event): (next state, action)}``.

    The state changes before the action runs, so an action may fire the next event
    itself; an event the table does not list for the current state raises.
    """

    def __init__(self, name: str, table: Table, state: enum.Enum,
                 actions: Mapping[str, Callable[[], None]]):
        unknown = {action for _, action in table.values() if action is not None} - set(actions)
        if unknown:
            raise ValueError(f"{name}: no action {', '.join(sorted(unknown))}")
        self.name = name
        self.table = table
        self.state = state
        self.actions = actions

    def fire(self, event: enum.Enum) -> None:
        try:
            self.state, action = self.table[self.state, event]
        except KeyError:
            raise InvalidTransition(f"{self.name}: nothing to do on {event.name} "
                                    f"when {self.state.name}") from None
        if action is not None:
            self.actions[action]()
