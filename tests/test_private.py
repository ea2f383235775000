"""Files holding secrets are made private whatever the umask, checked at start, tightened
with a warning, or refused with one line saying what to run when they are not ours."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest
from twisted.logger import capturedLogs, formatEvent

from rpymostat.hub.config import HubConfig
from rpymostat.hub.service import prepare_store, private_home
from rpymostat.hub.store.aio import AsyncStore
from rpymostat.hub.store.store import Store, sqlite_file
from rpymostat.hub.tokens import hash_token
from rpymostat.runtime.private import NotPrivate, keep_private, private_dir, private_file, private_sqlite, write_private


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """What most systems run with: files 0644 and directories 0755 unless asked otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def warnings(events) -> list[str]:
    return [formatEvent(e) for e in events if e["log_level"].name == "warn"]


def test_a_fresh_hub_home_and_sqlite_database_are_private(tmp_path):
    config = HubConfig(home=tmp_path / "data" / "rpymostat")
    with capturedLogs() as events:
        private_home(config)
    store = Store(config.db_url)
    store.open(1_790_000_000.0)
    store.set_meta("probe", "x")  # a write, so that the WAL exists
    home = config.home
    assert mode(home) == 0o700
    assert mode(home.parent) == 0o755, "only the home itself is ours to close"
    files = sorted(p.name for p in home.iterdir())
    assert files == ["rpymostat.db", "rpymostat.db-shm", "rpymostat.db-wal"]
    assert {name: mode(home / name) for name in files} == dict.fromkeys(files, 0o600)
    assert warnings(events) == []
    store.close()


def test_an_open_database_and_home_are_tightened_at_start_with_a_warning_naming_them(tmp_path):
    config = HubConfig(home=tmp_path / "home")
    private_home(config)
    store = Store(config.db_url)
    store.open(1_790_000_000.0)
    store.close()  # else the last connection, collected at any moment, removes the WAL made below
    database = config.home / "rpymostat.db"
    wal = config.home / "rpymostat.db-wal"
    wal.touch()
    for path, loose in ((config.home, 0o755), (database, 0o644), (wal, 0o640)):
        os.chmod(path, loose)
    with capturedLogs() as events:
        private_home(config)
    assert (mode(config.home), mode(database), mode(wal)) == (0o700, 0o600, 0o600)
    said = warnings(events)
    assert len(said) == 3
    for path, loose in ((config.home, "755"), (database, "644"), (wal, "640")):
        assert any(str(path) in line and loose in line for line in said), said


def test_a_database_that_is_not_ours_stops_the_start_with_what_to_run(tmp_path, monkeypatch):
    config = HubConfig(home=tmp_path / "home")
    private_home(config)
    database = config.home / "rpymostat.db"
    os.chmod(database, 0o644)
    monkeypatch.setattr(os, "geteuid", lambda: os.stat(database).st_uid + 1)
    with pytest.raises(NotPrivate) as raised:
        private_home(config)
    message = str(raised.value)
    assert "\n" not in message and f"run `chmod 600 {database}` as its owner" in message
    assert mode(database) == 0o644, "not ours: left alone"


def test_a_shared_directory_is_never_taken_over(tmp_path):
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    with pytest.raises(NotPrivate, match="shared directory"):
        private_dir(shared)
    assert mode(shared) == 0o1777


def test_a_file_that_cannot_be_tightened_stops_with_what_to_run(tmp_path, monkeypatch):
    path = tmp_path / "hub.json"
    path.write_text("{}")
    os.chmod(path, 0o644)

    def refuse(*args):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(NotPrivate, match=f"run `chmod 600 {path}`"):
        keep_private(path)


def test_private_files_are_created_0600_and_existing_private_ones_left_alone(tmp_path):
    made = private_file(tmp_path / "new")
    assert mode(made) == 0o600 and made.read_bytes() == b""
    made.write_text("kept")
    os.chmod(made, 0o400)
    with capturedLogs() as events:
        private_file(made)
    assert made.read_text() == "kept" and mode(made) == 0o400 and warnings(events) == []


def test_sqlite_side_files_get_the_database_files_mode(tmp_path):
    path = private_sqlite(tmp_path / "queue.sqlite3")
    db = sqlite3.connect(str(path))
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (x)")
    db.commit()
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {
        "queue.sqlite3": 0o600, "queue.sqlite3-wal": 0o600, "queue.sqlite3-shm": 0o600}
    db.close()


def test_write_private_replaces_the_file_and_a_leftover_scratch_does_not_widen_it(tmp_path):
    path = tmp_path / "enrollment-key"
    leftover = tmp_path / f".enrollment-key.{os.getpid()}"
    leftover.write_text("half")
    os.chmod(leftover, 0o644)
    write_private(path, "secret")
    assert path.read_text() == "secret" and mode(path) == 0o600
    assert not leftover.exists()


def first_start(config: HubConfig, configured_key: str | None = None):
    """``prepare_store`` as the hub runs it at start: what it announced, what it logged,
    and what the store holds afterwards."""
    said: list[str] = []
    private_home(config)
    store = Store(config.db_url)
    try:
        with capturedLogs() as events:
            result = prepare_store(AsyncStore(store), 1_790_000_000.0, configured_key, config.home, said.append)
        return said, [formatEvent(e) for e in events], result.result, store.active_tokens()
    finally:
        store.close()


def test_the_first_start_writes_its_credentials_to_private_files_and_announces_only_their_paths(tmp_path):
    config = HubConfig(home=tmp_path / "home")
    said, logged, (_, key_hash, first), tokens = first_start(config)
    token_file, key_file = config.home / "admin-token", config.home / "enrollment-key"
    assert mode(token_file) == mode(key_file) == 0o600
    token, key = token_file.read_text().strip(), key_file.read_text().strip()
    assert [t["role"] for t in tokens if t["token_hash"] == hash_token(token)] == ["admin"]
    assert key_hash == hash_token(key)
    assert len(said) == 2 and str(token_file) in said[0] and str(key_file) in said[1]
    assert f"export TOKEN=$(cat {token_file})" in said[0]
    for line in said + logged:
        assert token not in line and key not in line

    again, _, (_, key_hash_again, first_again), _ = first_start(config)
    assert first and not first_again
    assert again == [] and key_hash_again == key_hash
    assert token_file.read_text().strip() == token and key_file.read_text().strip() == key


def test_a_configured_enrollment_key_is_written_nowhere(tmp_path):
    config = HubConfig(home=tmp_path / "home")
    said, _, (_, key_hash, _), _ = first_start(config, "kR3v9XzQ2mWp8LtY4nBc6HdJ0sFa1GeU5")
    assert key_hash == hash_token("kR3v9XzQ2mWp8LtY4nBc6HdJ0sFa1GeU5")
    assert not (config.home / "enrollment-key").exists() and len(said) == 1


def test_credential_files_opened_up_since_are_tightened_at_start(tmp_path):
    config = HubConfig(home=tmp_path / "home")
    first_start(config)
    for name in ("admin-token", "enrollment-key"):
        os.chmod(config.home / name, 0o644)
    with capturedLogs() as events:
        private_home(config)
    assert {name: mode(config.home / name) for name in ("admin-token", "enrollment-key")} == {
        "admin-token": 0o600, "enrollment-key": 0o600}
    said = warnings(events)
    assert len(said) == 2 and all("644" in line and "now 600" in line for line in said), said


@pytest.mark.parametrize("url, expected", [
    ("sqlite:////var/lib/rpymostat/rpymostat.db", "/var/lib/rpymostat/rpymostat.db"),
    ("sqlite:///relative.db", "relative.db"),
    ("sqlite://", None),
    ("sqlite:///:memory:", None),
    ("postgresql+psycopg://rpymostat@127.0.0.1/rpymostat", None),
])
def test_the_database_file_of_a_url(url, expected):
    found = sqlite_file(url)
    assert (str(found) if found else None) == expected
