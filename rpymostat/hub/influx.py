"""The InfluxDB export (docs/history.md): every point the history store takes also goes,
as InfluxDB line protocol, to an InfluxDB v2 write API (InfluxDB 2, or a server that speaks
its write API, such as VictoriaMetrics).

The export must never slow the hub down nor grow without bound when the server is away:
points wait in a bounded buffer; a thread of its own writes them in batches, retrying a
failed batch with exponential backoff; when the buffer is full, new points are dropped and
counted (``dropped``). A batch the server refuses as malformed (HTTP 400) is not retried
(``rejected``). The hub's own store stays the record; the export is a copy.

Layout (measurement, tags, field), one field per point:

- ``sensor/<id>``: ``temperature,sensor=<id> value=<°C>``
- ``zone/<id>/<field>``: ``zone,zone=<id> <field>=<value>`` (temperature, target, target_low,
  target_high, mode, action: the codes of :mod:`rpymostat.core.history.names`)
- ``output/<id>/state``: ``output,output=<id> state=<0|1>``
- ``outdoor/temperature``: ``outdoor temperature=<°C>``
- any other ``<kind>/<rest>``: ``<kind>,series=<rest> value=<v>``

Every point also carries the tag ``system`` (the hub's system name); times are in
milliseconds.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import Callable, Iterable, Sequence

import attrs
from twisted.application.service import Service
from twisted.logger import Logger

log = Logger()

Point = tuple[str, float, float]
Write = Callable[[list[str]], None]


class Refused(Exception):
    """The server refused a batch as malformed: sending it again would not help."""


def _escape(text: str, specials: str) -> str:
    for char in "\\" + specials:
        text = text.replace(char, "\\" + char)
    return text


def _tag(text: str) -> str:
    return _escape(text, ", =")


def layout(series: str) -> tuple[str, dict[str, str], str]:
    """``(measurement, tags, field)`` of a series name."""
    kind, _, rest = series.partition("/")
    if kind == "sensor" and rest:
        return "temperature", {"sensor": rest}, "value"
    if kind == "zone" and "/" in rest:
        zone_id, _, field = rest.rpartition("/")
        return "zone", {"zone": zone_id}, field
    if kind == "output" and rest.endswith("/state"):
        return "output", {"output": rest.removesuffix("/state")}, "state"
    if kind == "outdoor" and rest and "/" not in rest:
        return "outdoor", {}, rest
    return kind or "series", ({"series": rest} if rest else {}), "value"


def line(point: Point, tags: dict[str, str]) -> str:
    """One point as a line of InfluxDB line protocol, its time in milliseconds."""
    series, time, value = point
    measurement, own, field = layout(series)
    labels = "".join(f",{_tag(k)}={_tag(v)}" for k, v in sorted({**tags, **own}.items()) if v)
    return f"{_escape(measurement, ', ')}{labels} {_tag(field)}={float(value)!r} {round(time * 1000)}"


@attrs.frozen
class Backoff:
    """Seconds to wait before the ``n``-th retry (from 0): doubling from ``first_s`` up to
    ``most_s``."""

    first_s: float = 1.0
    most_s: float = 60.0

    def delay(self, attempt: int) -> float:
        return min(self.most_s, self.first_s * 2 ** min(attempt, 32))


class InfluxSink:
    """The bounded buffer and the thread that empties it into ``write``.

    ``offer`` may be called from any thread and never blocks. ``wait`` is how the thread
    waits between retries (an ``Event.wait``: ``stop`` cuts it short); tests pass their own.
    """

    def __init__(self, write: Write, *, tags: dict[str, str] | None = None, capacity: int = 100_000,
                 batch: int = 5000, backoff: Backoff = Backoff()):
        self._write = write
        self.tags = dict(tags or {})
        self.capacity = capacity
        self.batch = batch
        self.backoff = backoff
        self._buffer: deque[Point] = deque()
        self._lock = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False
        self.dropped = 0
        self.rejected = 0
        self.written = 0
        self.retries = 0

    def offer(self, points: Iterable[Point]) -> int:
        """Queue points for export; returns how many were taken (the rest are dropped)."""
        taken = dropped = 0
        with self._lock:
            for point in points:
                if len(self._buffer) >= self.capacity:
                    dropped += 1
                    continue
                self._buffer.append(point)
                taken += 1
            if taken:
                self._lock.notify_all()
            if dropped and not self.dropped:
                log.warn("the InfluxDB export's buffer is full ({capacity} points): new points are "
                         "dropped until the server takes them again", capacity=self.capacity)
            self.dropped += dropped
        return taken

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name="rpymostat-influx", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop retrying; what is buffered is tried once more, within ``timeout_s``."""
        self._stopping.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def drain(self, timeout_s: float) -> bool:
        """Wait until everything offered so far was written or given up; True if so."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._buffer and not self._busy, timeout_s)

    def _take(self) -> list[Point] | None:
        with self._lock:
            self._lock.wait_for(lambda: self._buffer or self._stopping.is_set())
            if not self._buffer:
                return None
            self._busy = True
            return [self._buffer.popleft() for _ in range(min(self.batch, len(self._buffer)))]

    def _done(self) -> None:
        with self._lock:
            self._busy = False
            self._lock.notify_all()

    def run(self) -> None:
        """The export thread: batches until stopped, then what is left, once."""
        while True:
            points = self._take()
            if points is None:
                return
            try:
                self.send(points)
            finally:
                self._done()

    def send(self, points: Sequence[Point]) -> bool:
        """Write one batch, retrying with backoff until it is written, refused, or the sink
        stops; True when written."""
        lines = [line(point, self.tags) for point in points]
        attempt = 0
        while True:
            try:
                self._write(lines)
            except Refused as exc:
                self.rejected += len(lines)
                log.error("the InfluxDB server refused {count} points: {why}", count=len(lines), why=exc)
                return False
            except Exception as exc:  # noqa: BLE001 - any failure to reach the server is retried
                if self._stopping.is_set():
                    with self._lock:
                        self.dropped += len(lines)
                    return False
                delay = self.backoff.delay(attempt)
                if attempt == 0:
                    log.warn("InfluxDB export failed ({why}); retrying in {delay} s", why=exc, delay=delay)
                attempt += 1
                self.retries += 1
                self._stopping.wait(delay)
                continue
            self.written += len(lines)
            if attempt:
                log.info("InfluxDB export works again after {attempts} retries; {dropped} points dropped "
                         "so far", attempts=attempt, dropped=self.dropped)
            return True


def influx_writer(url: str, org: str, bucket: str, token: str, timeout_ms: int = 10_000) -> Write:
    """A ``write`` for :class:`InfluxSink` through influxdb-client's v2 write API."""
    from influxdb_client import InfluxDBClient, WritePrecision
    from influxdb_client.client.write_api import SYNCHRONOUS
    from influxdb_client.rest import ApiException

    client = InfluxDBClient(url=url, token=token, org=org, timeout=timeout_ms)
    api = client.write_api(write_options=SYNCHRONOUS)

    def write(lines: list[str]) -> None:
        try:
            api.write(bucket=bucket, org=org, record=lines, write_precision=WritePrecision.MS)
        except ApiException as exc:
            if exc.status == 400:
                raise Refused(f"HTTP 400: {exc.body!r:.200}") from exc
            raise

    return write


class InfluxExport(Service):
    """The sink as a part of the hub: started and stopped with it."""

    def __init__(self, sink: InfluxSink):
        self.sink = sink

    def startService(self) -> None:
        super().startService()
        self.sink.start()

    def stopService(self) -> None:
        super().stopService()
        self.sink.stop()


def read_token(path: Path) -> str:
    """The API token kept in a file (not in the config, which may be readable by others)."""
    token = path.read_text().strip()
    if not token:
        raise ValueError(f"{path} holds no token")
    return token


class ExportingHistory:
    """The hub's history store, with every point it takes as new also offered to the sink.

    Points are offered as they are appended, inside the writer's transaction: a point of a
    transaction that then fails is exported all the same, and comes again with the retry
    (InfluxDB keeps one value per series and time, so it is not counted twice)."""

    def __init__(self, history, sink: InfluxSink):
        self._history = history
        self.sink = sink

    def __getattr__(self, name: str):
        return getattr(self._history, name)

    def append_on(self, conn, points: Sequence[Point]):
        appended = self._history.append_on(conn, points)
        new = appended.new
        self.sink.offer(point for point, key in zip(points, appended.keys) if key in new)
        return appended


def attach_influx(config, store) -> InfluxExport | None:
    """The export ``config`` asks for (none without ``influxdb_url``), feeding on ``store``'s
    history. A token file that cannot be read leaves the export off, said in the log: the
    hub's own work goes on without it."""
    if not config.influxdb_url:
        return None
    token = ""
    if config.influxdb_token_file is not None:
        try:
            token = read_token(config.influxdb_token_file)
        except (OSError, ValueError) as exc:
            log.error("the InfluxDB export is off: its token file cannot be read ({why}); set "
                      "influxdb_token_file to a file holding the token", why=exc)
            return None
    sink = InfluxSink(influx_writer(config.influxdb_url, config.influxdb_org, config.influxdb_bucket, token),
                      tags={"system": config.system})
    store.history = ExportingHistory(store.history, sink)
    log.info("exporting the history to InfluxDB at {url}, bucket {bucket}", url=config.influxdb_url,
             bucket=config.influxdb_bucket)
    return InfluxExport(sink)
