"""`rpymostat history export` and `history series` on the hub's database, in this process:
CSV on stdout, and a person's mistake told in one line."""

import csv
import io

import pytest

from rpymostat.cli import main
from rpymostat.core.timeutil import format_time
from rpymostat.hub import cli as hub_cli
from rpymostat.hub.store.store import Store

START = 1_790_000_000.0


@pytest.fixture(autouse=True)
def no_log_setup(monkeypatch):
    monkeypatch.setattr(hub_cli, "start_logging", lambda level="info", stream=None: None)


@pytest.fixture
def home(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'rpymostat.db'}")
    store.open(START)
    store.history.append([("sensor/s1", START + 60 * i, 20.0 + i / 10) for i in range(120)]
                         + [("zone/1/temperature", START + 600 * i, 19.5) for i in range(12)])
    store.close()
    return tmp_path


def run(capsys, home, *args):
    code = main(["--home", str(home), "history", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_export_writes_csv_of_each_series(capsys, home):
    code, out, err = run(capsys, home, "export", "--series", "sensor/s1", "--series", "zone/1/temperature",
                         "--from", format_time(START), "--to", format_time(START + 1800))
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["series", "time", "min", "mean", "max", "count"]
    assert rows[1] == ["sensor/s1", format_time(START), "20.0", "20.0", "20.0", "1"]
    assert [r[0] for r in rows[1:]] == ["sensor/s1"] * 30 + ["zone/1/temperature"] * 3
    code, out, _ = run(capsys, home, "export", "--series", "sensor/s1", "--from", format_time(START),
                       "--to", format_time(START + 7200), "--max-points", "4")
    counts = [int(r[5]) for r in list(csv.reader(io.StringIO(out)))[1:]]
    assert code == 0 and len(counts) <= 4 and sum(counts) == 120


def test_series_are_listed(capsys, home):
    assert run(capsys, home, "series") == (0, "sensor/s1\nzone/1/temperature\n", "")
    assert run(capsys, home, "series", "--prefix", "zone/") == (0, "zone/1/temperature\n", "")


@pytest.mark.parametrize("args, words", [
    (["--series", "sensor/nope", "--from", "2026-09-21T00:00:00Z", "--to", "2026-09-22T00:00:00Z"],
     "no series 'sensor/nope'"),
    (["--series", "sensor/s1", "--from", "yesterday", "--to", "2026-09-22T00:00:00Z"], "2026-12-01T00:00:00Z"),
    (["--series", "sensor/s1", "--from", "2026-09-22T00:00:00Z", "--to", "2026-09-21T00:00:00Z"],
     "`to` must be after `from`"),
    (["--series", "sensor/s1", "--from", "2026-09-21T00:00:00Z", "--to", "2026-09-22T00:00:00Z",
      "--max-points", "0"], "--max-points must be within 1..10000"),
])
def test_a_mistake_is_one_line_saying_what_to_do(capsys, home, args, words):
    code, out, err = run(capsys, home, "export", *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("rpymostat: ") and words in err
