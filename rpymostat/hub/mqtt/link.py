"""The hub's connection to an MQTT broker.

paho-mqtt runs its network loop on a thread of its own (``loop_start``): it connects,
keeps the connection alive, and after a loss connects again, waiting longer after each
failure (``RECONNECT_MIN_S`` doubling up to ``RECONNECT_MAX_S``). Nothing of the hub runs
on that thread: every event (connected, lost, a message) is handed to the reactor with
``callFromThread``, so the bridge sees them in order on the reactor thread as it sees
everything else. Publishing is called from the reactor; paho's ``publish`` is safe to
call from another thread than its loop's.

The broker learns the hub's last will when it connects: ``offline`` on the availability
topic, retained, which the broker publishes when the hub vanishes without saying goodbye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import attrs
from twisted.logger import Logger

log = Logger()
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 60
KEEPALIVE_S = 30
SCHEMES = {"mqtt": (1883, False), "mqtts": (8883, True)}


class BrokerAddressError(ValueError):
    """A broker URL the hub cannot use; the text says why."""


@attrs.frozen
class BrokerAddress:
    host: str
    port: int
    tls: bool


def broker_address(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise BrokerAddressError(f"must start mqtt:// or mqtts://, not {url!r}")
    if parts.username or parts.password:
        raise BrokerAddressError("put the user name in mqtt_username and the password in a file "
                                 "(mqtt_password_file), not in the URL")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BrokerAddressError(f"is a broker's address only (mqtt://host:port), not {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise BrokerAddressError(f"has a port that is not a number from 1 to 65535: {url!r}") from None
    if not parts.hostname:
        raise BrokerAddressError(f"names no host: {url!r}")
    default_port, tls = SCHEMES[parts.scheme]
    return BrokerAddress(parts.hostname, port or default_port, tls)


@attrs.frozen
class Credentials:
    username: str | None = None
    password_file: Path | None = None
    ca_file: Path | None = None

    def password(self) -> str | None:
        if self.password_file is None:
            return None
        return self.password_file.read_text(encoding="utf-8").strip()


class MqttLink:
    """One client connection; ``on_connected()``, ``on_lost(why)`` and
    ``on_message(topic, payload, retained)`` are called on the reactor thread."""

    def __init__(self, reactor, address: BrokerAddress, *, client_id: str, will: tuple[str, bytes],
                 on_connected: Callable[[], None], on_lost: Callable[[str], None],
                 on_message: Callable[[str, bytes, bool], None], credentials: Credentials = Credentials()):
        import paho.mqtt.client as paho

        self.reactor = reactor
        self.address = address
        self.on_connected = on_connected
        self.on_lost = on_lost
        self.on_message = on_message
        self.connected = False
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=paho.MQTTv311)
        self.client.reconnect_delay_set(RECONNECT_MIN_S, RECONNECT_MAX_S)
        self.client.will_set(will[0], will[1], qos=1, retain=True)
        if credentials.username is not None:
            self.client.username_pw_set(credentials.username, credentials.password())
        if address.tls:
            self.client.tls_set(ca_certs=str(credentials.ca_file) if credentials.ca_file else None)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_connect_fail = self._unreachable
        self.client.on_message = self._message

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=KEEPALIVE_S)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect cleanly (the broker then does not publish the will) and end the loop."""
        self.client.disconnect()
        self.client.loop_stop()
        self.connected = False

    def publish(self, topic: str, payload: bytes | str, retain: bool = False, qos: int = 0) -> None:
        """Send now, or drop: after a reconnection the bridge publishes everything again."""
        if self.connected:
            self.client.publish(topic, payload, qos=qos, retain=retain)

    def subscribe(self, topics: list[str]) -> None:
        if topics:
            self.client.subscribe([(topic, 1) for topic in topics])

    # -- on paho's thread ------------------------------------------------------------

    def _connected(self, client, userdata, flags, reason_code, properties=None) -> None:
        if reason_code.is_failure:
            self.reactor.callFromThread(self._lost, f"the broker refused the connection: {reason_code}")
        else:
            self.reactor.callFromThread(self._up)

    def _disconnected(self, client, userdata, flags, reason_code, properties=None) -> None:
        self.reactor.callFromThread(self._lost, f"disconnected: {reason_code}")

    def _unreachable(self, client, userdata) -> None:
        self.reactor.callFromThread(self._lost, "cannot connect")

    def _message(self, client, userdata, message) -> None:
        self.reactor.callFromThread(self.on_message, message.topic, message.payload, bool(message.retain))

    # -- on the reactor ---------------------------------------------------------------

    def _up(self) -> None:
        self.connected = True
        self.on_connected()

    def _lost(self, why: str) -> None:
        was = self.connected
        self.connected = False
        if was:
            self.on_lost(why)
        else:
            log.warn("MQTT broker {host}:{port}: {why}; trying again", host=self.address.host,
                     port=self.address.port, why=why)
