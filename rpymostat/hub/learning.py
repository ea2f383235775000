"""The learner's place in the hub: each zone's model, refitted from its recorded runs.

A zone's runs (the newest ``LEARN_RUNS``) are read on the store's thread at start-up and
again each time one of its runs ends, and fitted at the next ``model()`` call. The fit is
pure (``rpymostat.core.control.learner``); each finished run is measured once (its own
line through at most ``MAX_POINTS`` samples) and kept, so a run that ends costs its own
measure and the fit across at most ``LEARN_RUNS`` points, on the reactor thread (some
20 ms for 200 runs on a loaded x86 machine; the first reading after start-up measures
them all, a fraction of a second for 200 runs). Nothing of the model
is stored: the runs are, and a restarted hub fits the same model from them.
The control loop reads ``model()`` at every tick without waiting: until a zone's runs are
read, it gets the default rates.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs
from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from rpymostat.core.control.learner import (
    LEARN_RUNS,
    RunFit,
    ZoneModel,
    default_model,
    fit_zone_measured,
    measure,
    run_from_json,
)
from rpymostat.core.errors import Unavailable

log = Logger()


@attrs.frozen
class Fitted:
    measured: tuple[Optional[RunFit], ...]
    at: float
    model: Optional[ZoneModel] = None
    key: tuple[float, float, int] | None = None


def _key(values: Mapping[str, Any]) -> tuple[float, float, int]:
    return (float(values["default_heat_rate"]), float(values["default_cool_rate"]), int(values["learner_min_runs"]))


class Learning:
    """``store`` is the hub's AsyncStore; ``clock`` its wall clock."""

    def __init__(self, store, clock):
        self.store = store
        self.clock = clock
        self._zones: dict[int, Fitted] = {}
        self._measured: dict[int, dict[int, Optional[RunFit]]] = {}  # per zone, its finished runs (unchanging)

    @inlineCallbacks
    def load(self, zone_id: int):
        """Read the zone's runs again; the next ``model()`` fits them."""
        try:
            rows = yield self.store.list_runs(zone_id, 0.0, self.clock.seconds() + 1.0, LEARN_RUNS)
        except (Unavailable, OperationalError, InterfaceError) as exc:
            log.warn("the runs of zone {zone_id} could not be read to learn from: {why}", zone_id=zone_id, why=exc)
            return
        known = self._measured.get(zone_id, {})
        finished = [run for run in map(run_from_json, rows) if run.end is not None]
        measured = {run.id: known[run.id] if run.id in known else measure(run) for run in finished}
        self._measured[zone_id] = measured
        self._zones[zone_id] = Fitted(tuple(measured.values()), self.clock.seconds())

    def forget(self, zone_id: int) -> None:
        self._zones.pop(zone_id, None)
        self._measured.pop(zone_id, None)

    def known(self, zone_id: int) -> bool:
        return zone_id in self._zones

    def model(self, zone_id: int, values: Mapping[str, Any]) -> ZoneModel:
        """The zone's model under its settings ``values`` (``settings.for_zone``): fitted once
        per reading of its runs and change of the learner's settings."""
        key = _key(values)
        found = self._zones.get(zone_id)
        if found is None:
            return default_model(key[0], key[1])
        if found.model is None or found.key != key:
            found = attrs.evolve(found, model=fit_zone_measured(found.measured, *key), key=key)
            self._zones[zone_id] = found
        assert found.model is not None
        return found.model

    def fitted_at(self, zone_id: int) -> Optional[float]:
        found = self._zones.get(zone_id)
        return None if found is None else found.at
