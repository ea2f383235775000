"""`rpymostat simulate`: beside the hub on its database, and over HTTP against a hub; a
person's mistake told in one line."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from rpymostat.cli import main
from rpymostat.hub import cli as hub_cli
from rpymostat.hub.store.store import Store

START = 1_790_000_000.0
ZONE = {"name": "Living", "default_target": {"mode": "heat", "heat_setpoint": 16}}


@pytest.fixture(autouse=True)
def no_log_setup(monkeypatch):
    monkeypatch.setattr(hub_cli, "start_logging", lambda level="info", stream=None: None)


@pytest.fixture
def home(tmp_path):
    tmp_path.chmod(0o700)
    store = Store(f"sqlite:///{tmp_path / 'rpymostat.db'}")
    store.open(START)
    store.create_zone({**ZONE, "sensors": [], "outputs": {}, "settings": {}}, START)
    store.close()
    return tmp_path


def run(capsys, home, *args):
    code = main(["--home", str(home), "simulate", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_on_the_database_it_prints_both_configurations(capsys, home):
    code, out, err = run(capsys, home, "1", "--days", "1", "--plugin", "predictive", "--set", "preheat_max_hours=2")
    assert code == 0, err
    assert "current (hysteresis)" in out and "candidate (predictive)" in out and "discomfort (K·h)" in out
    code, out, _ = run(capsys, home, "1", "--days", "1", "--json")
    assert code == 0 and json.loads(out)["candidate"]["decision_plugin"] == "hysteresis"


@pytest.mark.parametrize("args, words", [
    (["1", "--days", "30"], "days: 30 is greater than the maximum of 14"),
    (["1", "--plugin", "nope"], "no decision plugin 'nope' is installed"),
    (["9"], "404"),
    (["1", "--set", "deadband"], "expected KEY=VALUE"),
    (["1", "--rules", "/nonexistent.json"], "--rules /nonexistent.json"),
    (["1", "--hub", "http://127.0.0.1:9"], "--hub needs --token"),
    (["1", "--hub", "http://127.0.0.1:9", "--token", "t"], "cannot reach http://127.0.0.1:9"),
])
def test_mistakes_are_one_line(capsys, home, args, words):
    code, out, err = run(capsys, home, *args)
    assert code != 0 and out == ""
    assert words in err and err.count("\n") == 1, err


def test_over_http_it_sends_the_request_with_the_token(capsys, home):
    seen = []

    class Fake(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, self.headers["Authorization"],
                         json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            body = json.dumps({"error": {"code": "conflict", "message": "a simulation is running"}}).encode()
            self.send_response(409)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Fake)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    code, out, err = run(capsys, home, "1", "--hub", f"http://127.0.0.1:{server.server_port}", "--token", "abc",
                         "--plugin", "predictive")
    thread.join()
    server.server_close()
    assert code == 1 and err == "rpymostat: 409 a simulation is running\n"
    assert seen == [("/v1/zones/1/simulate", "Bearer abc", {"days": 3, "decision_plugin": "predictive"})]
