"""``rpymostat-webui``: the web UI on its own port (8580) in front of a hub, for a hub
installed without the UI or a UI on another machine.

    rpymostat-webui [--hub URL [--hub-fingerprint HEX]] [--system NAME] [--port 8580]
                    [--listen 127.0.0.1] [--allowed-host NAME ...] [--zeroconf-interface ADDR]

Without ``--hub`` it browses mDNS for hubs (as the nodes do) and uses the one advertised,
or the one of ``--system``, pinning the certificate the advertisement names; when the hub
moves, the next advertisement moves the proxy with it. It serves plain HTTP: keep it on
loopback, or behind a reverse proxy that speaks HTTPS, when the network is not trusted.
"""

from __future__ import annotations

import argparse
import sys

from rpymostat import __version__

DEFAULT_PORT = 8580


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rpymostat-webui", description="RPyMostat's web UI, served on its own.")
    parser.add_argument("--version", action="version", version=f"rpymostat-webui {__version__}")
    parser.add_argument("--hub", help="the hub's URL (default: found over mDNS)")
    parser.add_argument("--hub-fingerprint", help="SHA-256 of an https hub's certificate (default: trust "
                                                  "the first one it presents)")
    parser.add_argument("--system", help="use the hub of this system name (several on one LAN)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to serve on (default {DEFAULT_PORT})")
    parser.add_argument("--listen", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--allowed-host", action="append", default=[], dest="allowed_hosts",
                        help="another name this server is reached by (repeatable)")
    parser.add_argument("--zeroconf-interface", action="append", default=[], dest="interfaces",
                        help="browse mDNS on this interface address only (repeatable)")
    return parser


class HubChoice:
    """The hub the proxy talks to: given, or the newest advertisement that fits."""

    def __init__(self, url: str | None, system: str | None, pins):
        self.url = url.rstrip("/") if url else None
        self.system = system
        self.pins = pins

    def __call__(self) -> str | None:
        return self.url

    def wants(self, candidate) -> bool:
        return self.system is None or candidate.system == self.system

    def heard(self, candidate) -> None:
        from twisted.logger import Logger

        if not self.wants(candidate) or candidate.url == self.url:
            return
        if candidate.fingerprint and self.pins is not None:
            self.pins.expect(candidate.url, candidate.fingerprint)
        self.url = candidate.url
        Logger().info("using the hub {hub_id} ({system}) at {url}", hub_id=candidate.hub_id,
                      system=candidate.system, url=candidate.url)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rpymostat.runtime.process import install_reactor, start_logging

    reactor = install_reactor(tls=True)
    start_logging("info")
    from twisted.internet.endpoints import TCP4ServerEndpoint
    from twisted.logger import Logger

    from rpymostat.node.discovery import HubBrowser
    from rpymostat.runtime.tls import TRUST_ON_FIRST_USE, http_client, normalize_fingerprint
    from rpymostat.web.gate import Gate, HostCheck
    from rpymostat.web.site import QuietSite
    from rpymostat_webui.proxy import HubProxy, Standalone
    from rpymostat_webui.resource import UIResource, built, load_assets

    log = Logger(namespace="rpymostat_webui")
    if not built():
        print("rpymostat-webui: the UI's files are not built; run `make webui` in the source tree", file=sys.stderr)
        return 1
    http, pins = http_client(reactor, tls=True)
    choice = HubChoice(args.hub, args.system, pins)
    if args.hub and args.hub.startswith("https:"):
        pins.expect(args.hub, normalize_fingerprint(args.hub_fingerprint) if args.hub_fingerprint
                    else TRUST_ON_FIRST_USE)
    gate = Gate(reactor, hosts=HostCheck(reactor, args.allowed_hosts, args.listen))
    root = Standalone(HubProxy(http, choice, gate), UIResource(gate, load_assets()))

    def started():
        d = TCP4ServerEndpoint(reactor, args.port, interface=args.listen).listen(QuietSite(root, reactor=reactor))
        d.addCallback(lambda port: log.info("RPyMostat web UI on http://{host}:{port}/ for the hub at {hub}",
                                            host=args.listen, port=port.getHost().port,
                                            hub=choice.url or "(looking for one over mDNS)"))
        d.addErrback(lambda failure: (log.failure("cannot listen", failure), reactor.stop()))
        if not args.hub:
            browser = HubBrowser(reactor, args.interfaces)
            browser.on_candidate(choice.heard)
            # zeroconf is made one reactor turn after start, once asyncio's loop runs
            reactor.callLater(0, browser.browse, choice.wants)
            reactor.addSystemEventTrigger("before", "shutdown", browser.close)

    reactor.callWhenRunning(started)
    reactor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
