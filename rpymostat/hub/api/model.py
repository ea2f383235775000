"""``GET /v1/zones/{zone_id}/model``: what the learner made of a zone's runs (docs/control.md,
learning). A mixin of ``HubAPI``."""

from __future__ import annotations

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.settings import for_zone
from rpymostat.core.timeutil import format_optional
from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import ZONE_ID_MAX, add_schemas, obj, ref
from rpymostat.hub.learning import Learning

_RATE = obj({
    "mode": {"type": "string", "enum": ["heat", "cool"]},
    "rate_k_per_h": {"type": "number", "description": "K/h in the mode's direction (a rise for heat, a fall "
                                                       "for cool) at the reference difference."},
    "per_kelvin": {"type": "number", "description": "How the rate changes per K of indoor − outdoor "
                                                    "difference (negative: slower when colder outside)."},
    "reference_difference": {"type": ["number", "null"], "description": "Indoor − outdoor difference (K) "
                             "at which `rate_k_per_h` holds; null: no outdoor temperature was known."},
    "dead_time_s": {"type": "number", "description": "Seconds from a start to the first change."},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1, "description": "0 for the default rate; "
                   "grows with the number of runs and falls with their scatter."},
    "learned": {"type": "boolean", "description": "False: the default rate stands in (too few runs)."},
    "runs": {"type": "array", "items": {"type": "integer"}, "description": "Ids of the runs it came from "
             "(GET /v1/runs)."},
    "outliers": {"type": "array", "items": {"type": "integer"}, "description": "Runs far off the fit (an "
                 "open window...): kept, outweighed by the median."},
}, required=["mode", "rate_k_per_h", "per_kelvin", "reference_difference", "dead_time_s", "confidence",
             "learned", "runs", "outliers"])

add_schemas({
    "Rate": _RATE,
    "ZoneModel": obj({
        "zone_id": {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
        "fitted_at": {"type": ["string", "null"], "format": "date-time",
                      "description": "When the runs were last read (at start-up, and as each run ends)."},
        "heat": ref("Rate"), "cool": ref("Rate"),
    }, required=["zone_id", "fitted_at", "heat", "cool"]),
})

MODEL_EXAMPLE = {
    "zone_id": 1, "fitted_at": "2026-12-01T07:02:10Z",
    "heat": {"mode": "heat", "rate_k_per_h": 2.8, "per_kelvin": -0.05, "reference_difference": 20.5,
             "dead_time_s": 420.0, "confidence": 0.86, "learned": True, "runs": [3, 5, 8, 9, 12], "outliers": [8]},
    "cool": {"mode": "cool", "rate_k_per_h": 2.0, "per_kelvin": 0.0, "reference_difference": None,
             "dead_time_s": 0.0, "confidence": 0.0, "learned": False, "runs": [], "outliers": []},
}


class ModelAPI:
    @op("GET", "/v1/zones/{zone_id}/model", summary="The zone's learned heating and cooling rates: the "
        "rate against the indoor − outdoor difference, the dead time, the confidence and the runs they "
        "came from; the default rates until enough runs exist.", tag="control", response="ZoneModel",
        example=MODEL_EXAMPLE)
    @inlineCallbacks
    def zone_model(self, call):
        zone_id = call.params["zone_id"]
        zone = yield self.store.get_zone(zone_id)
        learning = yield self._learning(zone_id)
        model = learning.model(zone_id, for_zone(self.settings, zone["settings"]))
        return {"zone_id": zone_id, "fitted_at": format_optional(learning.fitted_at(zone_id)), **model.to_json()}

    @inlineCallbacks
    def _learning(self, zone_id: int):
        """The control loop's learner once it has read the zone's runs, else one that reads them now."""
        learning = getattr(self.control, "learning", None)
        if learning is None or not learning.known(zone_id):
            learning = Learning(self.store, self.clock)
            yield learning.load(zone_id)
        return learning
