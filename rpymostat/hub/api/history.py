"""History routes (DESIGN §4; docs/history.md): the time series downsampled on the server,
as JSON or CSV, the names of the series, and the zones' heating and cooling runs. A mixin
of ``HubAPI``.

The history store is synchronous like the rest of the store; ``store.history`` runs it where
the store's work runs (a thread pool in the hub, inline in tests).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

from twisted.internet.defer import inlineCallbacks

from rpymostat.core.timeutil import format_time
from rpymostat.hub.api.routes import op
from rpymostat.hub.api.schemas import ZONE_ID_MAX, add_schemas, nullable, obj, ref
from rpymostat.hub.api.window import TIME_QUERY, query_window
from rpymostat.web.http import not_found
from rpymostat.web.routing import Param, Raw

HISTORY_DEFAULT = timedelta(days=1)
HISTORY_MAX_WINDOW = timedelta(days=3653)  # ten years
MAX_POINTS_DEFAULT = 500
MAX_POINTS_MAX = 10_000
SERIES_MAX = 16
RUNS_DEFAULT = timedelta(days=7)
RUNS_MAX_WINDOW = timedelta(days=400)
RUNS_LIMIT = 100
RUNS_LIMIT_MAX = 1000
CSV_HEADER = ("series", "time", "min", "mean", "max", "count")

SERIES_NAME = {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$", "maxLength": 200,
               "description": "`sensor/<id>`, `zone/<id>/<field>`, `output/<id>/state`, "
                              "`outdoor/temperature` (GET /v1/history/series lists them)."}
_Time = {"type": "string", "format": "date-time"}
_Number = {"type": "number"}
_Celsius = {"type": ["number", "null"], "description": "°C; null: not known."}
_Temperatures = {"type": "object", "additionalProperties": _Number,
                 "description": "Each sensor of the zone with a fresh value (°C), by id."}

_EXAMPLE_START = "2026-12-01T00:00:00Z"
HISTORY_EXAMPLE = {
    "from": _EXAMPLE_START, "to": "2026-12-02T00:00:00Z", "max_points": 1, "truncated": False,
    "series": [{"name": "sensor/28-0316a2795aff", "resolution": "1d", "step_s": 86400.0,
                "points": [{"time": _EXAMPLE_START, "min": 18.5, "mean": 20.0, "max": 21.0, "count": 1438}]}],
}
CSV_EXAMPLE = ("series,time,min,mean,max,count\r\n"
               "sensor/28-0316a2795aff,2026-12-01T00:00:00Z,18.5,20.0,21.0,1438\r\n")
RUNS_EXAMPLE = {
    "zone_id": 1, "from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z", "truncated": False,
    "runs": [{"id": 7, "zone_id": 1, "kind": "heat", "start": "2026-12-01T06:00:00Z",
              "end": "2026-12-01T06:12:30Z", "duration_s": 750.0, "start_temperature": 18.7,
              "start_outdoor": 2.5, "start_sensors": {"28-0316a2795aff": 18.7},
              "samples": [{"time": "2026-12-01T06:05:00Z", "temperature": 19.1, "outdoor": 2.5,
                           "sensors": {"28-0316a2795aff": 19.1}},
                          {"time": "2026-12-01T06:10:00Z", "temperature": 19.6, "outdoor": 2.4,
                           "sensors": {"28-0316a2795aff": 19.6}}]}],
}

add_schemas({
    "HistoryPoint": obj(
        {"time": {**_Time, "description": "The bucket's start (raw data: the point's time)."},
         "min": _Number, "mean": _Number, "max": _Number,
         "count": {"type": "integer", "minimum": 1, "description": "Raw points in the bucket."}},
        required=["time", "min", "mean", "max", "count"],
    ),
    "HistorySeries": obj(
        {"name": SERIES_NAME,
         "resolution": {"type": "string", "description": "`raw`, or the rollup's bucket (`1m`, `15m`, "
                                                         "`1h`, ...)."},
         "step_s": {"type": ["number", "null"], "description": "Seconds per bucket; null: raw."},
         "points": {"type": "array", "items": ref("HistoryPoint")}},
        required=["name", "resolution", "step_s", "points"],
    ),
    "History": obj(
        {"from": _Time, "to": _Time,
         "max_points": {"type": "integer", "minimum": 1, "maximum": MAX_POINTS_MAX},
         "series": {"type": "array", "items": ref("HistorySeries")},
         "truncated": {"type": "boolean", "description": f"The range asked for was longer than "
                                                         f"{HISTORY_MAX_WINDOW.days} days: `from` is "
                                                         f"its last {HISTORY_MAX_WINDOW.days} days' start."}},
        required=["from", "to", "max_points", "series", "truncated"],
    ),
    "SeriesNames": obj({"series": {"type": "array", "items": SERIES_NAME}}, required=["series"]),
    "RunSample": obj(
        {"time": _Time, "temperature": _Celsius, "outdoor": _Celsius, "sensors": _Temperatures},
        required=["time", "temperature", "outdoor", "sensors"],
    ),
    "Run": obj(
        {"id": {"type": "integer"}, "zone_id": {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
         "kind": {"type": "string", "enum": ["heat", "cool"]}, "start": _Time,
         "end": nullable({**_Time, "description": "null: the run goes on."}),
         "duration_s": {"type": ["number", "null"], "minimum": 0},
         "start_temperature": _Celsius, "start_outdoor": _Celsius, "start_sensors": _Temperatures,
         "samples": {"type": "array", "items": ref("RunSample")}},
        required=["id", "zone_id", "kind", "start", "end", "duration_s", "start_temperature",
                  "start_outdoor", "start_sensors", "samples"],
    ),
    "RunList": obj(
        {"zone_id": nullable({"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX}),
         "from": _Time, "to": _Time, "runs": {"type": "array", "items": ref("Run")},
         "truncated": {"type": "boolean", "description": f"More runs overlapped the window than `limit`, "
                                                         f"or the window asked for was longer than "
                                                         f"{RUNS_MAX_WINDOW.days} days: these are the "
                                                         f"newest."}},
        required=["zone_id", "from", "to", "runs", "truncated"],
    ),
})


def window_problem(start: datetime, end: datetime) -> str | None:
    """Why a person's [start, end) is likely a mistake (the API cuts or empties such a
    range instead); None when it is not."""
    if end <= start:
        return "`to` must be after `from`"
    if end - start > HISTORY_MAX_WINDOW:
        return (f"a history query spans at most {HISTORY_MAX_WINDOW.days} days; ask for a shorter "
                f"range, or several")
    return None


def unknown_series(names: list[str], known: set[str]) -> str | None:
    """Why ``names`` cannot be answered: the first not among the ``known`` series."""
    missing = [name for name in names if name not in known]
    return None if not missing else f"no series {missing[0]!r}"


def history_csv(series: list[dict]) -> bytes:
    """One row per series and bucket under a header line, as ``series_json`` gives them."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for entry in series:
        for point in entry["points"]:
            writer.writerow((entry["name"], point["time"], repr(point["min"]), repr(point["mean"]),
                             repr(point["max"]), point["count"]))
    return out.getvalue().encode("utf-8")


def _wants_csv(call) -> bool:
    if "format" in call.query:
        return call.query["format"] == "csv"
    accept = (call.request.getHeader(b"accept") or b"").decode("latin-1").lower()
    return "text/csv" in accept and "application/json" not in accept


def series_json(data) -> dict:
    return {"name": data.series, "resolution": data.resolution, "step_s": data.step_s,
            "points": [{"time": format_time(time), "min": low, "mean": mean, "max": high, "count": count}
                       for time, low, mean, high, count in data.points]}


def _run_json(run: dict) -> dict:
    samples = [{**sample, "time": format_time(sample["time"])} for sample in run["samples"]]
    end = run["end"]
    return {**run, "start": format_time(run["start"]), "end": None if end is None else format_time(end),
            "samples": samples}


def _empty(name: str) -> dict:
    return {"name": name, "resolution": "raw", "step_s": None, "points": []}


class HistoryAPI:
    def _history_window(self, query: dict) -> tuple[datetime, datetime, bool]:
        """[from, to) and whether it was cut: as every listing of this API, a range longer
        than the most is cut (to its end), and one backwards is empty, never refused."""
        window = query_window(query, self._now_dt(), default=HISTORY_DEFAULT, longest=HISTORY_MAX_WINDOW,
                              anchor="to")
        return window.start, window.end, window.cut

    @op("GET", "/v1/history", summary="Time series over [from, to), downsampled on the server to at "
        "most max_points buckets per series with min/mean/max (raw points when they are few "
        "enough); JSON, or CSV with `format=csv` or `Accept: text/csv`.", tag="history",
        response="History", example=HISTORY_EXAMPLE,
        media={"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        query=(Param("series", {"type": "array", "items": SERIES_NAME, "minItems": 1, "maxItems": SERIES_MAX,
                                "uniqueItems": True}, required=True,
                     description=f"A series name; repeat for more (at most {SERIES_MAX})."),
               Param("from", TIME_QUERY, description="Default: `to` − 1 day."),
               Param("to", TIME_QUERY, description=f"Default: now. A range longer than "
                                                    f"{HISTORY_MAX_WINDOW.days} days (ten years) keeps its last "
                                                    f"{HISTORY_MAX_WINDOW.days} (`truncated`); `to` not after "
                                                    f"`from`: no points."),
               Param("max_points", {"type": "integer", "minimum": 1, "maximum": MAX_POINTS_MAX},
                     description=f"Most points per series; default {MAX_POINTS_DEFAULT}."),
               Param("format", {"type": "string", "enum": ["json", "csv"]},
                     description="Overrides the Accept header.")))
    @inlineCallbacks
    def get_history(self, call):
        start, end, cut = self._history_window(call.query)
        max_points = call.query.get("max_points", MAX_POINTS_DEFAULT)
        names = call.query["series"]
        unknown = unknown_series(names, set((yield self.store.history.series_names())))
        if unknown:
            raise not_found(f"{unknown}; GET /v1/history/series lists them")
        series = []
        for name in names:
            if end <= start:
                series.append(_empty(name))
                continue
            data = yield self.store.history.query(name, start.timestamp(), end.timestamp(), max_points)
            series.append(series_json(data))
        if _wants_csv(call):
            return Raw(history_csv(series), "text/csv; charset=utf-8")
        return {"from": format_time(start), "to": format_time(end), "max_points": max_points, "series": series,
                "truncated": cut}

    @op("GET", "/v1/history/series", summary="The names of the stored series.", tag="history",
        response="SeriesNames", example={"series": ["output/gpio17/state", "sensor/28-0316a2795aff",
                                                    "zone/1/action", "zone/1/temperature"]},
        query=(Param("prefix", {"type": "string", "maxLength": 200, "pattern": r"^[A-Za-z0-9._:/@-]*$"},
                     description="Only names that start so, e.g. `zone/1/`."),))
    @inlineCallbacks
    def history_series(self, call):
        names = yield self.store.history.series_names(call.query.get("prefix", ""))
        return {"series": list(names)}

    @op("GET", "/v1/runs", summary="Heating and cooling runs overlapping [from, to): start, end "
        "(null while running), duration, the temperatures at the start and samples every "
        "`run_sample_minutes`.", tag="history", response="RunList", example=RUNS_EXAMPLE,
        query=(Param("zone_id", {"type": "integer", "minimum": 1, "maximum": ZONE_ID_MAX},
                     description="Only this zone's runs; default: every zone's."),
               Param("from", TIME_QUERY, description="Default: `to` − 7 days."),
               Param("to", TIME_QUERY, description=f"Default: now. A window longer than "
                                                    f"{RUNS_MAX_WINDOW.days} days keeps its last "
                                                    f"{RUNS_MAX_WINDOW.days}; `to` not after `from`: no runs."),
               Param("limit", {"type": "integer", "minimum": 1, "maximum": RUNS_LIMIT_MAX},
                     description=f"Most runs returned (the newest); default {RUNS_LIMIT}.")))
    @inlineCallbacks
    def list_runs(self, call):
        query = call.query
        zone_id = query.get("zone_id")
        window = query_window(query, self._now_dt(), default=RUNS_DEFAULT, longest=RUNS_MAX_WINDOW, anchor="to")
        start, end = window.start, window.end
        if zone_id is not None:
            yield self.store.get_zone(zone_id)
        limit = query.get("limit", RUNS_LIMIT)
        rows = [] if end <= start else (
            yield self.store.list_runs(zone_id, start.timestamp(), end.timestamp(), limit + 1))
        return {"zone_id": zone_id, "from": format_time(start), "to": format_time(end),
                "runs": [_run_json(run) for run in rows[-limit:]], "truncated": window.cut or len(rows) > limit}

