"""The hub's MQTT bridge: Home Assistant discovery, zone and sensor states, commands from
Home Assistant, and sensors read from MQTT topics.

- On every connection (and whenever Home Assistant says ``online`` on its status topic)
  the hub publishes ``online`` on its availability topic (its last will says
  ``offline``), the retained discovery config of each zone and sensor, and every state.
- States are published when they change, looked at every ``PUBLISH_EVERY_S`` and soon
  after a command; an entity whose zone or sensor is gone is removed (an empty retained
  config).
- A command becomes a hold through the API's own code (``set_hold`` / ``cancel_hold``)
  after the API's own validation of the ``Hold`` body; a command that cannot be carried
  out is logged with the reason and changes nothing. A retained command is ignored: it
  would be carried out again at every restart.
- An MQTT sensor's message goes through the API's ingest path (``ingest``), as a sensor
  node's batch does, under the hub's own node ``mqtt``, which owns those sensors.
  Retained messages are not readings: nothing says when they were taken.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Callable

from twisted.application.service import Service
from twisted.internet.defer import inlineCallbacks, succeed
from twisted.internet.task import LoopingCall
from twisted.logger import Logger

from rpymostat import __version__
from rpymostat.core.errors import Conflict, NotFound, Unavailable
from rpymostat.core.timeutil import parse_time
from rpymostat.hub.mqtt.discovery import (
    OFFLINE,
    ONLINE,
    CommandError,
    Topics,
    climate_config,
    command_hold,
    sensor_config,
    zone_state,
)
from rpymostat.hub.mqtt.link import Credentials, MqttLink, broker_address
from rpymostat.hub.mqtt.sensors import NoReading, SensorBinding, bindings, reading_of
from rpymostat.runtime.private import keep_private
from rpymostat.web.http import ApiError

log = Logger()
PUBLISH_EVERY_S = 5.0
AFTER_COMMAND_S = 0.2  # the control loop ticks at once on a hold; publish what it decided
NODE_ID = "mqtt"
SENSORS_PER_REGISTRATION = 64  # as many as a node's registration may carry


def _active_hold(rule: dict, now: float) -> bool:
    if rule["kind"] != "hold":
        return False
    start = rule["start"] and parse_time(rule["start"]).timestamp()
    end = rule["end"] and parse_time(rule["end"]).timestamp()
    return (start is None or start <= now) and (end is None or now < end)


class MqttBridge(Service):
    """``make_link(on_connected, on_lost, on_message)`` returns the broker link (an
    :class:`~rpymostat.hub.mqtt.link.MqttLink`, or a fake in tests)."""

    def __init__(self, *, api, clock, topics: Topics, make_link: Callable[..., MqttLink],
                 sensors: tuple[SensorBinding, ...] = (), publish_every_s: float = PUBLISH_EVERY_S):
        self.api = api
        self.clock = clock
        self.topics = topics
        self.make_link = make_link
        self.sensors = sensors
        self.by_topic: dict[str, list[SensorBinding]] = defaultdict(list)
        for binding in sensors:
            self.by_topic[binding.topic].append(binding)
        self.publish_every_s = publish_every_s
        self.link: MqttLink | None = None
        self.published: dict[str, bytes] = {}
        self._loop: LoopingCall | None = None
        self._refreshing = False
        self._again = False
        self._soon = None

    @classmethod
    def from_config(cls, config, api, reactor) -> "MqttBridge":
        topics = Topics(config.mqtt_topic_prefix, api.hub_id, config.mqtt_discovery_prefix)
        if config.mqtt_password_file is not None:
            keep_private(config.mqtt_password_file)
        credentials = Credentials(config.mqtt_username, config.mqtt_password_file, config.mqtt_ca_file)

        def make_link(**callbacks) -> MqttLink:
            return MqttLink(reactor, broker_address(config.mqtt_url), client_id=f"rpymostat-{api.hub_id[:16]}",
                            will=(topics.availability, OFFLINE), credentials=credentials, **callbacks)

        return cls(api=api, clock=reactor, topics=topics, make_link=make_link,
                   sensors=bindings(config.mqtt_sensors))

    # -- life cycle ------------------------------------------------------------------

    def startService(self):
        super().startService()
        self.started = self._start()

    @inlineCallbacks
    def _start(self):
        if self.sensors:
            yield self._enlist()
        self.link = self.make_link(on_connected=self._connected, on_lost=self._lost, on_message=self._message)
        self.link.start()
        self._loop = LoopingCall(self.refresh)
        self._loop.clock = self.clock
        self._loop.start(self.publish_every_s, now=False)

    def stopService(self):
        super().stopService()
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self._soon is not None and self._soon.active():
            self._soon.cancel()
        if self.link is not None:
            self.link.publish(self.topics.availability, OFFLINE, retain=True, qos=1)
            self.link.stop()
            self.api.metrics.mqtt_connected.set(0)

    @inlineCallbacks
    def _enlist(self):
        """The hub's own node owns the MQTT sensors, so their readings pass the same
        ownership check as any node's and they are listed with every other sensor. It
        registers as a node does, in bodies of at most ``SENSORS_PER_REGISTRATION``."""
        for first in range(0, len(self.sensors), SENSORS_PER_REGISTRATION):
            some = self.sensors[first:first + SENSORS_PER_REGISTRATION]
            body = {"node_id": NODE_ID, "kind": "sensor", "name": "MQTT sensors", "version": __version__,
                    "sensors": [{"sensor_id": b.sensor_id, "type": "mqtt", "name": b.name} for b in some]}
            try:
                self.api.validators.check("NodeRegister", body)
                yield self.api.enlist(body, None)
            except (ApiError, Conflict) as exc:
                log.warn("MQTT sensors {ids} not registered ({why}); their readings are refused",
                         ids=", ".join(b.sensor_id for b in some), why=exc)

    # -- the link's events (on the reactor) --------------------------------------------

    def _connected(self) -> None:
        log.info("MQTT bridge connected to {host}:{port}", host=self.link.address.host, port=self.link.address.port)
        self.api.metrics.mqtt_connected.set(1)
        self.link.publish(self.topics.availability, ONLINE, retain=True, qos=1)
        self.link.subscribe([self.topics.ha_status, self.topics.commands, *self.by_topic])
        self.published.clear()
        self.refresh()

    def _lost(self, why: str) -> None:
        log.warn("MQTT bridge lost its broker ({why}); connecting again", why=why)
        self.api.metrics.mqtt_connected.set(0)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        metrics = self.api.metrics.mqtt_messages
        if topic == self.topics.ha_status:
            metrics.labels("ha_status").inc()
            if payload.strip() == ONLINE:
                self.published.clear()
                self.refresh()
            return
        command = self.topics.command_of(topic)
        if command is not None:
            metrics.labels("command").inc()
            if retained:
                log.warn("MQTT command on {topic} ignored: it is retained (publish commands unretained)",
                         topic=topic)
                return
            self.command(*command, payload)
            return
        if topic in self.by_topic and not retained:
            metrics.labels("reading").inc()
            self.readings(topic, payload)

    # -- commands ---------------------------------------------------------------------

    @inlineCallbacks
    def command(self, zone_id: int, what: str, payload: bytes):
        """Carry out a command from Home Assistant; fires when done or refused."""
        api = self.api
        try:
            zone = yield api.store.get_zone(zone_id)
            sensors = yield api.store.list_sensors()
            target = api.zone_status(zone, sensors, api.settings, api.now())["target"]
            hold = command_hold(what, payload, target)
            if hold.body is None:
                yield api.cancel_hold(zone_id)
            else:
                api.validators.check("Hold", hold.body)
                yield api.set_hold(zone_id, hold.body)
        except (CommandError, ApiError, NotFound, Conflict, Unavailable) as exc:
            api.metrics.mqtt_commands.labels("refused").inc()
            log.warn("MQTT command {what}={payload} for zone {zone_id} refused: {why}", what=what,
                     payload=payload[:60].decode("utf-8", "replace"), zone_id=zone_id, why=exc)
            return
        api.metrics.mqtt_commands.labels("done").inc()
        log.info("MQTT command {what}={payload} for zone {zone_id} done", what=what, zone_id=zone_id,
                 payload=payload[:60].decode("utf-8", "replace"))
        if self._soon is None or not self._soon.active():
            self._soon = self.clock.callLater(AFTER_COMMAND_S, self.refresh)

    # -- MQTT sensors -----------------------------------------------------------------

    def readings(self, topic: str, payload: bytes):
        """Hand a message's readings to the hub's ingest path; a Deferred of its counts
        (None when the message had none)."""
        now = self.api.now()
        found, unreadable = [], []
        for binding in self.by_topic[topic]:
            try:
                found.append((binding.sensor_id, now, reading_of(binding, payload)))
            except NoReading as exc:
                unreadable.append("unreadable")
                log.warn("MQTT sensor {sensor_id} on {topic}: no reading ({why})", sensor_id=binding.sensor_id,
                         topic=topic, why=exc)
        self.api.metrics.readings("mqtt", 0, 0, unreadable)
        if not found:
            return succeed(None)
        d = self.api.ingest(NODE_ID, found, source="mqtt")
        d.addCallback(self._ingested, topic)
        d.addErrback(self._not_stored, topic)
        return d

    @staticmethod
    def _ingested(counts: dict, topic: str) -> dict:
        for error in counts["errors"]:
            log.warn("MQTT sensor {sensor_id} on {topic}: reading refused ({reason})", topic=topic, **error)
        return counts

    @staticmethod
    def _not_stored(failure, topic: str):
        failure.trap(Unavailable)
        log.warn("readings from {topic} not stored: {why}", topic=topic, why=failure.value)
        return None

    # -- publishing -------------------------------------------------------------------

    def refresh(self):
        """Publish what changed; one at a time (a refresh asked meanwhile runs after)."""
        if self.link is None or not self.link.connected:
            return None
        if self._refreshing:
            self._again = True
            return None
        self._refreshing = True
        d = self._publish_all()
        d.addErrback(self._refresh_failed)
        d.addBoth(self._refreshed)
        return d

    def _refreshed(self, result):
        self._refreshing = False
        if self._again:
            self._again = False
            self.refresh()
        return result

    @staticmethod
    def _refresh_failed(failure):
        failure.trap(Unavailable)
        log.warn("MQTT states not published: {why}; trying at the next refresh", why=failure.value)

    @inlineCallbacks
    def _publish_all(self):
        api = self.api
        zones = yield api.store.list_zones()
        sensors = yield api.store.list_sensors()
        rules = yield api.store.list_rules()
        now = api.now()
        held = {rule["zone_id"] for rule in rules if _active_hold(rule, now)}
        messages: dict[str, bytes] = {}
        for zone in zones:
            messages[self.topics.zone_config(zone["id"])] = _json(climate_config(self.topics, zone, api.system))
            status = api.zone_status(zone, sensors, api.settings, now)
            messages[self.topics.zone_state(zone["id"])] = _json(zone_state(status, zone["id"] in held))
        stale_after_s = api.settings["report_interval_s"] * api.settings["stale_after_intervals"]
        for sensor in sensors:
            messages[self.topics.sensor_config(sensor["id"])] = _json(
                sensor_config(self.topics, sensor, api.system, stale_after_s))
            latest = api.live.latest.get(sensor["id"])
            if latest is not None:
                messages[self.topics.sensor_state(sensor["id"])] = f"{latest.value:.2f}".encode()
        self._send(messages)

    def _send(self, messages: dict[str, bytes]) -> None:
        """Publish (retained) what differs from what was last published, and remove the
        entities that are gone."""
        for topic in sorted(set(self.published) - set(messages)):
            if topic.endswith("/config"):
                self.link.publish(topic, b"", retain=True, qos=1)
            del self.published[topic]
        for topic, payload in messages.items():
            if self.published.get(topic) != payload:
                self.link.publish(topic, payload, retain=True, qos=1)
                self.published[topic] = payload


def _json(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
