"""What the hub knows right now without asking the database: the registered nodes, which
node owns which sensor, and each sensor's newest reading.

Readings arrive many times a minute and every control tick needs the newest values, so
both are answered from memory; the database stays the durable record, and this is
rebuilt from it at start.
"""

from __future__ import annotations

from typing import Callable

import attrs


@attrs.frozen
class Latest:
    value: float
    time: float


class Live:
    def __init__(self):
        self.nodes: set[str] = set()
        self.owner: dict[str, str] = {}
        self.latest: dict[str, Latest] = {}
        self.on_moved: Callable[[dict[str, Latest]], None] = lambda moved: None

    def load(self, nodes: list[dict], sensors: list[dict]) -> "Live":
        self.nodes = {node["id"] for node in nodes}
        self.owner = {s["id"]: s["node_id"] for s in sensors if s["node_id"] is not None}
        self.latest = {s["id"]: Latest(s["last_value"], s["last_time"])
                       for s in sensors if s["last_time"] is not None}
        return self

    def registered(self, node_id: str, sensor_ids) -> None:
        self.nodes.add(node_id)
        for sensor_id in sensor_ids:
            self.owner[sensor_id] = node_id

    def forget_node(self, node_id: str) -> None:
        self.nodes.discard(node_id)
        self.owner = {s: n for s, n in self.owner.items() if n != node_id}

    def release(self, sensor_id: str) -> None:
        self.owner.pop(sensor_id, None)

    def owned_by(self, sensor_id: str, node_id: str) -> bool:
        return self.owner.get(sensor_id) == node_id

    def record(self, rows: list[dict]) -> None:
        """Move sensors' newest readings forward; older readings (a replayed backlog) don't.
        ``on_moved`` hears which moved (the live events)."""
        moved = {}
        for row in rows:
            current = self.latest.get(row["sensor_id"])
            if current is None or row["time"] > current.time:
                self.latest[row["sensor_id"]] = moved[row["sensor_id"]] = Latest(row["value"], row["time"])
        if moved:
            self.on_moved(moved)
