"""Rules, holds and per-zone schedule-plugin settings: the blocking store methods,
mixed into :class:`rpymostat.hub.store.store.Store` (which supplies ``_tx``).

Records are dicts in the API's Rule shape (:func:`rpymostat.core.schedule.rules.rule_to_json`), so
what comes out goes back through :func:`rpymostat.core.schedule.rules.rule_from_record` and is
validated again; in the table, a hold's start and end are float seconds like every
other instant. Missing rows are answered with ``None``/``False`` rather than an
exception, because the caller decides whether a missing zone is the path's fault (404)
or the body's (422).
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from rpymostat.core.timeutil import format_time, parse_time
from rpymostat.hub.store.schema import rules, zone_schedule_plugins, zones

_TEXT_COLUMNS = ("zone_id", "kind", "name", "cron", "duration", "end_cron", "interval",
                 "target", "priority", "enabled")


def _record(row) -> dict:
    return {
        "id": row["id"], "zone_id": row["zone_id"], "name": row["name"], "kind": row["kind"],
        "cron": row["cron"], "duration": row["duration"], "end_cron": row["end_cron"],
        "interval": row["interval"],
        "start": None if row["hold_start"] is None else format_time(row["hold_start"]),
        "end": None if row["hold_end"] is None else format_time(row["hold_end"]),
        "target": row["target"], "priority": row["priority"], "enabled": bool(row["enabled"]),
        "changed_at": format_time(row["changed_at"]),
    }


def _columns(record: dict) -> dict:
    values = {key: record[key] for key in _TEXT_COLUMNS}
    values["hold_start"] = None if record["start"] is None else parse_time(record["start"]).timestamp()
    values["hold_end"] = None if record["end"] is None else parse_time(record["end"]).timestamp()
    values["changed_at"] = parse_time(record["changed_at"]).timestamp()
    return values


def _zone_exists(conn: Connection, zone_id: int) -> bool:
    return conn.execute(select(zones.c.id).where(zones.c.id == zone_id)).first() is not None


def _one(conn: Connection, rule_id: int) -> dict | None:
    row = conn.execute(select(rules).where(rules.c.id == rule_id)).mappings().first()
    return None if row is None else _record(row)


class RuleStore:
    def list_rules(self, zone_id: int | None = None) -> list[dict]:
        """Every rule (holds included), or one zone's, by id."""
        query = select(rules).order_by(rules.c.id)
        if zone_id is not None:
            query = query.where(rules.c.zone_id == zone_id)
        return self._tx(lambda c: [_record(row) for row in c.execute(query).mappings()])

    def get_rule(self, rule_id: int) -> dict | None:
        return self._tx(lambda c: _one(c, rule_id))

    def create_rule(self, record: dict) -> dict | None:
        """Store a new rule (its ``id`` is ignored); None when its zone does not exist."""
        def work(conn):
            if not _zone_exists(conn, record["zone_id"]):
                return None
            rule_id = conn.execute(insert(rules).values(**_columns(record))).inserted_primary_key[0]
            return _one(conn, rule_id)

        return self._tx(work)

    def replace_rule(self, record: dict) -> dict | None:
        """Overwrite the rule with ``record["id"]``; None when it no longer exists."""
        def work(conn):
            changed = conn.execute(update(rules).where(rules.c.id == record["id"])
                                   .values(**_columns(record))).rowcount
            return _one(conn, record["id"]) if changed else None

        return self._tx(work)

    def delete_rule(self, rule_id: int) -> dict | None:
        """Delete a rule (a hold too); the deleted record, or None when there was none."""
        def work(conn):
            found = _one(conn, rule_id)
            if found is not None:
                conn.execute(delete(rules).where(rules.c.id == rule_id))
            return found

        return self._tx(work)

    def put_hold(self, record: dict) -> dict | None:
        """Make ``record`` the zone's one hold, replacing any other in the same
        transaction; None when the zone does not exist."""
        def work(conn):
            if not _zone_exists(conn, record["zone_id"]):
                return None
            conn.execute(delete(rules).where(rules.c.zone_id == record["zone_id"],
                                             rules.c.kind == "hold"))
            rule_id = conn.execute(insert(rules).values(**_columns(record))).inserted_primary_key[0]
            return _one(conn, rule_id)

        return self._tx(work)

    def delete_hold(self, zone_id: int) -> bool:
        """Cancel the zone's hold; False when it had none."""
        return self._tx(lambda c: c.execute(delete(rules).where(
            rules.c.zone_id == zone_id, rules.c.kind == "hold")).rowcount > 0)

    def delete_expired_holds(self, now: float) -> int:
        """Forget holds that ended at or before ``now``; they no longer apply anyway."""
        return self._tx(lambda c: c.execute(delete(rules).where(
            rules.c.kind == "hold", rules.c.hold_end.is_not(None), rules.c.hold_end <= now)).rowcount)

    def schedule_plugins(self, zone_id: int) -> list[dict]:
        """The zone's schedule plugins in order, ``[{"name": .., "settings": {..}}]``."""
        return self._tx(lambda c: c.execute(select(zone_schedule_plugins.c.uses).where(
            zone_schedule_plugins.c.zone_id == zone_id)).scalar() or [])

    def put_schedule_plugins(self, zone_id: int, uses: list[dict]) -> bool:
        """Replace the zone's schedule plugins; False when the zone does not exist."""
        def work(conn):
            if not _zone_exists(conn, zone_id):
                return False
            table = zone_schedule_plugins
            if conn.execute(update(table).where(table.c.zone_id == zone_id)
                            .values(uses=uses)).rowcount == 0:
                conn.execute(insert(table).values(zone_id=zone_id, uses=uses))
            return True

        return self._tx(work)
