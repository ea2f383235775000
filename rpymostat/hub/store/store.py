"""The hub's durable state behind plain, blocking methods.

Every method here blocks on the database, so the hub calls them through
:class:`AsyncStore`, which runs them in a thread pool and never on the reactor thread.
Methods take ``now`` explicitly so that the hub's injected clock is the only clock.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import (
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url

from rpymostat.core.errors import Conflict, NotFound  # noqa: F401  (part of the store's interface)
from rpymostat.core.history.names import sensor_series
from rpymostat.hub.store import migrate
from rpymostat.hub.store.control_store import ControlStore
from rpymostat.hub.store.history import HistoryStore
from rpymostat.hub.store.rawsql import Dialect, driver_cursor
from rpymostat.hub.store.rules_store import RuleStore
from rpymostat.hub.store.schema import (
    meta,
    nodes,
    outputs,
    reenrollments,
    sensors,
    settings,
    tokens,
    zones,
)
from rpymostat.hub.tokens import hash_token, new_token

REENROLL_WINDOW_S = 24 * 3600.0


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL; None for another database or one in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _rows(result) -> list[dict]:
    return [dict(row) for row in result.mappings()]


def _command_token(kind: str, existing) -> str | None:
    """A relay keeps its command token until a re-enrollment replaces it; other nodes have none."""
    if kind != "relay":
        return None
    if existing is not None and existing["command_token"] is not None:
        return existing["command_token"]
    return new_token()


class Store(RuleStore, ControlStore):
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.history = HistoryStore(self.engine)

    def open(self, now: float) -> dict:
        """Migrate, then make the hub's identity on first start.

        Returns ``{"hub_id": ..., "first_start": bool}``.
        """
        migrate.upgrade(self.engine)
        with self.engine.begin() as conn:
            hub_id = conn.execute(select(meta.c.value).where(meta.c.key == "hub_id")).scalar()
            first = hub_id is None
            if first:
                hub_id = uuid.uuid4().hex
                conn.execute(insert(meta).values(key="hub_id", value=hub_id))
                conn.execute(insert(meta).values(key="created_at", value=repr(now)))
        return {"hub_id": hub_id, "first_start": first}

    def close(self) -> None:
        self.engine.dispose()

    def _tx(self, work: Callable[[Connection], Any]) -> Any:
        with self.engine.begin() as conn:
            return work(conn)

    # -- meta ------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        return self._tx(lambda c: c.execute(select(meta.c.value).where(meta.c.key == key)).scalar())

    def set_meta(self, key: str, value: str) -> None:
        def work(conn):
            if conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
                conn.execute(insert(meta).values(key=key, value=value))

        self._tx(work)

    # -- tokens ----------------------------------------------------------

    def create_token(self, role: str, name: str, now: float, node_id: str | None = None) -> tuple[dict, str]:
        """A new token; the plain text is returned here once and never stored. A device
        token speaks for exactly one node, an admin token for none."""
        if (role == "device") != (node_id is not None):
            raise ValueError("a device token needs its node_id, and only a device token has one")
        return self._tx(lambda conn: self._insert_token(conn, role, name, now, node_id))

    @staticmethod
    def _insert_token(conn: Connection, role: str, name: str, now: float,
                      node_id: str | None) -> tuple[dict, str]:
        plain = new_token()
        row = dict(name=name, role=role, token_hash=hash_token(plain), node_id=node_id,
                   created_at=now, revoked_at=None)
        row["id"] = conn.execute(insert(tokens).values(**row)).inserted_primary_key[0]
        return row, plain

    def active_tokens(self) -> list[dict]:
        return self._tx(lambda c: _rows(c.execute(
            select(tokens).where(tokens.c.revoked_at.is_(None)).order_by(tokens.c.id))))

    def list_tokens(self) -> list[dict]:
        return self._tx(lambda c: _rows(c.execute(select(tokens).order_by(tokens.c.id))))

    def revoke_token(self, token_id: int, now: float) -> dict:
        def work(conn):
            row = conn.execute(select(tokens).where(tokens.c.id == token_id)).mappings().first()
            if row is None or row["revoked_at"] is not None:
                raise NotFound(f"no active token {token_id}")
            if row["role"] == "admin":
                admins = conn.execute(select(func.count()).select_from(tokens).where(
                    tokens.c.role == "admin", tokens.c.revoked_at.is_(None))).scalar()
                if admins <= 1:
                    raise Conflict("this is the last admin token; create another before revoking it")
            conn.execute(update(tokens).where(tokens.c.id == token_id).values(revoked_at=now))
            return {**row, "revoked_at": now}

        return self._tx(work)

    @staticmethod
    def revoke_node_tokens(conn: Connection, node_id: str, now: float) -> int:
        return conn.execute(update(tokens).where(tokens.c.node_id == node_id, tokens.c.revoked_at.is_(None))
                            .values(revoked_at=now)).rowcount

    # -- node identity ---------------------------------------------------

    @staticmethod
    def _lock_identities(conn: Connection) -> None:
        """Enrollments and registrations decide on what other transactions may be writing
        (is this node known, whose is this sensor): on PostgreSQL they take turns on the
        hub's own meta row. SQLite has one writer anyway."""
        conn.execute(select(meta.c.key).where(meta.c.key == "hub_id").with_for_update())

    @staticmethod
    def _has_identity(conn: Connection, node_id: str) -> bool:
        registered = conn.execute(select(nodes.c.id).where(nodes.c.id == node_id)).first() is not None
        return registered or conn.execute(select(tokens.c.id).where(
            tokens.c.node_id == node_id, tokens.c.revoked_at.is_(None))).first() is not None

    def enroll(self, node_id: str, name: str, now: float) -> tuple[dict, str]:
        """A device token for a node with no identity yet (neither registered nor holding
        an active token), or for one an admin allowed to enroll again: that uses the
        permission up and gives a relay a new command token, which it learns when it
        registers with its new device token."""
        def work(conn):
            self._lock_identities(conn)
            permitted = conn.execute(delete(reenrollments).where(
                reenrollments.c.node_id == node_id, reenrollments.c.expires_at > now)).rowcount == 1
            if not permitted and self._has_identity(conn, node_id):
                raise Conflict(f"node {node_id!r} is already enrolled; an admin can allow it to enroll "
                               f"again with `rpymostat node re-enroll {node_id}` on the hub "
                               f"(or POST /v1/nodes/{node_id}/re-enroll)")
            conn.execute(delete(reenrollments).where(reenrollments.c.node_id == node_id))
            self.revoke_node_tokens(conn, node_id, now)
            conn.execute(update(nodes).where(nodes.c.id == node_id, nodes.c.kind == "relay")
                         .values(command_token=new_token()))
            return self._insert_token(conn, "device", name, now, node_id)

        return self._tx(work)

    def allow_reenrollment(self, node_id: str, now: float, window_s: float = REENROLL_WINDOW_S) -> dict:
        """Let a known node enroll once more within ``window_s`` (a replaced or reinstalled
        machine); what it held until now is revoked at once."""
        def work(conn):
            self._lock_identities(conn)
            if not self._has_identity(conn, node_id):
                raise NotFound(f"node {node_id!r} is neither registered nor holds a token; "
                               f"it can enroll without being allowed to")
            revoked = self.revoke_node_tokens(conn, node_id, now)
            conn.execute(delete(reenrollments).where(reenrollments.c.node_id == node_id))
            conn.execute(insert(reenrollments).values(node_id=node_id, allowed_at=now,
                                                      expires_at=now + window_s))
            return {"node_id": node_id, "allowed_at": now, "expires_at": now + window_s,
                    "revoked_tokens": revoked}

        return self._tx(work)

    # -- settings --------------------------------------------------------

    def get_settings(self) -> dict:
        return self._tx(lambda c: {r.key: r.value for r in c.execute(select(settings))})

    def put_settings(self, changes: dict) -> None:
        def work(conn):
            for key, value in changes.items():
                if conn.execute(update(settings).where(settings.c.key == key).values(value=value)).rowcount == 0:
                    conn.execute(insert(settings).values(key=key, value=value))

        self._tx(work)

    # -- nodes, sensors, outputs ----------------------------------------

    def register_node(self, node: dict, node_sensors: Iterable[dict], node_outputs: Iterable[dict],
                      now: float) -> dict:
        """Create or refresh a node and the sensors and outputs it reports.

        A sensor or output that belongs to another node is refused (Conflict) and nothing
        changes: moving it takes an admin. Aliases and zone assignments that people made
        stay as they are. A relay node gets its command token the first time.
        """
        node_sensors, node_outputs = list(node_sensors), list(node_outputs)

        def work(conn):
            self._lock_identities(conn)
            self._check_claims(conn, sensors, "sensor", node["id"], [s["id"] for s in node_sensors])
            self._check_claims(conn, outputs, "output", node["id"], [o["id"] for o in node_outputs])
            existing = conn.execute(select(nodes).where(nodes.c.id == node["id"])).mappings().first()
            fields = {k: node.get(k) for k in ("kind", "name", "url", "address", "version", "tls_fingerprint")}
            fields["command_token"] = _command_token(node["kind"], existing)
            if existing is None:
                conn.execute(insert(nodes).values(id=node["id"], registered_at=now, last_seen=now, **fields))
            else:
                conn.execute(update(nodes).where(nodes.c.id == node["id"]).values(last_seen=now, **fields))
            for s in node_sensors:
                values = dict(node_id=node["id"], type=s["type"], name=s["name"])
                if conn.execute(update(sensors).where(sensors.c.id == s["id"]).values(**values)).rowcount == 0:
                    conn.execute(insert(sensors).values(id=s["id"], created_at=now, **values))
            for o in node_outputs:
                values = dict(node_id=node["id"], name=o["name"])
                if conn.execute(update(outputs).where(outputs.c.id == o["id"]).values(**values)).rowcount == 0:
                    conn.execute(insert(outputs).values(id=o["id"], created_at=now, state="off", **values))
            return conn.execute(select(nodes).where(nodes.c.id == node["id"])).mappings().one()

        return dict(self._tx(work))

    @staticmethod
    def _check_claims(conn: Connection, table, what: str, node_id: str, ids: list[str]) -> None:
        if not ids:
            return
        taken = conn.execute(select(table.c.id, table.c.node_id).where(
            table.c.id.in_(ids), table.c.node_id.is_not(None), table.c.node_id != node_id)
            .order_by(table.c.id)).first()
        if taken is not None:
            raise Conflict(f"{what} {taken.id!r} belongs to node {taken.node_id!r}; an admin can move it: "
                           f"release it (POST /v1/{what}s/{taken.id}/release) or forget that node "
                           f"(DELETE /v1/nodes/{taken.node_id}), then this node may claim it")

    def release(self, what: str, item_id: str) -> dict:
        """Detach a sensor or output from its node, keeping its alias, zone and history,
        so that another node may claim it."""
        table = {"sensor": sensors, "output": outputs}[what]

        def work(conn):
            if conn.execute(update(table).where(table.c.id == item_id).values(node_id=None)).rowcount == 0:
                raise NotFound(f"no {what} {item_id!r}")
            return dict(conn.execute(select(table).where(table.c.id == item_id)).mappings().one())

        return self._tx(work)

    def snapshot(self) -> dict:
        """Nodes, sensors, outputs and zones as of one transaction: what the hub's live
        state (:mod:`rpymostat.hub.live`) is loaded from, at start and after each write."""
        def work(conn):
            ids = conn.execute(select(zones.c.id).order_by(zones.c.id)).scalars().all()
            return {"nodes": _rows(conn.execute(select(nodes).order_by(nodes.c.id))),
                    "sensors": _rows(conn.execute(select(sensors).order_by(sensors.c.id))),
                    "outputs": _rows(conn.execute(select(outputs).order_by(outputs.c.id))),
                    "zones": [self._zone(conn, zone_id) for zone_id in ids]}

        return self._tx(work)

    def list_nodes(self) -> list[dict]:
        return self._tx(lambda c: _rows(c.execute(select(nodes).order_by(nodes.c.id))))

    def get_node(self, node_id: str) -> dict:
        row = self._tx(lambda c: c.execute(select(nodes).where(nodes.c.id == node_id)).mappings().first())
        if row is None:
            raise NotFound(f"no node {node_id!r}")
        return dict(row)

    def delete_node(self, node_id: str, now: float) -> None:
        """Forget a node and revoke its tokens; its sensors and outputs keep their history
        and come back attached if the node registers again."""
        def work(conn):
            if conn.execute(delete(nodes).where(nodes.c.id == node_id)).rowcount == 0:
                raise NotFound(f"no node {node_id!r}")
            self.revoke_node_tokens(conn, node_id, now)
            conn.execute(delete(reenrollments).where(reenrollments.c.node_id == node_id))

        self._tx(work)

    def list_sensors(self) -> list[dict]:
        return self._tx(lambda c: _rows(c.execute(select(sensors).order_by(sensors.c.id))))

    def get_sensor(self, sensor_id: str) -> dict:
        row = self._tx(lambda c: c.execute(select(sensors).where(sensors.c.id == sensor_id)).mappings().first())
        if row is None:
            raise NotFound(f"no sensor {sensor_id!r}")
        return dict(row)

    def patch_sensor(self, sensor_id: str, changes: dict) -> dict:
        def work(conn):
            self._check_zone(conn, changes.get("zone_id"))
            if conn.execute(update(sensors).where(sensors.c.id == sensor_id).values(**changes)).rowcount == 0:
                raise NotFound(f"no sensor {sensor_id!r}")
            return dict(conn.execute(select(sensors).where(sensors.c.id == sensor_id)).mappings().one())

        return self._tx(work)

    def list_outputs(self) -> list[dict]:
        return self._tx(lambda c: _rows(c.execute(select(outputs).order_by(outputs.c.id))))

    def get_output(self, output_id: str) -> dict:
        row = self._tx(lambda c: c.execute(select(outputs).where(outputs.c.id == output_id)).mappings().first())
        if row is None:
            raise NotFound(f"no output {output_id!r}")
        return dict(row)

    def patch_output(self, output_id: str, changes: dict) -> dict:
        def work(conn):
            current = conn.execute(select(outputs).where(outputs.c.id == output_id)).mappings().first()
            if current is None:
                raise NotFound(f"no output {output_id!r}")
            merged = {**current, **changes}
            self._check_zone(conn, merged["zone_id"])
            if merged["zone_id"] is not None and merged["function"] is not None:
                taken = conn.execute(select(outputs.c.id).where(
                    outputs.c.zone_id == merged["zone_id"], outputs.c.function == merged["function"],
                    outputs.c.id != output_id)).scalar()
                if taken:
                    raise Conflict(f"zone {merged['zone_id']} already has a {merged['function']} "
                                   f"output ({taken})")
            conn.execute(update(outputs).where(outputs.c.id == output_id).values(**changes))
            return dict(conn.execute(select(outputs).where(outputs.c.id == output_id)).mappings().one())

        return self._tx(work)

    def set_output_state(self, output_id: str, state: str, now: float) -> None:
        self._tx(lambda c: c.execute(update(outputs).where(outputs.c.id == output_id)
                                     .values(state=state, state_time=now)))

    # -- zones -----------------------------------------------------------

    @staticmethod
    def _check_zone(conn: Connection, zone_id: int | None) -> None:
        if zone_id is not None and conn.execute(select(zones.c.id).where(zones.c.id == zone_id)).first() is None:
            raise NotFound(f"no zone {zone_id}")

    def _zone(self, conn: Connection, zone_id: int) -> dict:
        row = conn.execute(select(zones).where(zones.c.id == zone_id)).mappings().first()
        if row is None:
            raise NotFound(f"no zone {zone_id}")
        zone = dict(row)
        zone["sensors"] = list(conn.execute(select(sensors.c.id).where(sensors.c.zone_id == zone_id)
                                            .order_by(sensors.c.id)).scalars())
        zone["outputs"] = {r.function: r.id for r in conn.execute(
            select(outputs.c.id, outputs.c.function).where(outputs.c.zone_id == zone_id,
                                                           outputs.c.function.is_not(None)))}
        return zone

    def _assign(self, conn: Connection, zone_id: int, sensor_ids, output_map) -> None:
        if sensor_ids is not None:
            known = set(conn.execute(select(sensors.c.id).where(sensors.c.id.in_(sensor_ids))).scalars())
            missing = sorted(set(sensor_ids) - known)
            if missing:
                raise NotFound(f"no sensor {missing[0]!r}")
            conn.execute(update(sensors).where(sensors.c.zone_id == zone_id).values(zone_id=None))
            if sensor_ids:
                conn.execute(update(sensors).where(sensors.c.id.in_(sensor_ids)).values(zone_id=zone_id))
        if output_map is not None:
            ids = list(output_map.values())
            if len(set(ids)) != len(ids):
                raise Conflict("one output cannot serve two functions")
            found = {r.id: r for r in conn.execute(select(outputs).where(outputs.c.id.in_(ids)))}
            for output_id in output_map.values():
                row = found.get(output_id)
                if row is None:
                    raise NotFound(f"no output {output_id!r}")
                if row.zone_id not in (None, zone_id):
                    raise Conflict(f"output {output_id!r} belongs to zone {row.zone_id}")
            conn.execute(update(outputs).where(outputs.c.zone_id == zone_id)
                         .values(zone_id=None, function=None))
            for function, output_id in output_map.items():
                conn.execute(update(outputs).where(outputs.c.id == output_id)
                             .values(zone_id=zone_id, function=function))

    def create_zone(self, zone: dict, now: float) -> dict:
        def work(conn):
            if conn.execute(select(zones.c.id).where(zones.c.name == zone["name"])).first():
                raise Conflict(f"a zone named {zone['name']!r} exists")
            zone_id = conn.execute(insert(zones).values(
                name=zone["name"], default_target=zone["default_target"],
                settings=zone.get("settings", {}), created_at=now, updated_at=now,
            )).inserted_primary_key[0]
            self._assign(conn, zone_id, zone.get("sensors"), zone.get("outputs"))
            return self._zone(conn, zone_id)

        return self._tx(work)

    def list_zones(self) -> list[dict]:
        def work(conn):
            ids = conn.execute(select(zones.c.id).order_by(zones.c.id)).scalars().all()
            return [self._zone(conn, zone_id) for zone_id in ids]

        return self._tx(work)

    def get_zone(self, zone_id: int) -> dict:
        return self._tx(lambda c: self._zone(c, zone_id))

    def patch_zone(self, zone_id: int, changes: dict, now: float) -> dict:
        def work(conn):
            self._zone(conn, zone_id)
            name = changes.get("name")
            if name is not None and conn.execute(select(zones.c.id).where(
                    zones.c.name == name, zones.c.id != zone_id)).first():
                raise Conflict(f"a zone named {name!r} exists")
            columns = {k: changes[k] for k in ("name", "default_target", "settings") if k in changes}
            conn.execute(update(zones).where(zones.c.id == zone_id).values(updated_at=now, **columns))
            self._assign(conn, zone_id, changes.get("sensors"), changes.get("outputs"))
            return self._zone(conn, zone_id)

        return self._tx(work)

    def delete_zone(self, zone_id: int) -> None:
        def work(conn):
            self._zone(conn, zone_id)
            conn.execute(update(sensors).where(sensors.c.zone_id == zone_id).values(zone_id=None))
            conn.execute(update(outputs).where(outputs.c.zone_id == zone_id).values(zone_id=None, function=None))
            conn.execute(delete(zones).where(zones.c.id == zone_id))

        self._tx(work)

    # -- readings --------------------------------------------------------

    def add_readings(self, node_id: str, rows: list[dict], now: float) -> int:
        """Store readings, ignoring any (sensor, time) already stored, and move each
        sensor's latest value forward. Returns how many were new."""
        return self.add_reading_batches([(node_id, rows, now)])[0]

    def add_reading_batches(self, batches: list[tuple[str, list[dict], float]]) -> list[int]:
        """Several requests' readings in one transaction: one insert, one update per sensor
        and per node, one commit. Returns each request's count of new readings (a reading
        sent twice counts for the first request that carried it)."""
        def work(conn):
            rows = [row for _, request_rows, _ in batches for row in request_rows]
            names = {sensor_id: sensor_series(sensor_id) for sensor_id in {row["sensor_id"] for row in rows}}
            appended = self.history.append_on(conn, [(names[row["sensor_id"]], row["time"], row["value"])
                                                     for row in rows])
            new, start, counts = set(appended.new), 0, []
            for _, request_rows, _ in batches:
                keys = set(appended.keys[start:start + len(request_rows)]) & new
                start += len(request_rows)
                new -= keys
                counts.append(len(keys))
            cursor, dialect = driver_cursor(conn), Dialect.of(conn)
            latest: dict[str, dict] = {}
            for row in rows:
                if row["sensor_id"] not in latest or row["time"] > latest[row["sensor_id"]]["time"]:
                    latest[row["sensor_id"]] = row
            if latest:
                cursor.executemany(dialect.sql(_MOVE_LATEST), [(row["value"], row["time"], sensor_id, row["time"])
                                                     for sensor_id, row in latest.items()])
            seen: dict[str, float] = {}
            for node_id, _, now in batches:
                seen[node_id] = max(now, seen.get(node_id, now))
            cursor.executemany(dialect.sql(_NODE_SEEN), [(now, node_id) for node_id, now in seen.items()])
            cursor.close()
            return counts, appended.ids

        counts, ids = self._tx(work)
        self.history.remember(ids)
        return counts

    def readings_for(self, sensor_id: str, start: float, end: float) -> list[dict]:
        return [{"time": time, "value": value}
                for time, value in self.history.raw_points(sensor_series(sensor_id), start, end)]


# What the readings path changes besides the history, in plain SQL (see rawsql.py).
_MOVE_LATEST = "UPDATE sensors SET last_value = ?, last_time = ? WHERE id = ? AND (last_time IS NULL OR last_time < ?)"
_NODE_SEEN = "UPDATE nodes SET last_seen = ? WHERE id = ?"
