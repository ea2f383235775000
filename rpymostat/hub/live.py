"""What the hub knows right now without asking the database: the zones, nodes, sensors
and outputs as stored, which node owns which sensor, and each sensor's newest reading.

Every read route answers from here, and a control tick reads the newest values from
here, so a poll costs no database round trip. The database stays the durable record:
this is loaded from it at start, and each write the API makes goes through
:class:`LiveWrites`, which reads the tables back in the same thread call as the write,
so memory and database cannot drift apart. Readings, the one frequent write, move the
newest values forward here once their transaction has committed (:meth:`Live.record`).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable

import attrs
from twisted.internet.defer import Deferred

# The store's methods that change what Live holds; each is followed by a snapshot.
WRITES = frozenset({
    "enroll", "register_node", "delete_node", "release", "patch_sensor", "patch_output", "set_output_state",
    "create_zone", "patch_zone", "delete_zone",
})


@attrs.frozen
class Latest:
    value: float
    time: float


def _newer(time: float | None, than: float | None) -> bool:
    return time is not None and (than is None or time > than)


class Live:
    def __init__(self) -> None:
        self.nodes: dict[str, dict] = {}
        self.sensors: dict[str, dict] = {}
        self.outputs: dict[str, dict] = {}
        self.zones: dict[int, dict] = {}
        self.owner: dict[str, str] = {}
        self.latest: dict[str, Latest] = {}
        self.on_moved: Callable[[dict[str, Latest]], None] = lambda moved: None
        self.version = 0  # moves on every change: what caches of derived answers key on
        self._applied = -1

    def load(self, nodes: list[dict], sensors: list[dict], outputs: list[dict] = (),
             zones: list[dict] = ()) -> "Live":
        self.nodes = {node["id"]: dict(node) for node in nodes}
        self.sensors = {sensor["id"]: dict(sensor) for sensor in sensors}
        self.outputs = {output["id"]: dict(output) for output in outputs}
        self.zones = {zone["id"]: dict(zone) for zone in zones}
        self.owner = {s["id"]: s["node_id"] for s in sensors if s["node_id"] is not None}
        self.latest = {s["id"]: Latest(s["last_value"], s["last_time"])
                       for s in sensors if s["last_time"] is not None}
        self.version += 1
        return self

    def load_snapshot(self, snapshot: dict) -> "Live":
        return self.load(snapshot["nodes"], snapshot["sensors"], snapshot["outputs"], snapshot["zones"])

    def apply(self, snapshot: dict, sequence: int) -> None:
        """A snapshot read right after a write. Snapshots taken concurrently may arrive
        out of order: an older one is ignored. What readings moved forward meanwhile
        (newest values, a node's last contact) stays at the newer of the two."""
        if sequence <= self._applied:
            return
        self._applied = sequence
        latest, seen = dict(self.latest), {n: row["last_seen"] for n, row in self.nodes.items()}
        self.load_snapshot(snapshot)
        for sensor_id, kept in latest.items():
            sensor = self.sensors.get(sensor_id)
            if sensor is not None and _newer(kept.time, sensor["last_time"]):
                sensor["last_value"], sensor["last_time"] = kept.value, kept.time
                self.latest[sensor_id] = kept
        for node_id, last_seen in seen.items():
            node = self.nodes.get(node_id)
            if node is not None and _newer(last_seen, node["last_seen"]):
                node["last_seen"] = last_seen

    # -- the lists the read routes answer with ----------------------------------

    def zone_list(self) -> list[dict]:
        return [self.zones[zone_id] for zone_id in sorted(self.zones)]

    def sensor_list(self) -> list[dict]:
        return [self.sensors[sensor_id] for sensor_id in sorted(self.sensors)]

    def output_list(self) -> list[dict]:
        return [self.outputs[output_id] for output_id in sorted(self.outputs)]

    def node_list(self) -> list[dict]:
        return [self.nodes[node_id] for node_id in sorted(self.nodes)]

    # -- changes between snapshots -----------------------------------------------

    def registered(self, node_id: str, sensor_ids) -> None:
        self.nodes.setdefault(node_id, {"id": node_id, "last_seen": None})
        for sensor_id in sensor_ids:
            self.owner[sensor_id] = node_id
        self.version += 1

    def forget_node(self, node_id: str) -> None:
        self.nodes.pop(node_id, None)
        self.owner = {s: n for s, n in self.owner.items() if n != node_id}
        self.version += 1

    def release(self, sensor_id: str) -> None:
        self.owner.pop(sensor_id, None)
        self.version += 1

    def owned_by(self, sensor_id: str, node_id: str) -> bool:
        return self.owner.get(sensor_id) == node_id

    def record(self, rows: list[dict], seen: dict[str, float] | None = None) -> None:
        """Move sensors' newest readings forward, as the committed transaction did in the
        database; older readings (a replayed backlog) don't. ``seen``: each node's
        last contact. ``on_moved`` hears which readings moved (the live events)."""
        moved = {}
        for row in rows:
            sensor_id, time = row["sensor_id"], row["time"]
            current = self.latest.get(sensor_id)
            if current is None or time > current.time:
                self.latest[sensor_id] = moved[sensor_id] = Latest(row["value"], time)
                sensor = self.sensors.get(sensor_id)
                if sensor is not None:
                    sensor["last_value"], sensor["last_time"] = row["value"], time
        for node_id, when in (seen or {}).items():
            node = self.nodes.get(node_id)
            if node is not None and _newer(when, node.get("last_seen")):
                node["last_seen"] = when
        self.version += 1
        if moved:
            self.on_moved(moved)


class LiveWrites:
    """The API's store: its writes of zones, nodes, sensors and outputs update ``live``
    before they answer. Each such write runs in the store's thread together with a read
    of those tables (one round trip), under a lock, so each snapshot shows the writes
    up to and including its own, numbered in the order they were made. Every other call
    goes to ``store`` unchanged."""

    def __init__(self, store: Any, live: Live):
        self._store = store
        self._live = live
        self._lock = threading.Lock()
        self._numbers = itertools.count()

    def __getattr__(self, name: str) -> Any:
        if name in WRITES:
            return lambda *args, **kwargs: self._write(name, args, kwargs)
        return getattr(self._store, name)

    def _write(self, name: str, args: tuple, kwargs: dict) -> Deferred:
        target = self._store.target

        def work() -> tuple[Any, dict, int]:
            with self._lock:
                result = getattr(target, name)(*args, **kwargs)
                return result, target.snapshot(), next(self._numbers)

        def remembered(done: tuple[Any, dict, int]) -> Any:
            result, snapshot, number = done
            self._live.apply(snapshot, number)
            return result

        run: Callable[..., Deferred] = self._store.run
        return run(work).addCallback(remembered)
