"""The control loop's durable record: switch events and the decision log. Blocking
methods mixed into :class:`rpymostat.hub.store.store.Store` (which supplies ``_tx``).

A tick's decisions and switches are written in one transaction, so a tick costs one
commit however many zones changed. A zone may be deleted while a tick runs; its rows
must not cost the other zones theirs. So the write takes the zones its rows name first
(on PostgreSQL locked against deletion until the commit) and writes the rows of those
that still exist. The rows of a deleted zone are not written: its history went with it.
Zone ids are never reused, so such rows cannot land in a newer zone either.

The same transaction opens and closes the zones' heating and cooling runs (``runs_store``)
and appends the history series the rows imply (``recording``), so the charts, the runs and
the decision log cannot drift apart.

The guard's history is read back in the order it was written (by id), not by the times
it carries: those are wall-clock times, and a clock stepped back would otherwise make
an older "on" look newer than the "off" after it. An event also carries the monotonic
time it was written at and the boot of the machine that clock counts in; the history
gives that time for events of the boot it is asked about, which then need no wall clock.
"""

from __future__ import annotations

from functools import cached_property
from itertools import chain
from typing import Mapping

from sqlalchemy import and_, case, delete, false, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from rpymostat.core.errors import Unavailable
from rpymostat.core.history.names import OUTDOOR
from rpymostat.hub.store import runs_store
from rpymostat.hub.store.recording import Point, Thinning, decision_points, switch_points
from rpymostat.hub.store.schema import decisions, outputs, switch_events, zones

# Switch events younger than this are never removed, whatever the retention: the guard
# reads the last hour's starts (a day leaves room for a wall clock that jumped).
GUARD_KEEPS_S = 86_400.0


def _decision(row) -> dict:
    return {"zone_id": row["zone_id"], "time": row["time"], "action": row["action"],
            "commands": row["commands"], "reason": row["reason"], "data": row["data"]}


def _existing(conn, zone_ids: set[int]) -> set[int]:
    """The zones of ``zone_ids`` that exist; on PostgreSQL a key-share lock keeps them
    until the transaction ends (SQLite writes one transaction at a time anyway)."""
    query = select(zones.c.id).where(zones.c.id.in_(zone_ids)).with_for_update(read=True, key_share=True)
    return set(conn.execute(query).scalars())


def _outputs_of(conn, zone_ids: set[int]) -> dict[tuple[int, str], str]:
    rows = conn.execute(select(outputs.c.zone_id, outputs.c.function, outputs.c.id)
                        .where(outputs.c.zone_id.in_(zone_ids), outputs.c.function.isnot(None)))
    return {(zone_id, function): output_id for zone_id, function, output_id in rows}


def _write(conn, named: set[int], decision_rows: list[dict], switch_rows: list[dict],
           used: list[set[int]], outdoor: float | None) -> tuple[list[int], list[Point]]:
    """Returns the zones gone and the series points implied by the rows written."""
    alive = _existing(conn, named)
    used.append(alive)
    kept = {}
    for table, rows in ((decisions, decision_rows), (switch_events, switch_rows)):
        kept[table.name] = [row for row in rows if row["zone_id"] in alive]
        if kept[table.name]:
            conn.execute(insert(table), kept[table.name])
    runs_store.follow_switches(conn, kept["switch_events"], kept["decisions"], outdoor)
    points = [point for row in kept["decisions"] for point in decision_points(row)]
    if kept["switch_events"]:
        points += switch_points(kept["switch_events"], _outputs_of(conn, alive))
    return sorted(named - alive), points


def _forget_control(conn, before: float, now: float) -> int:
    """Decisions older than ``before``; switch events too, but never those of the last
    ``GUARD_KEEPS_S`` nor the latest "on" and "off" of each zone's function."""
    removed = conn.execute(delete(decisions).where(decisions.c.time < before)).rowcount
    events = switch_events.c
    latest = select(func.max(events.id)).group_by(events.zone_id, events.function, events.state)
    return removed + conn.execute(delete(switch_events).where(
        events.time < min(before, now - GUARD_KEEPS_S), events.id.not_in(latest))).rowcount


def _switch_history(conn, since: float, boot_id: str | None, monotonic_since: float | None) -> list[dict]:
    events = switch_events.c
    found: dict[tuple[int, str], dict] = {}

    def entry(zone_id, function):
        return found.setdefault((zone_id, function), {
            "zone_id": zone_id, "function": function, "on": False, "last_on": None,
            "last_on_monotonic": None, "last_off": None, "last_off_monotonic": None, "starts": [],
            "starts_monotonic": []})

    key = (events.zone_id, events.function)
    if boot_id is None:
        ours, theirs = false(), true()
    else:
        ours = and_(events.boot_id == boot_id, events.monotonic.isnot(None))
        theirs = or_(events.boot_id.is_(None), events.boot_id != boot_id, events.monotonic.is_(None))
    last = select(func.max(events.id)).group_by(*key)
    last_on = select(func.max(events.id)).where(events.state == "on").group_by(*key)
    for zone_id, function, state in conn.execute(select(*key, events.state).where(events.id.in_(last))):
        entry(zone_id, function)["on"] = state == "on"
    for zone_id, function, time, monotonic in conn.execute(
            select(*key, events.time, case((ours, events.monotonic))).where(events.id.in_(last_on))):
        entry(zone_id, function).update(last_on=time, last_on_monotonic=monotonic)
    latest_offs = (("last_off", events.time, theirs), ("last_off_monotonic", events.monotonic, ours))
    for field, column, mine in latest_offs:
        for zone_id, function, latest in conn.execute(
                select(*key, func.max(column)).where(events.state == "off", mine).group_by(*key)):
            entry(zone_id, function)[field] = latest
    starts = (("starts", events.time, theirs, since), ("starts_monotonic", events.monotonic, ours, monotonic_since))
    for field, column, mine, earliest in starts:
        if earliest is None:
            continue
        for zone_id, function, time in conn.execute(
                select(*key, column).where(events.state == "on", mine, column >= earliest).order_by(column)):
            entry(zone_id, function)[field].append(time)
    return list(found.values())


class ControlStore:
    @cached_property
    def _thinning(self) -> Thinning:
        return Thinning()

    def record_control(self, decision_rows: list[dict], switch_rows: list[dict]) -> list[int]:
        """Append decisions (``zone_id, time, action, commands, reason, data``) and switch
        events (``zone_id, function, state, time, reason, boot_id, monotonic``), in their
        order. Returns the zones that no longer exist, whose rows were not written.

        On SQLite the check and the insert are not one lock: a zone deleted between them
        fails the insert on its foreign key, and the write is tried again without it. Any
        other integrity error (the zones found did not change) is a bug and is raised.
        """
        named = {row["zone_id"] for row in chain(decision_rows, switch_rows)}
        if not named:
            return []
        starts = [row["time"] for row in switch_rows
                  if row["state"] == "on" and row["function"] in runs_store.RUN_KINDS]
        outdoor = self.outdoor(max(starts)) if starts else None
        try:
            while True:
                used: list[set[int]] = []
                try:
                    gone, points, ids = self._tx(lambda conn, used=used: self._write_and_record(
                        conn, named, decision_rows, switch_rows, used, outdoor))
                    break
                except IntegrityError:
                    if not used or self._tx(lambda conn: _existing(conn, named)) == used[-1]:
                        raise
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable(f"the control history could not be written: {exc.orig or exc}") from exc
        self._thinning.written(points)
        self.history.remember(ids)
        return gone

    def _write_and_record(self, conn, named: set[int], decision_rows: list[dict], switch_rows: list[dict],
                          used: list[set[int]], outdoor: float | None
                          ) -> tuple[list[int], list[Point], dict[str, int]]:
        gone, points = _write(conn, named, decision_rows, switch_rows, used, outdoor)
        kept = self._thinning.keep(points)
        return gone, kept, (self.history.append_on(conn, kept).ids if kept else {})

    def outdoor(self, at: float) -> float | None:
        """The outdoor temperature at ``at``, when a source gave one within ``FRESH_S``."""
        last = self.history.last_point(OUTDOOR)
        return None if last is None or abs(at - last[0]) > runs_store.FRESH_S else last[1]

    def sample_runs(self, now: float, every_s: float, temperatures: Mapping[int, float | None]) -> int:
        """A sample of every open run that is due one (see ``runs_store.sample_runs``);
        ``temperatures`` are the zones' as the control loop sees them now."""
        outdoor = self.outdoor(now)
        return self._tx(lambda conn: runs_store.sample_runs(conn, now, every_s, temperatures, outdoor))

    def list_runs(self, zone_id: int | None, start: float, end: float, limit: int) -> list[dict]:
        return self._tx(lambda conn: runs_store.list_runs(conn, zone_id, start, end, limit))

    def forget_control(self, now: float, decisions_keep_s: float | None, runs_keep_s: float | None) -> int:
        """Apply the retention of the decision log (with the switch events the guard no
        longer needs) and of the runs; returns how many rows went."""
        def work(conn):
            removed = 0 if decisions_keep_s is None else _forget_control(conn, now - decisions_keep_s, now)
            return removed + (0 if runs_keep_s is None else runs_store.forget_runs(conn, now - runs_keep_s))

        return self._tx(work)

    def switch_history(self, since: float, boot_id: str | None = None,
                       monotonic_since: float | None = None) -> list[dict]:
        """What the guard needs of every zone's past, per zone and function: whether its
        last switch (in the order written) was on (``on``); the time of its last "on"
        (``last_on``; None for never); its starts at or after ``since`` (``starts``, in
        time order) and its latest "off" time (``last_off``; None for never).

        Events of boot ``boot_id`` count on the monotonic clock instead: the last "on"
        has ``last_on_monotonic`` too when it is one of them, and their starts at or after
        ``monotonic_since`` and latest "off" are ``starts_monotonic`` and
        ``last_off_monotonic``, left out of ``starts`` and ``last_off``."""
        return self._tx(lambda conn: _switch_history(conn, since, boot_id, monotonic_since))

    def list_decisions(self, zone_id: int, start: float, end: float, limit: int) -> list[dict]:
        """The zone's logged decisions in [start, end], oldest first; the newest ``limit``
        when there are more."""
        def work(conn):
            rows = conn.execute(
                select(decisions).where(decisions.c.zone_id == zone_id, decisions.c.time >= start,
                                        decisions.c.time <= end)
                .order_by(decisions.c.time.desc(), decisions.c.id.desc()).limit(limit)).mappings()
            return [_decision(row) for row in reversed(list(rows))]

        return self._tx(work)
