"""What every RPyMostat process shares as a process: the asyncio reactor, logs at a chosen
level, a thread pool for blocking driver and disk work, and a run that ends cleanly on
SIGTERM/SIGINT and tells systemd when it is ready and when it is stopping."""

from __future__ import annotations

import sys
import time
from typing import Callable

from rpymostat.runtime.sdnotify import notify


def install_reactor(tls: bool = True):
    """The asyncio reactor. ``tls=False`` keeps Twisted from loading pyOpenSSL, which it
    does whenever the package is installed (treq requires it) and which costs a node about
    13 MB of a Pi's memory; a node that speaks plain HTTP on the LAN never needs it."""
    if not tls and "twisted.internet.tcp" not in sys.modules:
        sys.modules.setdefault("OpenSSL", None)
    from twisted.internet import asyncioreactor

    asyncioreactor.install()
    from twisted.internet import reactor

    return reactor


def event_text(event: dict) -> str:
    """A log event's text, followed by its failure's traceback if it carries one."""
    from twisted.logger import formatEvent

    text = formatEvent(event)
    if event.get("log_failure") is not None:
        text += "\n" + event["log_failure"].getTraceback()
    return text


def start_logging(level: str = "info", stream=sys.stdout) -> None:
    from twisted.logger import FilteringLogObserver, LogLevel, LogLevelFilterPredicate, globalLogBeginner

    def observer(event):
        text = event_text(event)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(event.get("log_time", time.time())))
        namespace = event.get("log_namespace", "-").split(".")[-1]
        stream.write(f"{stamp} {event['log_level'].name:5} [{namespace}] {text}\n")
        stream.flush()

    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.levelWithName(level))
    # Zeroconf and Twisted's HTTP client are chatty at info; their warnings still show.
    for quiet in ("twisted.web.client", "twisted.internet.protocol"):
        predicate.setLogLevelForNamespace(quiet, LogLevel.warn)
    globalLogBeginner.beginLoggingTo([FilteringLogObserver(observer, [predicate])],
                                     redirectStandardIO=False)


def thread_runner(reactor, pool) -> Callable:
    """``run(f, *args)`` -> Deferred of ``f(*args)`` computed in ``pool``."""
    from twisted.internet.threads import deferToThreadPool

    return lambda f, *args: deferToThreadPool(reactor, pool, f, *args)


def run_service(reactor, service, what: str, namespace: str | None = None) -> int:
    """Run ``service`` until a signal; 0 on a clean stop. ``what`` names the process in its
    log lines, which are logged in ``namespace`` (``what`` itself by default).

    ``service.ready`` fires once it runs. A service may also have ``crashed``, a Deferred
    that fails when it can no longer do its work: the process then ends with status 1, so
    that systemd restarts it.
    """
    from twisted.logger import Logger

    from rpymostat.runtime.commands import missing_extra
    from rpymostat.runtime.config import ConfigError
    from rpymostat.runtime.private import NotPrivate
    from rpymostat.runtime.tls import CertificateError

    log = Logger(namespace=namespace or what)
    outcome = {"code": 0}

    def started(_):
        notify("READY=1")
        return _

    def failed(failure):
        missing = missing_extra(failure.value, "")  # a driver's or a database's library
        if failure.check(NotPrivate, CertificateError, ConfigError) or missing:
            log.critical("{what} cannot start: {why}", what=what, why=missing or failure.value)
        else:
            log.failure(f"{what} could not start", failure)
        outcome["code"] = 1
        reactor.stop()

    def crashed(failure):
        log.failure(f"{what} stopped on an unexpected error", failure)
        outcome["code"] = 1
        reactor.stop()

    def stopping():
        notify("STOPPING=1")
        return service.stopService()

    def start():
        service.startService()
        service.ready.addCallbacks(started, failed)
        if getattr(service, "crashed", None) is not None:
            service.crashed.addErrback(crashed)

    reactor.callWhenRunning(start)
    reactor.addSystemEventTrigger("before", "shutdown", stopping)
    reactor.run()
    log.info("{what} stopped", what=what)
    return outcome["code"]
