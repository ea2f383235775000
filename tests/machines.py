"""Which transitions of a state machine (``rpymostat.core.machine``) the tests walked:
``walked(table)`` records, while it is open, every ``(state, event)`` of that table that
any machine fires, so that a test can assert that its scenarios take every entry."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rpymostat.core.machine import Machine


@contextmanager
def walked(table) -> Iterator[set]:
    seen: set = set()
    fire = Machine.fire

    def recording(machine, event):
        if machine.table is table:
            seen.add((machine.state, event))
        fire(machine, event)

    Machine.fire = recording
    try:
        yield seen
    finally:
        Machine.fire = fire
