"""The relay node's outputs and the rules it enforces on its own, whatever the hub says.

- Boot: every output off.
- Lease: an "on" is valid for ``lease_s``; when the lease runs out (hub crashed, network
  split) the output goes off. A repeated "on" renews the lease and switches nothing.
- Minimum off time: an output that went off may not go on again within ``min_off_s``
  (the hub's setting). The time an output went off is kept in a journal on disk, so a
  restart does not reset it; an output the journal says was on when the node died is
  taken to have gone off at boot.
- Stop: every output off.

Every change of state is passed to ``on_change(output_id, on, time, reason)`` with a
reason the hub understands (command, lease_expired, boot, stop, error).

Leases and the minimum off time are durations: they run on ``timer``, the node's
monotonic clock (``rpymostat.runtime.monotonic``), so a stepped wall clock neither ends them
early nor holds an output on for as long as the step. ``OutputState``'s times are on it
too. Wall-clock times (``clock``) are what leaves the process: the times in
``on_change``, and in the journal, which must outlive a reboot. The journal keeps each
off time on the timer as well, with the boot of the machine the timer counts in: a
daemon restarted in the same boot takes that as it is, whatever the wall clock did
meanwhile. An off time of another boot (or of an older journal, which had wall-clock
times only) maps onto the timer by how the two clocks read at boot; one later than now
(the wall clock went back) counts as now.

Driver calls block, so they go through ``run`` (one worker thread in the daemon, inline
in tests); commands are serialised so that an "off" and an "on" cannot overtake each other.

A driver's ``RelayError`` and a journal that cannot be written (``OSError``) are the
failures the bank expects: an output that went off at the end of its lease and failed is
tried again every ``RETRY_OFF_S``. Any other error there fails ``crashed``: the daemon
then stops, which switches every output off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import attrs
from twisted.internet.defer import Deferred, DeferredLock, inlineCallbacks
from twisted.logger import Logger

from rpymostat.runtime.monotonic import timer_time, wall_time
from rpymostat.runtime.private import write_private
from rpymostat_relay.drivers import RelayError, UnknownOutput

log = Logger(namespace="rpymostat.relay")
RETRY_OFF_S = 1.0
JOURNAL_FILE = "outputs.json"


class TooSoon(Exception):
    """An "on" inside the minimum off time."""

    def __init__(self, output_id: str, remaining_s: float):
        super().__init__(f"{output_id} went off less than the minimum off time ago; "
                         f"it may go on again in {remaining_s:.0f} s")
        self.remaining_s = remaining_s


@attrs.frozen
class OutputState:
    """One output; ``since``, ``lease_until`` and ``off_since`` are on the bank's timer."""

    id: str
    name: str
    on: bool
    since: float
    lease_until: float | None = None
    off_since: float | None = None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Journal:
    """When each output last went off (``{"time": wall clock, "boot_id": .., "monotonic":
    timer}``), or ``"on"`` while it is on; a JSON file, readable by its owner only (it
    tells when the house is heated)."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def load(self) -> dict:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def save(self, entries: dict) -> None:
        write_private(self.path, json.dumps(entries))


class MemoryJournal:
    def __init__(self, entries: dict | None = None):
        self.entries = dict(entries or {})

    def load(self) -> dict:
        return dict(self.entries)

    def save(self, entries: dict) -> None:
        self.entries = dict(entries)


class OutputBank:
    """``clock`` is the wall clock, ``timer`` the monotonic one (``clock`` when None), and
    ``boot_id`` the boot of the machine the timer counts in (None for unknown: the
    journal then maps by wall time after a restart)."""

    def __init__(self, *, clock, driver, run: Callable, journal,
                 on_change: Callable[[str, bool, float, str], None], min_off_s: float = 0.0, timer=None,
                 boot_id: str | None = None):
        self.clock = clock
        self.timer = timer if timer is not None else clock
        self.boot_id = boot_id
        self.driver = driver
        self.run = run
        self.journal = journal
        self.on_change = on_change
        self.min_off_s = min_off_s
        self.states: dict[str, OutputState] = {}
        self._timers: dict[str, object] = {}
        self._lock = DeferredLock()
        self.crashed: Deferred = Deferred()

    def wall(self, instant: float) -> float:
        """An instant on the timer as wall-clock time."""
        return wall_time(self.clock, self.timer, instant)

    def _journal_entries(self) -> dict:
        return {s.id: ("on" if s.on else self._off_entry(s.off_since)) for s in self.states.values()
                if s.on or s.off_since is not None}

    def _off_entry(self, off_since: float) -> dict:
        return {"time": self.wall(off_since), "boot_id": self.boot_id,
                "monotonic": None if self.boot_id is None else off_since}

    def _remembered_off(self, last, now: float) -> float | None:
        """When the journal says an output went off, on the timer: at boot if it was on."""
        if last == "on":
            return now
        if isinstance(last, dict):
            same_boot = self.boot_id is not None and last.get("boot_id") == self.boot_id
            if same_boot and _number(last.get("monotonic")):
                return last["monotonic"]
            last = last.get("time")
        if _number(last):
            return min(timer_time(self.clock, self.timer, last), now)
        return None

    @inlineCallbacks
    def boot(self):
        """Everything off; the minimum off time carries over from the journal."""
        infos = yield self.run(self.driver.outputs)
        remembered = yield self.run(self.journal.load)
        yield self.run(self.driver.all_off)
        now = self.timer.seconds()
        for info in infos:
            off_since = self._remembered_off(remembered.get(info.id), now)
            self.states[info.id] = OutputState(info.id, info.name, False, now, off_since=off_since)
        yield self.run(self.journal.save, self._journal_entries())
        for info in infos:
            self.on_change(info.id, False, self.wall(now), "boot")
        log.info("outputs all off at boot: {ids}", ids=", ".join(self.states) or "none")

    def command(self, output_id: str, on: bool, lease_s: float | None = None):
        """A Deferred of the output's new OutputState; UnknownOutput, TooSoon or RelayError."""
        if output_id not in self.states:
            raise UnknownOutput(output_id)
        if on and not lease_s:
            raise ValueError("an 'on' needs a lease")
        return self._lock.run(self._command, output_id, on, lease_s)

    @inlineCallbacks
    def _command(self, output_id: str, on: bool, lease_s: float | None):
        state = self.states[output_id]
        now = self.timer.seconds()
        if on and not state.on and state.off_since is not None and now - state.off_since < self.min_off_s:
            raise TooSoon(output_id, state.off_since + self.min_off_s - now)
        if not on:
            yield self._switch_off(output_id, "command")
            return self.states[output_id]
        try:
            yield self.run(self.driver.set, output_id, True, lease_s)
        except RelayError as exc:
            log.warn("could not switch {output_id} on ({exc}); switching it off and refusing the command",
                     output_id=output_id, exc=exc)
            yield self._switch_off(output_id, "error")
            raise
        now = self.timer.seconds()
        self._cancel_timer(output_id)
        self._timers[output_id] = self.timer.callLater(lease_s, self._expire, output_id)
        if state.on:
            self.states[output_id] = attrs.evolve(state, lease_until=now + lease_s)
        else:
            self.states[output_id] = attrs.evolve(state, on=True, since=now, lease_until=now + lease_s)
            yield self.run(self.journal.save, self._journal_entries())
            log.info("{output_id} on for {lease_s} s (command)", output_id=output_id, lease_s=lease_s)
            self.on_change(output_id, True, self.wall(now), "command")
        return self.states[output_id]

    @inlineCallbacks
    def _switch_off(self, output_id: str, reason: str):
        self._cancel_timer(output_id)
        yield self.run(self.driver.set, output_id, False)
        state = self.states[output_id]
        if state.on:
            now = self.timer.seconds()
            self.states[output_id] = attrs.evolve(state, on=False, since=now, lease_until=None, off_since=now)
            yield self.run(self.journal.save, self._journal_entries())
            log.info("{output_id} off ({reason})", output_id=output_id, reason=reason)
            self.on_change(output_id, False, self.wall(now), reason)

    def _expire(self, output_id: str):
        self._timers.pop(output_id, None)
        log.warn("lease of {output_id} ran out: switching it off", output_id=output_id)
        d = self._lock.run(self._switch_off, output_id, "lease_expired")
        d.addErrback(self._retry_off, output_id)

    def _retry_off(self, failure, output_id: str):
        if not failure.check(RelayError, OSError):
            if not self.crashed.called:
                self.crashed.errback(failure)
            return
        log.warn("could not switch {output_id} off after its lease ({exc}); trying again in {s} s",
                 output_id=output_id, exc=failure.value, s=RETRY_OFF_S)
        self._timers[output_id] = self.timer.callLater(RETRY_OFF_S, self._expire, output_id)

    def _cancel_timer(self, output_id: str) -> None:
        timer = self._timers.pop(output_id, None)
        if timer is not None and timer.active():
            timer.cancel()

    @inlineCallbacks
    def stop(self):
        """Every output off and the driver released."""
        for output_id in list(self._timers):
            self._cancel_timer(output_id)
        yield self._lock.acquire()
        try:
            for output_id, state in list(self.states.items()):
                if state.on:
                    try:
                        yield self._switch_off(output_id, "stop")
                    except RelayError as exc:
                        log.warn("could not switch {output_id} off at stop ({exc}); closing the driver "
                                 "tries once more", output_id=output_id, exc=exc)
            yield self.run(self.driver.close)
        finally:
            self._lock.release()
