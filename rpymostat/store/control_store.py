"""The control loop's durable record: switch events and the decision log. Blocking
methods mixed into :class:`rpymostat.store.store.Store` (which supplies ``_tx``).

A tick's decisions and switches are written in one transaction, so a tick costs one
commit however many zones changed.
"""

from __future__ import annotations

from sqlalchemy import func, insert, select

from rpymostat.store.schema import decisions, switch_events


def _decision(row) -> dict:
    return {"zone_id": row["zone_id"], "time": row["time"], "action": row["action"],
            "commands": row["commands"], "reason": row["reason"], "data": row["data"]}


class ControlStore:
    def record_control(self, decision_rows: list[dict], switch_rows: list[dict]) -> None:
        """Append decisions (``zone_id, time, action, commands, reason, data``) and switch
        events (``zone_id, function, state, time, reason``)."""
        def work(conn):
            if decision_rows:
                conn.execute(insert(decisions), decision_rows)
            if switch_rows:
                conn.execute(insert(switch_events), switch_rows)

        self._tx(work)

    def switch_history(self, since: float) -> list[dict]:
        """What the guard needs of every zone's past: per zone and function, when it last
        went on and off (``last_on``, ``last_off``, None for never) and its starts at or
        after ``since`` (``starts``, in time order)."""
        def work(conn):
            found: dict[tuple[int, str], dict] = {}

            def entry(zone_id, function):
                return found.setdefault((zone_id, function), {
                    "zone_id": zone_id, "function": function, "last_on": None, "last_off": None,
                    "starts": []})

            latest = conn.execute(
                select(switch_events.c.zone_id, switch_events.c.function, switch_events.c.state,
                       func.max(switch_events.c.time))
                .group_by(switch_events.c.zone_id, switch_events.c.function, switch_events.c.state))
            for zone_id, function, state, time in latest:
                entry(zone_id, function)["last_on" if state == "on" else "last_off"] = time
            recent = conn.execute(
                select(switch_events.c.zone_id, switch_events.c.function, switch_events.c.time)
                .where(switch_events.c.state == "on", switch_events.c.time >= since)
                .order_by(switch_events.c.time))
            for zone_id, function, time in recent:
                entry(zone_id, function)["starts"].append(time)
            return list(found.values())

        return self._tx(work)

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
