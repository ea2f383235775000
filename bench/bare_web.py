"""The baseline for bench/api.py: a bare twisted.web resource on the same reactor, with
none of the hub's routing, auth, validation, live state or caches.

- GET answers the bytes the hub answered for the same path (``--bodies``, a JSON file
  mapping each path to the hub's body), or ``{"status":"ok"}`` for any other path.
- POST parses the JSON body, reads each reading's time and, with ``--db``, inserts the
  readings into SQLite (the hub's pragmas: WAL, synchronous=NORMAL) and commits, one
  transaction per request, on the reactor thread: the simplest server that stores them.

Prints its port once listening.
"""

import argparse
import json
import sqlite3
import sys
from datetime import datetime

from twisted.internet import asyncioreactor

asyncioreactor.install()

from twisted.internet import reactor  # noqa: E402
from twisted.web.resource import Resource  # noqa: E402
from twisted.web.server import Site  # noqa: E402


def open_db(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS readings (sensor_id TEXT, time REAL, value REAL, "
               "PRIMARY KEY (sensor_id, time))")
    return db


class Bare(Resource):
    isLeaf = True

    def __init__(self, bodies: dict[str, bytes], db: sqlite3.Connection | None):
        super().__init__()
        self.bodies = bodies
        self.db = db

    def render_GET(self, request):
        request.setHeader(b"content-type", b"application/json")
        return self.bodies.get(request.path.decode(), b'{"status":"ok"}')

    def render_POST(self, request):
        body = json.loads(request.content.read())
        rows = [(r["sensor_id"], datetime.fromisoformat(r["time"]).timestamp(), r["value"])
                for r in body["readings"]]
        if self.db is not None:
            with self.db:
                self.db.executemany("INSERT OR IGNORE INTO readings VALUES (?, ?, ?)", rows)
        request.setResponseCode(202)
        request.setHeader(b"content-type", b"application/json")
        return json.dumps({"accepted": len(rows)}).encode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bodies", help="JSON file: path -> the body to answer GET with")
    parser.add_argument("--db", help="SQLite file the readings go into")
    args = parser.parse_args()
    bodies = {}
    if args.bodies:
        with open(args.bodies) as f:
            bodies = {path: text.encode() for path, text in json.load(f).items()}
    site = Site(Bare(bodies, open_db(args.db) if args.db else None))
    site.noisy = False
    port = reactor.listenTCP(0, site, interface="127.0.0.1")
    print(f"listening on http://127.0.0.1:{port.getHost().port}/", flush=True)
    sys.stdout.flush()
    reactor.run()


if __name__ == "__main__":
    main()
