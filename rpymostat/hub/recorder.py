"""The history's periodic jobs (docs/history.md): a sample of every heating or cooling run
each ``run_sample_minutes``, and the retention of the series, the decision log and the
runs. The series themselves and the runs' starts and ends are written with the control
loop's own record (``ControlStore.record_control``); this service adds what happens
between the control loop's writes.

Both jobs read the hub's settings when they run, so a changed retention or sampling
interval applies from the next round; both run on the store's thread, and on the hub's
injected clock.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.application.service import Service
from twisted.internet.defer import inlineCallbacks
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from rpymostat.core.errors import Unavailable

log = Logger()

SAMPLE_CHECK_S = 30.0
RETENTION_EVERY_S = 3600.0
DAY_S = 86_400.0


def keep_s(days: int | None) -> float | None:
    return None if days is None else days * DAY_S


def control_temperatures(control) -> dict[int, float | None]:
    """Each zone's temperature as the control loop saw it at its last decision."""
    if control is None:
        return {}
    found = {}
    for zone in control.zones:
        runtime = control.zone_runtime(zone["id"])
        found[zone["id"]] = None if runtime is None else runtime["temperature"]
    return found


class Recorder(Service):
    """``store`` is an :class:`rpymostat.hub.store.aio.AsyncStore`; ``settings`` returns the
    hub's settings in force; ``temperatures`` the zones' temperatures now."""

    def __init__(self, store, clock, settings: Callable[[], Mapping[str, Any]],
                 temperatures: Callable[[], Mapping[int, float | None]] = dict):
        self.store = store
        self.clock = clock
        self.settings = settings
        self.temperatures = temperatures
        self._loops: list[LoopingCall] = []

    def startService(self) -> None:
        super().startService()
        for job, every in ((self.sample, SAMPLE_CHECK_S), (self.retain, RETENTION_EVERY_S)):
            loop = LoopingCall(self._guarded, job)
            loop.clock = self.clock
            loop.start(every, now=True)
            self._loops.append(loop)

    def stopService(self) -> None:
        super().stopService()
        for loop in self._loops:
            if loop.running:
                loop.stop()
        self._loops = []

    def _guarded(self, job):
        """A round that fails is logged and the next one runs as planned."""
        def failed(failure):
            if failure.check(OperationalError, InterfaceError, Unavailable):
                log.warn("history job {job} could not reach the database: {why}", job=job.__name__,
                         why=failure.value)
            else:
                log.failure("history job {job} failed", failure, job=job.__name__)

        return job().addErrback(failed)

    def sample(self):
        every_s = self.settings()["run_sample_minutes"] * 60.0
        return self.store.sample_runs(self.clock.seconds(), every_s, dict(self.temperatures()))

    @inlineCallbacks
    def retain(self):
        """Old raw points, rollups, decisions and runs go, as the settings say."""
        settings, now = self.settings(), self.clock.seconds()
        store = self.store
        points = yield store.history.apply_retention(now, keep_s(settings["history_raw_days"]),
                                                     keep_s(settings["history_rollup_days"]))
        rows = yield store.forget_control(now, keep_s(settings["decisions_keep_days"]),
                                          keep_s(settings["runs_keep_days"]))
        if points or rows:
            log.info("retention removed {points} history rows and {rows} decision, switch and run rows",
                     points=points, rows=rows)
        return points + rows
