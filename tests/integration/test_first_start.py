"""A hub's first start as a real process: its credentials go to private files that work,
and nothing secret reaches its output (which a service manager keeps in the journal)."""

import os
import stat

from rpymostat_webui.resource import built
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
        secrets = [token, key]
        assert all(secrets)
        private = ["admin-token", "enrollment-key", "rpymostat.db"]
        if built():  # a hub serving the web UI adds a sign-in link
            proc.wait_for("Sign in to the web UI with the link written to")
            link = (home / "sign-in-link").read_text().strip()
            secrets.append(link.rsplit("/", 1)[1])
            private.append("sign-in-link")
            assert link.startswith(f"{url}/#/signin/")
        assert {name: mode(home / name) for name in private} == dict.fromkeys(private, 0o600)
        assert mode(home) == 0o700
        assert http("GET", f"{url}/v1/zones", token=token)[0] == 200
        status, enrolled = http("POST", f"{url}/v1/enroll", {"node_id": "pi-1"}, key)
        assert status == 201 and http("POST", f"{url}/v1/nodes", {"node_id": "pi-1", "kind": "sensor"},
                                      enrolled["token"])[0] == 200
    finally:
        assert proc.stop() == 0
    output = "\n".join(proc.lines)
    assert not [secret for secret in secrets if secret in output]
    assert f"written to {home / 'admin-token'}" in output and f"written to {home / 'enrollment-key'}" in output
