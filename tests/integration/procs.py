"""Real processes for integration tests: start one, wait for a line in its output,
talk HTTP or HTTPS to it, stop it with a signal.

HTTPS is checked as the nodes check it: by the fingerprint of the certificate, which
:func:`start_hub` and :func:`relay_api_url` read from the process's log (``PINS``)."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection, HTTPSConnection
from pathlib import Path
from urllib.parse import urlsplit

BIN = Path(sys.executable).parent


class Proc:
    def __init__(self, args: list[str], env: dict | None = None, cwd: str | None = None,
                 preexec_fn=None):
        self.args = args
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.popen = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})}, cwd=cwd, text=True, bufsize=1, preexec_fn=preexec_fn)
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.popen.stdout:
            self.lines.append(line.rstrip("\n"))
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match:
        """The first line (already seen or new) that matches ``pattern``."""
        compiled = re.compile(pattern)
        for line in list(self.lines):
            match = compiled.search(line)
            if match:
                return match
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=0.1)
            except queue.Empty:
                if self.popen.poll() is not None and self._queue.empty():
                    break
                continue
            match = compiled.search(line)
            if match:
                return match
        raise AssertionError(f"no line matching {pattern!r} from {self.args[:3]}; output:\n"
                             + "\n".join(self.lines[-40:]))

    def stop(self, sig=signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            raise AssertionError(f"{self.args[:3]} did not stop within {timeout}s") from None


PINS: dict[str, str] = {}  # "host:port" -> fingerprint of the certificate trusted there


def trust(url: str, fingerprint: str) -> None:
    PINS[urlsplit(url).netloc] = fingerprint


def fingerprint_in_log(proc: Proc, timeout: float = 20.0) -> str:
    return proc.wait_for(r"TLS certificate sha256 ([0-9a-f]{64})", timeout).group(1)


def http(method: str, url: str, body=None, token: str | None = None, timeout: float = 10.0,
         pin: str | None = None, headers: dict | None = None):
    """(status, decoded JSON body). An https URL must present the certificate ``pin`` (by
    default the one trusted for its host and port), else AssertionError before sending."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # self-signed: checked by its fingerprint below
        conn = HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=context)
        conn.connect()
        presented = hashlib.sha256(conn.sock.getpeercert(binary_form=True)).hexdigest()
        expected = pin or PINS.get(parts.netloc)
        if presented != expected:
            conn.close()
            raise AssertionError(f"{parts.netloc} presented certificate {presented}, not {expected}")
    else:
        conn = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = dict(headers or {})
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=data,
                     headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    return response.status, (json.loads(raw) if raw else None)


def start_hub(home: Path, *extra: str, env: dict | None = None,
              preexec_fn=None, port: int = 0) -> tuple[Proc, str, str | None]:
    """A hub on loopback (a free port by default): (process, base URL, admin token if first
    start). On HTTPS (the default) its certificate is trusted by :func:`http`. ``preexec_fn``
    runs in the child before the hub starts (e.g. to set its limits)."""
    proc = Proc([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", str(port),
                 "--listen", "127.0.0.1", *extra], env=env, preexec_fn=preexec_fn)
    url = proc.wait_for(r"listening on (https?://127\.0\.0\.1:\d+/)").group(1)
    if url.startswith("https:"):
        trust(url, fingerprint_in_log(proc))
    return proc, url.rstrip("/"), admin_token(proc)


def admin_token(proc: Proc, timeout: float | None = None) -> str | None:
    """The admin token from the file a first start names (None if it named none); with a
    ``timeout``, wait that long for the line."""
    if timeout is not None:
        proc.wait_for(ADMIN_TOKEN_LINE, timeout)
    for line in proc.lines:
        match = re.search(ADMIN_TOKEN_LINE, line)
        if match:
            return Path(match.group(1)).read_text().strip()
    return None


ADMIN_TOKEN_LINE = r"Admin token written to (\S+) "


def start_advertised_hub(home: Path, *extra: str, port: int = 0) -> tuple[Proc, str, str | None]:
    """:func:`start_hub` taking ENROLLMENT_KEY, once it is advertised over mDNS (what nodes
    without ``--hub`` wait for)."""
    proc, url, token = start_hub(home, "--enrollment-key", ENROLLMENT_KEY, *extra, port=port)
    proc.wait_for(r"advertised .* port \d+")
    return proc, url, token


def browse(service_type: str, want, timeout: float = 15.0):
    """The first ServiceInfo of ``service_type`` on loopback for which ``want(info)`` holds.

    Runs in its own thread: under pytest-twisted the asyncio loop of this thread is
    "running" (in a greenlet), and a synchronous Zeroconf would attach to it and starve.
    """
    result: list = []

    def work():
        from zeroconf import ServiceBrowser, Zeroconf

        names: list[str] = []
        zc = Zeroconf(interfaces=["127.0.0.1"])

        class Listener:
            def add_service(self, zc_, type_, name):
                names.append(name)

            update_service = add_service

            def remove_service(self, *args):
                pass

        try:
            ServiceBrowser(zc, service_type, Listener())
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not result:
                for name in list(dict.fromkeys(names)):
                    info = zc.get_service_info(service_type, name, timeout=2000)
                    if info is not None and want(info):
                        result.append(info)
                        break
                time.sleep(0.1)
        finally:
            zc.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(timeout + 10)
    return result[0] if result else None


ENROLLMENT_KEY = "9c2f4e7a1b3d5f8e0a6c4b2d9f1e3a5c7b8d0e2f4a6c8e1b3d5f7a9c0e2b4d6f"


def start_node(kind: str, data_dir: Path, *extra: str, hub: str | None = None,
               prefix: tuple[str, ...] = (), zeroconf: str = "127.0.0.1", env: dict | None = None) -> Proc:
    """``rpymostat-sensor`` or ``rpymostat-relay`` with the sim driver, enrolling with
    ENROLLMENT_KEY; mDNS only on ``zeroconf`` (loopback unless a namespace address)."""
    args = [*prefix, str(BIN / f"rpymostat-{kind}"), "--data-dir", str(data_dir), "--driver", "sim",
            "--enrollment-key", ENROLLMENT_KEY, "--zeroconf-interface", zeroconf, *extra]
    if hub:
        args += ["--hub", hub]
    return Proc(args, env=env)


def relay_api_url(proc: Proc, timeout: float = 20.0) -> str:
    """Where the relay's API answers; on HTTPS its certificate is trusted by :func:`http`."""
    url = proc.wait_for(r"API on (https?://[\d.]+:\d+)/", timeout).group(1)
    if url.startswith("https:"):
        trust(url, fingerprint_in_log(proc, timeout))
    return url


def loads_tls(proc: Proc) -> bool:
    """Whether the process has loaded pyOpenSSL's native half (cryptography's bindings)."""
    maps = Path(f"/proc/{proc.popen.pid}/maps").read_text()
    return "cryptography/hazmat/bindings" in maps


def free_port() -> int:
    """A loopback port free now, for a process that must come back on the same one."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command_token(hub_home: Path, node_id: str) -> str:
    """The token the hub presents to a relay node, from the hub's own database."""
    import sqlite3

    db = sqlite3.connect(str(hub_home / "rpymostat.db"))
    try:
        return db.execute("SELECT command_token FROM nodes WHERE id = ?", (node_id,)).fetchone()[0]
    finally:
        db.close()


def stored_readings(hub_home: Path) -> list[tuple[str, float]]:
    """(sensor_id, time) of every reading in the hub's SQLite database, read through its
    history store while the hub may be running."""
    from rpymostat.hub.store.history import HistoryStore
    from rpymostat.hub.store.store import make_engine

    engine = make_engine(f"sqlite:///{hub_home / 'rpymostat.db'}")
    try:
        history = HistoryStore(engine)
        return sorted((name.removeprefix("sensor/"), time) for name in history.series_names("sensor/")
                      for time, _ in history.raw_points(name, 0, 2**40))
    finally:
        engine.dispose()


def wait_until(predicate, timeout: float, interval: float = 0.1):
    """The first truthy value of ``predicate()`` within ``timeout`` s, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None
