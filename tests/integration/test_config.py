"""Settings as the real processes read them: the hub writes the log lines of its
``log_level``, and a node that lacks a setting is told the variable that it reads."""

import re
import subprocess

import pytest

from tests.integration.procs import BIN, Proc, free_port, http, start_hub, wait_until

LOG_LINE = re.compile(r"^\S+Z (debug|info|warn|error|critical) +\[")


def answers(url: str) -> bool:
    try:
        return http("GET", f"{url}/v1/health")[0] == 200
    except OSError:
        return False


def test_the_hub_writes_only_the_log_lines_of_its_log_level(tmp_path):
    port = free_port()
    proc = Proc([str(BIN / "rpymostat"), "--home", str(tmp_path / "home"), "hub", "--port", str(port),
                 "--listen", "127.0.0.1", "--no-zeroconf", "--no-tls"], env={"RPYMOSTAT_LOG_LEVEL": "warn"})
    try:
        assert wait_until(lambda: answers(f"http://127.0.0.1:{port}"), 30), "\n".join(proc.lines)
        proc.wait_for("Admin token")
    finally:
        assert proc.stop() == 0
    levels = {LOG_LINE.match(line).group(1) for line in proc.lines if LOG_LINE.match(line)}
    assert not levels & {"debug", "info"}, "\n".join(proc.lines)


def test_a_log_level_the_hub_cannot_apply_stops_it_in_one_line(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "rpymostat.toml").write_text('[hub]\nlog_level = "verbose"\n')
    run = subprocess.run([str(BIN / "rpymostat"), "--home", str(home), "hub", "--no-zeroconf"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr == (f"rpymostat: {home / 'rpymostat.toml'}:log_level: must be one of debug, info, warn, "
                          "error, not 'verbose'\n")


@pytest.mark.parametrize("kind", ["sensor", "relay"])
def test_a_node_without_an_enrollment_key_is_told_the_variable_it_reads(tmp_path, kind):
    hub, url, _ = start_hub(tmp_path / "hub", "--no-zeroconf", "--no-tls")
    node = Proc([str(BIN / f"rpymostat-{kind}"), "--data-dir", str(tmp_path / kind), "--driver", "sim",
                 "--hub", url, "--no-tls", *(["--port", "0", "--listen", "127.0.0.1"] if kind == "relay" else [])],
                env={f"RPYMOSTAT_{kind.upper()}_ENROLLMENT_KEY": ""})
    try:
        line = node.wait_for(r"no enrollment key: give one with .*").group(0)
    finally:
        node.stop()
        hub.stop()
    assert f"--enrollment-key (or RPYMOSTAT_{kind.upper()}_ENROLLMENT_KEY, or enrollment_key in {kind}.toml)" in line
    assert "RPYMOSTAT_ENROLLMENT_KEY" not in line


def test_driver_settings_the_driver_itself_refuses_stop_the_node_in_one_line(tmp_path):
    """The schema fits, but the driver finds the same output twice when it is built."""
    run = subprocess.run([str(BIN / "rpymostat-relay"), "--data-dir", str(tmp_path / "relay"), "--driver", "sim",
                          "--driver-settings", '{"outputs": [{"id": "heat"}, {"id": "heat"}]}', "--no-tls",
                          "--hub", "http://127.0.0.1:9", "--port", "0", "--listen", "127.0.0.1"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "rpymostat-relay cannot start: outputs configured twice: heat" in run.stdout
    assert "Traceback" not in run.stdout + run.stderr
