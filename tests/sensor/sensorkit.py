"""A sensor node wired to the in-memory hub on the hub's Clock, for the daemon's tests."""

from __future__ import annotations

from rpymostat.node.link import HubLink
from rpymostat_sensor.daemon import SensorNode
from rpymostat_sensor.drivers.sim import SimDriver
from rpymostat_sensor.queue import ReadingQueue
from tests.hubkit import ENROLLMENT_KEY, Hub
from tests.sensor.nodekit import FlakyHttp, inline

SENSORS = {"sensors": [{"id": "28-000000000001"}, {"id": "28-000000000002"}]}


class Source:
    """Simulated temperatures; a sensor listed in ``broken`` gives no value."""

    def __init__(self):
        self.broken: set[str] = set()

    def temperature(self, sensor_id, now):
        return None if sensor_id in self.broken else 20.0 + (now % 100) / 100


class Node:
    """A sensor node talking to the hub through a FlakyHttp, with helpers to move time."""

    def __init__(self, hub: Hub, data_dir, http: FlakyHttp | None = None, driver=None, **link_args):
        self.hub = hub
        self.http = http or FlakyHttp(hub.client)
        self.source = Source()
        self.driver = driver or SimDriver(SENSORS, clock=hub.clock.seconds, source=self.source)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.queue = ReadingQueue(data_dir / "queue.sqlite3")
        self.node = SensorNode(clock=hub.clock, driver=self.driver, queue=self.queue, node_id="pi-1",
                               name="Pi 1", run=inline)
        args = {"hub_url": "http://hub", "enrollment_key": ENROLLMENT_KEY, **link_args}
        self.node.link = HubLink(clock=hub.clock, http=self.http, data_dir=data_dir, node_id="pi-1",
                                 name="Pi 1", registration=self.node.registration,
                                 on_registered=self.node.registered, **args)

    def start(self):
        self.node.start()
        self.flush()
        self.hub.clock.advance(0)
        self.flush()

    def flush(self):
        for _ in range(5):
            self.hub.client.flush()

    def advance(self, seconds: float, step: float = 1.0):
        while seconds > 1e-9:
            self.hub.clock.advance(min(step, seconds))
            seconds -= step
            self.flush()

    def queued_times(self) -> list[float]:
        """The distinct times of the readings waiting in the queue, oldest first."""
        from rpymostat.core.timeutil import parse_time, to_timestamp

        return sorted({to_timestamp(parse_time(r.time)) for r in self.queue.peek(100_000)})

    def stop(self):
        stopped = self.node.stop()
        assert stopped.called, "with inline work nothing is left in flight"
        assert not self.node.crashed.called, "the node stopped on an unexpected error"
        self.queue.close()


def stored(hub: Hub) -> list[tuple[str, float]]:
    """(sensor_id, time) of every reading the hub stored, by time, then sensor."""
    history = hub.raw_store.history
    return sorted(((name.removeprefix("sensor/"), time) for name in history.series_names("sensor/")
                   for time, _ in history.raw_points(name, 0, 2**40)), key=lambda row: (row[1], row[0]))
