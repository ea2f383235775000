"""A node's identity: an id that stays the same across restarts, reinstalls and re-flashes.

Sources, in order:

1. the Raspberry Pi's serial number from ``/proc/cpuinfo`` (``Serial : 0000000012345678``;
   an all-zero serial, as some boards and emulators report, does not count) -> ``rpi-<serial>``;
2. ``/etc/machine-id`` -> ``mid-<16 hex>``. systemd asks that the machine id never be shown
   as is, so the id is an HMAC of a fixed application key with the machine id as the key,
   as ``sd_id128_get_machine_app_specific`` does;
3. a random id created once in the node's data dir (file ``node_id``) and reused ->
   ``gen-<16 hex>``.

One machine may run a sensor node and a relay node; ``node_id(..., kind="relay")`` appends
the kind so that the hub sees two nodes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

CPUINFO = Path("/proc/cpuinfo")
MACHINE_ID = Path("/etc/machine-id")
ID_FILE = "node_id"
APP_KEY = b"rpymostat node identity v1"

SERIAL_LINE = re.compile(r"^Serial\s*:\s*([0-9a-fA-F]+)\s*$", re.M)
MACHINE_ID_TEXT = re.compile(r"^[0-9a-f]{32}$")
GENERATED = re.compile(r"^gen-[0-9a-f]{16}$")


def pi_serial(cpuinfo_text: str) -> str | None:
    match = SERIAL_LINE.search(cpuinfo_text)
    if match is None or int(match.group(1), 16) == 0:
        return None
    return match.group(1).lower()


def machine_id_digest(machine_id_text: str) -> str | None:
    machine_id = machine_id_text.strip()
    if not MACHINE_ID_TEXT.match(machine_id):
        return None  # empty, "uninitialized" or otherwise unusable
    return hmac.new(machine_id.encode(), APP_KEY, hashlib.sha256).hexdigest()[:16]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def generated_id(data_dir: Path) -> str:
    """The id kept in ``data_dir``, created on first use."""
    path = data_dir / ID_FILE
    existing = _read(path).strip()
    if GENERATED.match(existing):
        return existing
    new = f"gen-{secrets.token_hex(8)}"
    data_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves an empty id file behind.
    scratch = path.with_name(f".{ID_FILE}.{os.getpid()}")
    scratch.write_text(new + "\n")
    os.replace(scratch, path)
    return new


def machine_identity(
    data_dir: str | Path,
    *,
    cpuinfo: str | Path = CPUINFO,
    machine_id: str | Path = MACHINE_ID,
) -> str:
    serial = pi_serial(_read(Path(cpuinfo)))
    if serial:
        return f"rpi-{serial}"
    digest = machine_id_digest(_read(Path(machine_id)))
    if digest:
        return f"mid-{digest}"
    return generated_id(Path(data_dir))


def node_id(
    data_dir: str | Path,
    *,
    kind: str | None = None,
    cpuinfo: str | Path = CPUINFO,
    machine_id: str | Path = MACHINE_ID,
) -> str:
    base = machine_identity(data_dir, cpuinfo=cpuinfo, machine_id=machine_id)
    return f"{base}-{kind}" if kind else base
