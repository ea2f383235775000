"""`rpymostat hub` as a real process on a free loopback port, spoken to over HTTP."""

import os
import subprocess

from rpymostat.runtime.zeroconf import SERVICE_TYPE
from tests.integration.procs import BIN, ENROLLMENT_KEY, PINS, browse, http, loads_tls, start_hub


def test_hub_starts_with_nothing_configured_and_keeps_state_across_restart(tmp_path):
    home = tmp_path / "home"
    proc, url, token = start_hub(home)
    try:
        assert token, "the first start prints the admin token"
        status, health = http("GET", f"{url}/v1/health")
        assert status == 200 and health["status"] == "ok"
        assert http("GET", f"{url}/v1/status")[0] == 401
        status, zone = http("POST", f"{url}/v1/zones", {"name": "Living"}, token)
        assert status == 201
        status, _ = http("PATCH", f"{url}/v1/settings", {"deadband": 0.7}, token)
        assert status == 200
    finally:
        assert proc.stop() == 0
    assert any("hub stopped" in line for line in proc.lines)

    proc, url, second_token = start_hub(home)
    try:
        assert second_token is None, "the admin token is printed only on first start"
        assert http("GET", f"{url}/v1/health")[1]["hub_id"] == health["hub_id"]
        assert http("GET", f"{url}/v1/zones", token=token)[1]["zones"][0]["name"] == "Living"
        assert http("GET", f"{url}/v1/settings", token=token)[1]["deadband"] == 0.7
    finally:
        assert proc.stop() == 0


def test_token_cli_prints_a_token_the_running_hub_accepts(tmp_path):
    home = tmp_path / "home"
    proc, url, _ = start_hub(home, "--no-zeroconf", "--no-tls")
    assert url.startswith("http://") and not (home / "tls-key.pem").exists()
    assert not loads_tls(proc), "a hub on plain HTTP keeps pyOpenSSL out (about 13 MB)"
    try:
        made = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "token", "create",
                               "--role", "device", "--node", "pi-1"],
                              capture_output=True, text=True, timeout=30, check=True)
        token = made.stdout.strip()
        assert len(made.stdout.splitlines()) == 1 and len(token) >= 40
        assert http("POST", f"{url}/v1/nodes", {"node_id": "pi-1", "kind": "sensor"}, token)[0] == 200
        assert http("POST", f"{url}/v1/nodes", {"node_id": "pi-2", "kind": "sensor"}, token)[0] == 403
        assert http("GET", f"{url}/v1/zones", token=token)[0] == 403
        listed = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "token", "list"],
                                capture_output=True, text=True, timeout=30, check=True).stdout
        assert "\tdevice\tdevice\tpi-1\tactive" in listed
    finally:
        assert proc.stop() == 0


def test_node_re_enroll_cli_lets_a_running_hub_enroll_a_known_node_once(tmp_path):
    home = tmp_path / "home"
    proc, url, _ = start_hub(home, "--no-zeroconf", "--enrollment-key", ENROLLMENT_KEY)
    try:
        enroll = {"node_id": "pi-1", "name": "Pi 1"}
        assert http("POST", f"{url}/v1/enroll", enroll, ENROLLMENT_KEY)[0] == 201
        status, refused = http("POST", f"{url}/v1/enroll", enroll, ENROLLMENT_KEY)
        assert status == 409 and "rpymostat node re-enroll pi-1" in refused["error"]["message"]
        allowed = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "node", "re-enroll", "pi-1"],
                                 capture_output=True, text=True, timeout=30)
        assert allowed.returncode == 0 and "1 token(s)" in allowed.stdout, allowed.stderr
        assert http("POST", f"{url}/v1/enroll", enroll, ENROLLMENT_KEY)[0] == 201
        assert http("POST", f"{url}/v1/enroll", enroll, ENROLLMENT_KEY)[0] == 409, "one enrollment only"
    finally:
        assert proc.stop() == 0


def test_hub_is_advertised_over_zeroconf_on_loopback(tmp_path):
    proc, url, _ = start_hub(tmp_path / "home", "--system", "testbed")
    try:
        hub_id = http("GET", f"{url}/v1/health")[1]["hub_id"]
        info = browse(SERVICE_TYPE, lambda i: i.properties.get(b"hub_id") == hub_id.encode())
        assert info is not None, "hub not found over mDNS"
        assert info.port == int(url.rsplit(":", 1)[1])
        assert info.properties[b"api"] == b"v1" and info.properties[b"system"] == b"testbed"
        assert url.startswith("https://") and info.properties[b"tls"] == PINS[url[8:]].encode(), \
            "HTTPS by default, and the certificate's fingerprint is advertised"
        assert loads_tls(proc)
        assert info.parsed_addresses() == ["127.0.0.1"]
    finally:
        assert proc.stop() == 0


def test_bad_config_is_reported_not_a_traceback(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "rpymostat.toml").write_text("[hub]\nport = 'many'\n")
    run = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "hub"], capture_output=True,
                         text=True, timeout=30)
    assert run.returncode == 2
    assert run.stderr == f"rpymostat: {home / 'rpymostat.toml'}:port: must be an integer, not 'many'\n"
    assert "Traceback" not in run.stderr


def test_a_key_that_does_not_fit_the_certificate_stops_the_hub_with_what_to_do(tmp_path):
    home = tmp_path / "home"
    proc, _, _ = start_hub(home, "--no-zeroconf")
    assert proc.stop() == 0
    (home / "tls-key.pem").write_bytes(b"-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n")
    run = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0", "--listen",
                          "127.0.0.1", "--no-zeroconf"], capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert "the hub cannot start: cannot read the TLS certificate or key" in run.stdout
    assert "remove both" in run.stdout and "Traceback" not in run.stdout

def test_a_weak_enrollment_key_is_refused_in_one_line(tmp_path):
    run = subprocess.run([str(BIN / "rpymostat"), "--home", str(tmp_path / "home"), "hub", "--enrollment-key",
                          "my-thermostat-key", "--no-zeroconf"], capture_output=True, text=True, timeout=30,
                         env={**os.environ, "RPYMOSTAT_ENROLLMENT_KEY": ""})
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "--enrollment-key:enrollment_key: is too weak" in run.stderr
    assert "secrets.token_hex(32)" in run.stderr and run.stdout == ""


def test_the_hub_answers_only_its_own_names_and_origins_over_http(tmp_path):
    proc, url, token = start_hub(tmp_path / "home", "--no-zeroconf")
    try:
        port = url.rsplit(":", 1)[1]
        assert http("GET", f"{url}/v1/zones", token=token)[0] == 200
        assert http("GET", f"{url}/v1/zones", token=token, headers={"Host": f"localhost:{port}"})[0] == 200
        status, body = http("GET", f"{url}/v1/zones", token=token, headers={"Host": f"rebound.example:{port}"})
        assert status == 421 and body["error"]["code"] == "host_not_allowed"
        status, body = http("GET", f"{url}/v1/zones", token=token, headers={"Origin": "http://rebound.example"})
        assert status == 403 and body["error"]["code"] == "origin_not_allowed"
        assert http("GET", f"{url}/v1/zones", token=token, headers={"Origin": url})[0] == 200
    finally:
        assert proc.stop() == 0


def test_port_in_use_fails_cleanly(tmp_path):
    proc, url, _ = start_hub(tmp_path / "a", "--no-zeroconf")
    try:
        port = url.rsplit(":", 1)[1]
        run = subprocess.run([str(BIN / "rpymostat"), "--home", str(tmp_path / "b"), "hub", "--port", port,
                              "--listen", "127.0.0.1", "--no-zeroconf"], capture_output=True, text=True,
                             timeout=30)
        assert run.returncode == 1
        assert "could not start" in run.stdout
    finally:
        proc.stop()


def test_hub_tells_systemd_it_is_ready_and_stopping(tmp_path):
    import socket

    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(20)
    try:
        proc, url, _ = start_hub(tmp_path / "home", "--no-zeroconf", env={"NOTIFY_SOCKET": path})
        assert listener.recv(256) == b"READY=1"
        assert http("GET", f"{url}/v1/health")[0] == 200
        assert proc.stop() == 0
        assert listener.recv(256) == b"STOPPING=1"
    finally:
        listener.close()
