"""The learner's place in the hub: each zone's model, refitted from its recorded runs.

A zone's runs (the newest ``LEARN_RUNS``) are read on the store's thread at start-up and
again each time one of its runs ends, and fitted at the next ``model()`` call: the fit is
pure (``rpymostat.core.control.learner``) and its cost is bounded by ``LEARN_RUNS`` runs of
at most ``MAX_POINTS`` samples each, once per run that ends (tens of milliseconds). Nothing
of the model is stored: the runs are, and a restarted hub fits the same model from them.
The control loop reads ``model()`` at every tick without waiting: until a zone's runs are
read, it gets the default rates.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import attrs
from sqlalchemy.exc import InterfaceError, OperationalError
from twisted.internet.defer import inlineCallbacks
from twisted.logger import Logger

from rpymostat.core.control.learner import LEARN_RUNS, Run, ZoneModel, default_model, fit_zone, run_from_json
from rpymostat.core.errors import Unavailable

log = Logger()


@attrs.frozen
class Fitted:
    runs: tuple[Run, ...]
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

    @inlineCallbacks
    def load(self, zone_id: int):
        """Read the zone's runs again; the next ``model()`` fits them."""
        try:
            rows = yield self.store.list_runs(zone_id, 0.0, self.clock.seconds() + 1.0, LEARN_RUNS)
        except (Unavailable, OperationalError, InterfaceError) as exc:
            log.warn("the runs of zone {zone_id} could not be read to learn from: {why}", zone_id=zone_id, why=exc)
            return
        self._zones[zone_id] = Fitted(tuple(run_from_json(row) for row in rows), self.clock.seconds())

    def forget(self, zone_id: int) -> None:
        self._zones.pop(zone_id, None)

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
            found = attrs.evolve(found, model=fit_zone(found.runs, *key), key=key)
            self._zones[zone_id] = found
        assert found.model is not None
        return found.model

    def fitted_at(self, zone_id: int) -> Optional[float]:
        found = self._zones.get(zone_id)
        return None if found is None else found.at
