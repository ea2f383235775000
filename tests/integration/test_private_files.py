"""The hub and the node daemons as real processes under umask 022: what they create is
private, what an earlier version left open is tightened at start with a warning naming
it, and what is open and not theirs stops them with one line saying what to run."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from tests.integration.procs import BIN, Proc, start_hub, start_node
from tests.test_private import mode, usual_umask  # noqa: F401  (usual_umask: autouse here too)

NOBODY = 65534
NO_HUB = "http://127.0.0.1:9"  # nothing listens: the nodes only start


def warned(proc: Proc, path) -> bool:
    return any("other users could open it" in line and str(path) in line for line in proc.lines)


def refused_in_one_line(proc: Proc, path) -> None:
    assert proc.popen.wait(30) == 1
    said = [line for line in proc.lines if f"chmod 600 {path}" in line]
    assert len(said) == 1 and "as its owner" in said[0], "\n".join(proc.lines)
    assert not any("Traceback" in line for line in proc.lines), "\n".join(proc.lines)


def test_hub_home_and_database_are_private_tightened_and_refused_when_not_its_own(tmp_path):
    home = tmp_path / "home"
    hub, _, _ = start_hub(home, "--no-zeroconf")
    assert hub.stop() == 0
    files = {p.name: mode(p) for p in home.iterdir()}
    assert mode(home) == 0o700
    assert {"rpymostat.db", "admin-token", "enrollment-key"} <= set(files), files
    assert set(files.values()) == {0o600}, files

    database, token = home / "rpymostat.db", home / "admin-token"
    for path, loose in ((home, 0o755), (database, 0o644), (token, 0o644)):
        os.chmod(path, loose)
    hub, _, _ = start_hub(home, "--no-zeroconf")
    assert hub.stop() == 0
    assert (mode(home), mode(database), mode(token)) == (0o700, 0o600, 0o600)
    assert all(warned(hub, path) for path in (home, database, token)), "\n".join(hub.lines)

    os.chmod(database, 0o644)
    made = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "token", "create", "--role", "admin"],
                          capture_output=True, text=True, timeout=30)
    assert made.returncode == 0 and len(made.stdout.split()) == 1, made
    assert mode(database) == 0o600 and str(database) in made.stderr

    if os.geteuid() != 0:
        pytest.skip("giving the database to another user takes root")
    os.chown(database, NOBODY, NOBODY)
    os.chmod(database, 0o644)
    hub = Proc([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0", "--listen", "127.0.0.1",
                "--no-zeroconf"])
    refused_in_one_line(hub, database)
    assert mode(database) == 0o644


def test_sensor_data_dir_queue_and_token_are_private_and_tightened_at_start(tmp_path):
    data = tmp_path / "sensor"
    sensor = start_node("sensor", data, hub=NO_HUB)
    sensor.wait_for(r"sensors: ")
    assert sensor.stop() == 0
    assert mode(data) == 0o700 and mode(data / "queue.sqlite3") == 0o600
    assert all(mode(p) == 0o600 for p in data.glob("queue.sqlite3-*"))

    (data / "hub.json").write_text('{"token": "t", "hub_id": "h"}')  # as an older version left it
    for path, loose in ((data, 0o755), (data / "queue.sqlite3", 0o644), (data / "hub.json", 0o644)):
        os.chmod(path, loose)
    sensor = start_node("sensor", data, hub=NO_HUB)
    sensor.wait_for(r"sensors: ")
    assert sensor.stop() == 0
    for path in (data, data / "queue.sqlite3", data / "hub.json"):
        assert mode(path) & 0o077 == 0 and warned(sensor, path), "\n".join(sensor.lines)

    if os.geteuid() != 0:
        pytest.skip("giving the queue to another user takes root")
    os.chown(data / "queue.sqlite3", NOBODY, NOBODY)
    os.chmod(data / "queue.sqlite3", 0o644)
    refused_in_one_line(start_node("sensor", data, hub=NO_HUB), data / "queue.sqlite3")


def test_relay_data_dir_and_journal_are_private_and_tightened_at_start(tmp_path):
    data = tmp_path / "relay"
    relay = start_node("relay", data, "--listen", "127.0.0.1", "--port", "0", hub=NO_HUB)
    relay.wait_for(r"API on https?://")
    assert relay.stop() == 0
    assert (mode(data), mode(data / "outputs.json")) == (0o700, 0o600)

    os.chmod(data / "outputs.json", 0o644)
    relay = start_node("relay", data, "--listen", "127.0.0.1", "--port", "0", hub=NO_HUB)
    relay.wait_for(r"API on https?://")
    assert relay.stop(signal.SIGTERM) == 0
    journal = data / "outputs.json"
    assert mode(journal) == 0o600 and warned(relay, journal), "\n".join(relay.lines)
