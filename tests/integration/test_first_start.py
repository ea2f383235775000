"""A hub's first start as a real process: its credentials go to private files that work,
and nothing secret reaches its output (which a service manager keeps in the journal)."""

import os
import stat

from tests.integration.procs import http, start_hub


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_the_first_start_keeps_its_secrets_in_private_files_that_work(tmp_path):
    home = tmp_path / "home"
    previous = os.umask(0o022)
    try:
        proc, url, token = start_hub(home, "--no-zeroconf", "--no-tls", "--log-level", "debug")
    finally:
        os.umask(previous)
    try:
        key = (home / "enrollment-key").read_text().strip()
        assert token and key
        assert {name: mode(home / name) for name in ("admin-token", "enrollment-key", "rpymostat.db")} == {
            "admin-token": 0o600, "enrollment-key": 0o600, "rpymostat.db": 0o600}
        assert mode(home) == 0o700
        assert http("GET", f"{url}/v1/zones", token=token)[0] == 200
        status, enrolled = http("POST", f"{url}/v1/enroll", {"node_id": "pi-1"}, key)
        assert status == 201 and http("POST", f"{url}/v1/nodes", {"node_id": "pi-1", "kind": "sensor"},
                                      enrolled["token"])[0] == 200
    finally:
        assert proc.stop() == 0
    output = "\n".join(proc.lines)
    assert token not in output and key not in output
    assert f"written to {home / 'admin-token'}" in output and f"written to {home / 'enrollment-key'}" in output
