"""The units' system call and socket filters let the daemons do their work: the hub, a
sensor node and a relay node run under strace, find each other over mDNS, enroll over
HTTPS and exchange readings; every system call they made must be in the units'
``SystemCallFilter=`` (``@system-service`` without ``@privileged``) and every socket of a
family ``RestrictAddressFamilies=`` allows. (On this machine systemd does not run the
units themselves; ``tests/ops/test_units.py`` has systemd check them.)"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess

import psutil
import pytest

from rpymostat.runtime.units import SANDBOX, UnitOptions, unit_text
from tests.integration.procs import (
    BIN,
    ENROLLMENT_KEY,
    Proc,
    admin_token,
    fingerprint_in_log,
    http,
    start_node,
    trust,
    wait_until,
)

STRACE = shutil.which("strace")
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(not (STRACE and ANALYZE), reason="needs strace and systemd-analyze")


# SQLite hands the files it creates to the database's owner when it runs as root; the
# units never run a daemon as root.
AS_ROOT_ONLY = {"fchown"} if os.geteuid() == 0 else set()


def syscall_sets() -> dict[str, set[str]]:
    """systemd's system call groups, nested groups expanded."""
    listing = subprocess.run([ANALYZE, "syscall-filter"], capture_output=True, text=True, check=True).stdout
    direct: dict[str, list[str]] = {}
    group = None
    for line in listing.splitlines():
        if line.startswith("@"):
            group = line.strip()
            direct[group] = []
        elif group and line.strip() and not line.strip().startswith("#"):
            direct[group].append(line.strip())

    def expand(name: str) -> set[str]:
        return set().union(*(expand(m) if m.startswith("@") else {m} for m in direct.get(name, [])))

    return {name: expand(name) for name in direct}


def unit_value(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in SANDBOX if line.startswith(key + "=")]


def allowed_syscalls() -> set[str]:
    groups = syscall_sets()
    allowed: set[str] = set()
    for value in unit_value("SystemCallFilter"):
        names = value.lstrip("~").split()
        members = set().union(*(groups[n] if n.startswith("@") else {n} for n in names))
        allowed = allowed - members if value.startswith("~") else allowed | members
    return allowed


def traced(out) -> tuple[str, ...]:
    """strace following every thread, with the summary table (-C) after the calls."""
    return (STRACE, "-f", "-qq", "-C", "-e", "signal=none", "-o", str(out))


def used(trace: str) -> tuple[set[str], set[str]]:
    """(system calls in the summary table, address families of the sockets made)."""
    table = trace[trace.rindex("% time"):]
    calls = {line.split()[-1] for line in table.splitlines()[2:]
             if line.strip() and not line.startswith("-") and line.split()[-1] != "total"}
    return calls, set(re.findall(r"socket\((AF_\w+)", trace))


# What PrivateDevices=yes leaves in /dev.
PRIVATE_DEV = re.compile(r"/dev/(null|zero|full|random|urandom|tty|ptmx|pts/.*|shm/.*|log)")


def opened_outside(trace: str, unit: str) -> set[str]:
    """Files under /proc and /dev opened that the unit hides (ProcSubset=pid, PrivateDevices=yes)."""
    paths = set(re.findall(r'open(?:at)?\([^"]*"(/(?:proc|dev)/[^"]*)"', trace))
    hidden = set()
    if "ProcSubset=pid" in unit:
        hidden |= {p for p in paths if p.startswith("/proc/")
                   and not re.match(r"/proc/(self|thread-self|\d+)(/|$)", p)}
    if "PrivateDevices=yes" in unit:
        hidden |= {p for p in paths if p.startswith("/dev/") and not PRIVATE_DEV.fullmatch(p)}
    return hidden


def stop_traced(proc: Proc) -> None:
    """SIGTERM to the daemon itself (strace's child), then wait for strace to write."""
    for child in psutil.Process(proc.popen.pid).children():
        child.send_signal(signal.SIGTERM)
    assert proc.popen.wait(60) == 0


def test_the_daemons_stay_within_the_units_filters(tmp_path):
    traces = {name: tmp_path / f"{name}.strace" for name in ("hub", "sensor", "relay")}
    procs = []
    try:
        hub = Proc([*traced(traces["hub"]), str(BIN / "rpymostat"), "--home", str(tmp_path / "hub"), "hub",
                    "--port", "0", "--listen", "127.0.0.1", "--enrollment-key", ENROLLMENT_KEY])
        procs.append(hub)
        url = hub.wait_for(r"listening on (https://127\.0\.0\.1:\d+)/", 120).group(1)
        trust(url, fingerprint_in_log(hub))
        token = admin_token(hub, 10)
        hub.wait_for(r"advertised .* port \d+", 60)
        procs.append(start_node("sensor", tmp_path / "sensor", prefix=traced(traces["sensor"])))
        procs.append(start_node("relay", tmp_path / "relay", "--listen", "127.0.0.1", "--port", "0",
                                prefix=traced(traces["relay"])))

        def both_working():
            nodes = http("GET", f"{url}/v1/nodes", token=token)[1]["nodes"]
            sensors = http("GET", f"{url}/v1/sensors", token=token)[1]["sensors"]
            return ({node["kind"] for node in nodes} == {"sensor", "relay"}
                    and any(sensor["last_value"] is not None for sensor in sensors))

        assert wait_until(both_working, 120), "\n".join(p.lines[-20] for p in procs if p.lines)
        for proc in reversed(procs):
            stop_traced(proc)
    finally:
        for proc in procs:
            if proc.popen.poll() is None:
                proc.popen.kill()

    allowed = allowed_syscalls()
    families = set(unit_value("RestrictAddressFamilies")[0].split())
    assert {"read", "socket", "setrlimit"} <= allowed and "setuid" not in allowed
    for name, path in traces.items():
        calls, made = used(path.read_text())
        assert "execve" in calls and "socket" in calls, name
        calls -= AS_ROOT_ONLY
        assert calls <= allowed, f"{name} made system calls the unit refuses: {sorted(calls - allowed)}"
        assert made and made <= families, f"{name} made sockets the unit refuses: {sorted(made - families)}"
        unit = unit_text(name, UnitOptions(venv=str(BIN.parent)))
        assert not opened_outside(path.read_text(), unit), f"{name} opened what its unit hides"
