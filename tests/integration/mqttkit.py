"""A client of a real MQTT broker for tests: it watches topics, publishes as Home
Assistant or a sensor would, and clears the retained messages a test left behind."""

from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

MQTT_URL = os.environ.get("RPYMOSTAT_TEST_MQTT_URL")
MOSQUITTO = "/usr/sbin/mosquitto"


def unique_prefix() -> str:
    """Topics no other test (nor an earlier run's retained messages) uses."""
    return f"rpt-{uuid.uuid4().hex[:12]}"


class Watcher:
    """Subscribed to ``patterns``; keeps every message and the retained ones by topic."""

    def __init__(self, url: str, patterns: list[str], *, ca_file: Path | None = None,
                 credentials: tuple[str, str] | None = None):
        import paho.mqtt.client as paho

        parts = urlsplit(url)
        self.messages: list[tuple[str, bytes, bool]] = []
        self.retained_topics: set[str] = set()
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._message
        self.client.on_connect = lambda c, u, f, rc, p=None: c.subscribe([(p_, 1) for p_ in patterns])
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        if ca_file is not None:
            self.client.tls_set(ca_certs=str(ca_file))
        if credentials is not None:
            self.client.username_pw_set(*credentials)
        self.client.connect(parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883), keepalive=30)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the broker did not confirm the subscription"

    def _message(self, client, userdata, message):
        with self._lock:
            self.messages.append((message.topic, message.payload, bool(message.retain)))

    def payloads(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def wait_for(self, topic: str, want=lambda payload: bool(payload), timeout: float = 20.0) -> bytes:
        """The newest payload on ``topic`` for which ``want`` holds, waiting for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for payload in reversed(self.payloads(topic)):
                if want(payload):
                    return payload
            time.sleep(0.05)
        raise AssertionError(f"nothing wanted on {topic} within {timeout}s; seen: {self.payloads(topic)[-5:]}")

    def publish(self, topic: str, payload: bytes | str, retain: bool = False) -> None:
        if retain:
            self.retained_topics.add(topic)
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(10)

    def clear_retained(self) -> None:
        """Remove every retained message seen or sent (an empty retained payload)."""
        with self._lock:
            topics = {t for t, payload, _ in self.messages if payload} | self.retained_topics
        for topic in sorted(topics):
            self.client.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Broker:
    """A mosquitto of a test's own on a loopback port, to stop and start again; with
    ``tls`` (certificate and key files) it speaks TLS only, with ``users`` (name to
    password) it wants one of them."""

    def __init__(self, directory: Path, port: int, tls: tuple[Path, Path] | None = None,
                 users: dict[str, str] | None = None):
        self.port = port
        self.tls = tls is not None
        self.config = directory / "mosquitto.conf"
        lines = [f"listener {port} 127.0.0.1", "persistence false", "user root"]
        if tls is not None:
            lines += [f"certfile {tls[0]}", f"keyfile {tls[1]}"]
        if users:
            passwords = directory / "mosquitto.passwd"
            passwords.write_text("")
            for name, password in users.items():
                subprocess.run(["mosquitto_passwd", "-b", str(passwords), name, password], check=True,
                               capture_output=True)
            lines += [f"password_file {passwords}", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        self.config.write_text("\n".join(lines) + "\n")
        self.popen: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def start(self) -> None:
        import socket

        self.popen = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError(f"mosquitto did not listen on {self.port}")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(10)
