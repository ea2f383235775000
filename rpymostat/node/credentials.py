"""What a node keeps after enrolling: its device token, the ``hub_id`` it is pinned to and,
for a hub on HTTPS, the fingerprint of the hub's certificate it pinned. A token the hub
revoked is dropped while the pins stay (``token`` None): the node enrolls again with that
hub only.

Stored as ``hub.json`` in the node's data dir, readable by its owner only (the token is a
secret), written to a scratch file and renamed so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import attrs
from twisted.logger import Logger

FILE = "hub.json"
log = Logger(namespace="rpymostat.node.credentials")


@attrs.frozen(repr=False)
class Credentials:
    token: str | None
    hub_id: str
    hub_fingerprint: str = ""

    def __repr__(self) -> str:  # never put the token in a log line
        return f"Credentials(hub_id={self.hub_id!r}, hub_fingerprint={self.hub_fingerprint!r})"


def load_credentials(data_dir: Path) -> Credentials | None:
    path = Path(data_dir) / FILE
    try:
        data = json.loads(path.read_text())
        token = data["token"]
        if token is not None and not isinstance(token, str):
            raise TypeError(f"token is a {type(token).__name__}")
        return Credentials(token=token, hub_id=str(data.get("hub_id", "")),
                           hub_fingerprint=str(data.get("hub_fingerprint", "")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warn("ignoring unreadable {path}: {exc}; the node will enroll again", path=path, exc=exc)
        return None


def save_credentials(data_dir: Path, credentials: Credentials) -> None:
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    scratch = data_dir / f".{FILE}.{os.getpid()}"
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(attrs.asdict(credentials), out)
    os.replace(scratch, data_dir / FILE)
