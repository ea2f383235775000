"""A real sensor process beside a real hub process that is frozen with SIGSTOP: the
sensor keeps sampling at its interval into its queue, and the hub has every reading once
it runs again."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest

from rpymostat.core.timeutil import parse_time, to_timestamp
from tests.integration.procs import ENROLLMENT_KEY, http, start_hub, start_node, stored_readings, wait_until

INTERVAL = 5  # the hub's smallest report interval
FREEZE_S = 4 * INTERVAL + 2


def queued_times(data_dir) -> list[float]:
    """The times of the readings waiting in a sensor node's queue, oldest first."""
    db = sqlite3.connect(str(data_dir / "queue.sqlite3"))
    try:
        return sorted(to_timestamp(parse_time(t)) for (t,) in db.execute("SELECT time FROM readings"))
    finally:
        db.close()


def gaps(times: list[float]) -> list[float]:
    return [round(b - a, 2) for a, b in zip(times, times[1:])]


@pytest.mark.slow
def test_a_frozen_hub_delays_no_reading_and_has_them_all_once_it_runs_again(tmp_path, procs):
    home = tmp_path / "hub"
    hub, url, admin = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    procs.append(hub)
    assert http("PATCH", f"{url}/v1/settings", {"report_interval_s": INTERVAL}, admin)[0] == 200
    sensor = start_node("sensor", tmp_path / "sensor", "--report-interval", str(INTERVAL), hub=url)
    procs.append(sensor)
    assert wait_until(lambda: stored_readings(home), 15.0), "\n".join(sensor.lines)

    hub.popen.send_signal(signal.SIGSTOP)
    frozen_at = time.time()
    try:
        time.sleep(FREEZE_S)
        queued = queued_times(tmp_path / "sensor")
    finally:
        hub.popen.send_signal(signal.SIGCONT)
    taken_while_frozen = [t for t in queued if t > frozen_at]
    assert len(taken_while_frozen) >= FREEZE_S // INTERVAL, (gaps(queued), "\n".join(sensor.lines))
    assert max(gaps(queued)) < 1.5 * INTERVAL, f"a sample waited for the hub: {gaps(queued)}"

    def delivered():
        times = sorted(t for _, t in stored_readings(home))
        return times if set(queued) <= set(times) and not queued_times(tmp_path / "sensor") else None

    times = wait_until(delivered, 30.0)
    assert times, "\n".join(sensor.lines)
    assert len(times) == len(set(times)), "no reading stored twice"
    assert max(gaps(times)) < 1.5 * INTERVAL, f"a reading is missing: {gaps(times)}"
    assert times[0] <= frozen_at and times[-1] >= frozen_at + FREEZE_S - INTERVAL, "they span the freeze"
    assert sensor.stop() == 0
    assert hub.stop() == 0
