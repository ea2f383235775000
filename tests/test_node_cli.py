"""`rpymostat token create` and `rpymostat node re-enroll` on the hub's database (SQLite in
the home dir), run in this process."""

import time

import pytest

from rpymostat.cli import main
from rpymostat.hub import cli as hub_cli
from rpymostat.hub.store.store import Store


@pytest.fixture(autouse=True)
def no_log_setup(monkeypatch):
    """The process-wide log setup is done once per process; these tests run many commands."""
    monkeypatch.setattr(hub_cli, "start_logging", lambda level="info", stream=None: None)


def run(capsys, home, *args):
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


def store(home) -> Store:
    made = Store(f"sqlite:///{home / 'rpymostat.db'}")
    made.open(1.0)
    return made


def test_a_device_token_needs_its_node(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path, "token", "create", "--role", "device", "--name", "pi")
    assert code == 2 and out == ""
    assert err == "rpymostat: a device token speaks for one node: add --node ID\n"
    code, out, err = run(capsys, tmp_path, "token", "create", "--role", "admin", "--node", "pi-1")
    assert code == 2 and err.count("\n") == 1 and "drop --node" in err
    code, out, _ = run(capsys, tmp_path, "token", "create", "--role", "device", "--node", "pi-1")
    assert code == 0 and len(out.split()) == 1
    db = store(tmp_path)
    assert [(t["role"], t["node_id"]) for t in db.list_tokens()] == [("device", "pi-1")]
    db.close()


def test_node_re_enroll_revokes_the_nodes_tokens_and_allows_one_enrollment(capsys, tmp_path):
    assert run(capsys, tmp_path, "token", "create", "--role", "device", "--node", "pi-1")[0] == 0
    code, out, err = run(capsys, tmp_path, "node", "re-enroll", "pi-1")
    assert code == 0 and err == ""
    assert out.startswith("node pi-1 may enroll once more until ") and "1 token(s)" in out
    db = store(tmp_path)
    assert db.active_tokens() == []
    row, _ = db.enroll("pi-1", "Pi 1", time.time())
    assert row["node_id"] == "pi-1"
    db.close()


def test_node_re_enroll_of_an_unknown_node_says_so_in_one_line(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path, "node", "re-enroll", "pi-404")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "'pi-404'" in err and "can enroll" in err
