"""Heating and cooling runs (DESIGN §6, learning): blocking functions on a connection of
the store's transaction, called by :class:`rpymostat.hub.store.control_store.ControlStore`.

A run opens with the switch event that starts its zone's ``heat`` or ``cool`` function and
closes with the one that stops it, in the transaction that writes those events: a run and
the guard's history cannot disagree. ``aux`` and ``fan`` run within or beside these and
open no run of their own. At its start a run keeps the zone's temperature (of the decision
that started it), each of the zone's sensors' last value when it is fresh (at most
``FRESH_S`` old) and the outdoor temperature; samples of the same follow every
``run_sample_minutes`` while it runs (:class:`rpymostat.hub.recorder.Recorder`).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from rpymostat.hub.store.schema import decisions, run_samples, runs, sensors

RUN_KINDS = ("heat", "cool")
FRESH_S = 900.0


def zone_sensors(conn: Connection, zone_id: int, at: float) -> dict[str, float]:
    """The zone's sensors' last values, those taken within ``FRESH_S`` of ``at``."""
    rows = conn.execute(select(sensors.c.id, sensors.c.last_value, sensors.c.last_time)
                        .where(sensors.c.zone_id == zone_id).order_by(sensors.c.id))
    return {sensor_id: value for sensor_id, value, time in rows
            if value is not None and time is not None and abs(at - time) <= FRESH_S}


def _zone_temperature(conn: Connection, zone_id: int, at: float,
                      decision_rows: list[Mapping[str, Any]]) -> float | None:
    """The temperature of the zone's newest decision at or before ``at``: one of this
    transaction's rows, else the log's."""
    for row in reversed(decision_rows):
        if row["zone_id"] == zone_id and row["time"] <= at:
            return row["data"].get("temperature")
    data = conn.execute(select(decisions.c.data).where(decisions.c.zone_id == zone_id, decisions.c.time <= at)
                        .order_by(decisions.c.time.desc(), decisions.c.id.desc()).limit(1)).scalar()
    return None if data is None else data.get("temperature")


def _open_run(conn: Connection, zone_id: int, kind: str) -> int | None:
    return conn.execute(select(runs.c.id).where(runs.c.zone_id == zone_id, runs.c.kind == kind,
                                                runs.c.ended_at.is_(None))).scalar()


def follow_switches(conn: Connection, switch_rows: Iterable[Mapping[str, Any]],
                    decision_rows: list[Mapping[str, Any]], outdoor: float | None) -> None:
    """Open and close runs as the switch events (in the order written) say."""
    for row in switch_rows:
        kind = row["function"]
        if kind not in RUN_KINDS:
            continue
        zone_id, time = row["zone_id"], row["time"]
        running = _open_run(conn, zone_id, kind)
        if row["state"] == "on" and running is None:
            conn.execute(insert(runs).values(
                zone_id=zone_id, kind=kind, started_at=time, ended_at=None,
                start_temperature=_zone_temperature(conn, zone_id, time, decision_rows),
                start_outdoor=outdoor, start_sensors=zone_sensors(conn, zone_id, time)))
        elif row["state"] == "off" and running is not None:
            conn.execute(update(runs).where(runs.c.id == running).values(ended_at=max(time, _started(conn, running))))


def _started(conn: Connection, run_id: int) -> float:
    return conn.execute(select(runs.c.started_at).where(runs.c.id == run_id)).scalar_one()


def sample_runs(conn: Connection, now: float, every_s: float, temperatures: Mapping[int, float | None],
                outdoor: float | None) -> int:
    """A sample of each open run whose last sample (or start) is ``every_s`` old or more;
    returns how many were taken."""
    last = (select(runs.c.id, runs.c.zone_id, runs.c.started_at, func.max(run_samples.c.time).label("sampled"))
            .select_from(runs.outerjoin(run_samples, run_samples.c.run_id == runs.c.id))
            .where(runs.c.ended_at.is_(None)).group_by(runs.c.id, runs.c.zone_id, runs.c.started_at))
    taken = 0
    for run_id, zone_id, started_at, sampled in conn.execute(last).all():
        since = started_at if sampled is None else sampled
        if now < since + every_s:
            continue
        conn.execute(insert(run_samples).values(
            run_id=run_id, time=now, temperature=temperatures.get(zone_id), outdoor=outdoor,
            sensors=zone_sensors(conn, zone_id, now)))
        taken += 1
    return taken


def _run_json(row: Mapping[str, Any], samples: list[dict]) -> dict:
    ended = row["ended_at"]
    return {"id": row["id"], "zone_id": row["zone_id"], "kind": row["kind"], "start": row["started_at"],
            "end": ended, "duration_s": None if ended is None else ended - row["started_at"],
            "start_temperature": row["start_temperature"], "start_outdoor": row["start_outdoor"],
            "start_sensors": row["start_sensors"], "samples": samples}


def list_runs(conn: Connection, zone_id: int | None, start: float, end: float, limit: int) -> list[dict]:
    """Runs that overlap [start, end) (an open one runs until now), oldest first; the
    newest ``limit`` when there are more. Times are POSIX seconds."""
    query = select(runs).where(runs.c.started_at < end, (runs.c.ended_at.is_(None)) | (runs.c.ended_at > start))
    if zone_id is not None:
        query = query.where(runs.c.zone_id == zone_id)
    rows = list(conn.execute(query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)).mappings())
    rows.reverse()
    samples: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if samples:
        for sample in conn.execute(select(run_samples).where(run_samples.c.run_id.in_(samples))
                                   .order_by(run_samples.c.run_id, run_samples.c.time)).mappings():
            samples[sample["run_id"]].append({"time": sample["time"], "temperature": sample["temperature"],
                                              "outdoor": sample["outdoor"], "sensors": sample["sensors"]})
    return [_run_json(row, samples[row["id"]]) for row in rows]


def forget_runs(conn: Connection, before: float) -> int:
    """Runs that ended before ``before``, with their samples; returns how many runs."""
    old = select(runs.c.id).where(runs.c.ended_at < before)
    conn.execute(delete(run_samples).where(run_samples.c.run_id.in_(old)))
    return conn.execute(delete(runs).where(runs.c.ended_at < before)).rowcount
