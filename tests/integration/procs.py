"""Real processes for integration tests: start one, wait for a line in its output,
talk HTTP to it, stop it with a signal."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent


class Proc:
    def __init__(self, args: list[str], env: dict | None = None, cwd: str | None = None):
        self.args = args
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        self.popen = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})}, cwd=cwd, text=True, bufsize=1)
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
            raise AssertionError(f"{self.args[:3]} did not stop within {timeout}s")


def http(method: str, url: str, body=None, token: str | None = None, timeout: float = 10.0):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, (json.loads(raw) if raw else None)


def start_hub(home: Path, *extra: str, env: dict | None = None) -> tuple[Proc, str, str | None]:
    """A hub on a free loopback port: (process, base URL, admin token if first start)."""
    proc = Proc([str(BIN / "rpymostat"), "--home", str(home), "hub", "--port", "0",
                 "--listen", "127.0.0.1", *extra], env=env)
    url = proc.wait_for(r"listening on (http://127\.0\.0\.1:\d+/)").group(1)
    token = None
    for line in proc.lines:
        match = re.search(r"Admin token \(shown once, keep it safe\): (\S+)", line)
        if match:
            token = match.group(1)
    return proc, url.rstrip("/"), token


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
