"""The control loop's durable record: switch events and the decision log. Blocking
methods mixed into :class:`rpymostat.hub.store.store.Store` (which supplies ``_tx``).

A tick's decisions and switches are written in one transaction, so a tick costs one
commit however many zones changed. A zone may be deleted while a tick runs; its rows
must not cost the other zones theirs. So the write takes the zones its rows name first
(on PostgreSQL locked against deletion until the commit) and writes the rows of those
that still exist. The rows of a deleted zone are not written: its history went with it.
Zone ids are never reused, so such rows cannot land in a newer zone either.

The guard's history is read back in the order it was written (by id), not by the times
it carries: those are wall-clock times, and a clock stepped back would otherwise make
an older "on" look newer than the "off" after it. An event also carries the monotonic
time it was written at and the boot of the machine that clock counts in; the history
gives that time for events of the boot it is asked about, which then need no wall clock.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import and_, case, false, func, insert, or_, select, true
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

from rpymostat.core.errors import Unavailable
from rpymostat.hub.store.schema import decisions, switch_events, zones


def _decision(row) -> dict:
    return {"zone_id": row["zone_id"], "time": row["time"], "action": row["action"],
            "commands": row["commands"], "reason": row["reason"], "data": row["data"]}


def _existing(conn, zone_ids: set[int]) -> set[int]:
    """The zones of ``zone_ids`` that exist; on PostgreSQL a key-share lock keeps them
    until the transaction ends (SQLite writes one transaction at a time anyway)."""
    query = select(zones.c.id).where(zones.c.id.in_(zone_ids)).with_for_update(read=True, key_share=True)
    return set(conn.execute(query).scalars())


def _write(conn, named: set[int], decision_rows: list[dict], switch_rows: list[dict],
           used: list[set[int]]) -> list[int]:
    alive = _existing(conn, named)
    used.append(alive)
    for table, rows in ((decisions, decision_rows), (switch_events, switch_rows)):
        kept = [row for row in rows if row["zone_id"] in alive]
        if kept:
            conn.execute(insert(table), kept)
    return sorted(named - alive)


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
        try:
            while True:
                used: list[set[int]] = []
                try:
                    return self._tx(lambda conn, used=used: _write(conn, named, decision_rows, switch_rows, used))
                except IntegrityError:
                    if not used or self._tx(lambda conn: _existing(conn, named)) == used[-1]:
                        raise
        except (OperationalError, InterfaceError) as exc:
            raise Unavailable(f"the control history could not be written: {exc.orig or exc}") from exc

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
