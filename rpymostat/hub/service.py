"""The hub process: store, API and advertisement as one Twisted service."""

from __future__ import annotations

from functools import partial
from typing import Callable

from twisted.application.service import MultiService, Service
from twisted.internet.defer import Deferred, inlineCallbacks
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from rpymostat import __version__
from rpymostat.hub.advertise import Advertiser, hub_txt
from rpymostat.hub.api.app import HubAPI
from rpymostat.hub.auth import TokenBook, TokenReloads
from rpymostat.hub.config import HubConfig
from rpymostat.hub.control import ControlService
from rpymostat.hub.history_jobs import Compaction
from rpymostat.hub.influx import attach_influx
from rpymostat.hub.live import Live
from rpymostat.hub.login import new_login_code, sign_in_url
from rpymostat.hub.metrics import CountingStore, HubMetrics, MeteredHttp
from rpymostat.hub.recorder import Recorder, control_temperatures
from rpymostat.hub.store.aio import AsyncStore, ReadingWriter, thread_runner
from rpymostat.hub.store.store import Store, sqlite_file
from rpymostat.hub.tokens import hash_token, new_enrollment_key
from rpymostat.runtime.clock import boot_for, clock_for, timer_for
from rpymostat.runtime.config import connection_limits, ways_to_set
from rpymostat.runtime.private import private_dir, private_sqlite
from rpymostat.runtime.tls import Certificate, ensure_certificate, http_client, server_endpoint
from rpymostat.web.gate import Gate, HostCheck, Settings
from rpymostat.web.site import LISTEN_BACKLOG, QuietSite, fit_descriptors

log = Logger()


def private_home(config: HubConfig) -> None:
    """The home 0700 and a SQLite database 0600, made so or checked (see
    :mod:`rpymostat.runtime.private`): the database holds the hub's secret and token hashes."""
    private_dir(config.home)
    database = sqlite_file(config.db_url)
    if database is not None:
        private_sqlite(database)


@inlineCallbacks
def prepare_store(store: AsyncStore, now: float, configured_key: str | None,
                  announce: Callable[[str], None]):
    """Open the database; on first start make the admin token and enrollment key and
    announce them once. Returns ``(hub_id, enrollment_key_hash, first_start)``."""
    opened = yield store.open(now)
    if opened["first_start"]:
        _, plain = yield store.create_token("admin", "first admin", now)
        announce(f"Admin token (shown once, keep it safe): {plain}")
    key_hash = hash_token(configured_key) if configured_key else (yield store.get_meta("enrollment_key_hash"))
    if key_hash is None:
        key = new_enrollment_key()
        key_hash = hash_token(key)
        yield store.set_meta("enrollment_key_hash", key_hash)
        announce(f"Enrollment key for nodes (shown once): {key}")
    return opened["hub_id"], key_hash, opened["first_start"]


class Listener(Service):
    """Serves a site on an endpoint; ``listening`` fires with the port once bound."""

    def __init__(self, endpoint, factory):
        self.endpoint = endpoint
        self.factory = factory
        self.listening: Deferred | None = None
        self._port = None

    def startService(self):
        super().startService()
        self.listening = self.endpoint.listen(self.factory)
        self.listening.addCallback(self._bound)

    def _bound(self, port):
        self._port = port
        return port

    def stopService(self):
        super().stopService()
        if self._port is not None:
            return self._port.stopListening()
        return None


def site_resource(api: HubAPI):
    """(the site's root, whether the UI is on it): the web UI beside the API when the
    ``webui`` extra is installed and built."""
    api_root = api.resource()
    try:
        from rpymostat_webui.resource import mount
    except ImportError:
        return api_root, False
    root = mount(api_root, api.gate)
    return root, root is not api_root


def hub_gate(config: HubConfig, clock) -> Gate:
    return Gate(clock, hosts=HostCheck(clock, config.allowed_hosts, config.listen),
                allowed_origins=config.allowed_origins,
                settings=Settings(hosts=ways_to_set(HubConfig, "allowed_hosts"),
                                  origins=ways_to_set(HubConfig, "allowed_origins")))


class HubService(MultiService):
    def __init__(self, config: HubConfig, reactor, announce: Callable[[str], None] = print):
        super().__init__()
        self.config = config
        self.reactor = reactor
        self.clock = clock_for(reactor, config.speed, config.epoch, config.clock_start)
        self.timer = timer_for(reactor, config.speed)  # the guard's, the leases' (rpymostat.runtime.monotonic)
        self.boot_id = boot_for(config.speed)  # what the timer's readings are relative to
        self.announce = announce
        self.pool = ThreadPool(minthreads=1, maxthreads=1 if config.db_url.startswith("sqlite") else 4,
                               name="rpymostat-db")
        self.store = AsyncStore(Store(config.db_url), thread_runner(reactor, self.pool))
        self.ready: Deferred = Deferred()
        self.api: HubAPI | None = None
        self.control: ControlService | None = None
        self.url: str | None = None

    def startService(self):
        super().startService()
        self.pool.start()
        self._start().chainDeferred(self.ready)

    @inlineCallbacks
    def _start(self):
        config = self.config
        private_home(config)
        now = self.clock.seconds()
        hub_id, key_hash, first_start = yield prepare_store(self.store, now, config.enrollment_key, self.announce)
        settings = yield self.store.get_settings()
        # Real time, even when the demo runs the hub's clock faster.
        tokens = TokenBook(self.store, self.reactor, key_hash)
        tokens.load((yield self.store.active_tokens()))
        TokenReloads(tokens).setServiceParent(self)
        live = Live().load((yield self.store.list_nodes()), (yield self.store.list_sensors()))
        metrics = HubMetrics()
        # Relays are commanded over HTTPS pinned to the certificate each registered.
        http, pins = http_client(self.reactor, config.tls)
        control = partial(ControlService, clock=self.clock, timer=self.timer, boot_id=self.boot_id,
                          http=MeteredHttp(http, metrics), store=CountingStore(self.store, metrics), pins=pins)
        self.api = HubAPI(store=self.store, writer=ReadingWriter(self.store), tokens=tokens, live=live,
                          clock=self.clock, hub_id=hub_id, system=config.system, settings=settings,
                          started_at=now, gate=hub_gate(config, self.reactor), control=control, metrics=metrics,
                          metrics_open=config.metrics_open, real_clock=self.reactor)
        certificate = self._certificate()
        self.control = self.api.control
        self.control.setServiceParent(self)
        metrics.watch_control(self.control)
        if config.mqtt_url:
            from rpymostat.hub.mqtt.bridge import MqttBridge

            MqttBridge.from_config(config, self.api, self.reactor).setServiceParent(self)
        Compaction(self.store.history, self.clock).setServiceParent(self)
        Recorder(self.store, self.clock, lambda: self.api.settings,
                 lambda: control_temperatures(self.control)).setServiceParent(self)
        export = attach_influx(config, self.store.store)
        if export is not None:
            export.setServiceParent(self)
        root, with_ui = site_resource(self.api)
        site = QuietSite(root, fit_descriptors(connection_limits(config)), reactor=self.reactor)
        listener = Listener(server_endpoint(self.reactor, config.port, config.listen, LISTEN_BACKLOG, certificate),
                            site)
        listener.setServiceParent(self)
        port = yield listener.listening
        bound = port.getHost()
        host = "127.0.0.1" if bound.host in ("0.0.0.0", "") else bound.host
        self.url = f"{'https' if certificate else 'http'}://{host}:{bound.port}/"
        log.info("RPyMostat hub {version} ({hub_id}) listening on {url}", version=__version__,
                 hub_id=hub_id, url=self.url)
        if with_ui and first_start:
            code = yield self.store.run(new_login_code, self.store.store, self.reactor.seconds())
            self.announce(f"Sign in to the web UI (this link works once, for 10 minutes): "
                          f"{sign_in_url(self.url, code)}")
        fingerprint = certificate.fingerprint if certificate else None
        if fingerprint:
            log.info("TLS certificate sha256 {fingerprint} ({path})", fingerprint=fingerprint,
                     path=certificate.cert_path)
        if config.zeroconf:
            Advertiser(self.reactor, name=f"RPyMostat hub {config.system} {hub_id[:8]}", port=bound.port,
                       listen=config.listen,
                       properties=hub_txt(hub_id, __version__, config.system, fingerprint)).setServiceParent(self)
        return self

    def _certificate(self) -> Certificate | None:
        if not self.config.tls:
            return None
        certificate = ensure_certificate(self.config.home, "hub", self.reactor.seconds(), self.config.listen)
        if certificate.created:
            log.info("made a new self-signed TLS certificate in {path}", path=certificate.cert_path)
        return certificate

    @inlineCallbacks
    def stopService(self):
        yield super().stopService()
        self.pool.stop()
        self.store.store.close()
