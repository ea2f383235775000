"""``rpymostat install-units``: write the systemd units (:mod:`rpymostat.runtime.units`)
for the venv this machine runs RPyMostat from.

The command looks at the machine only for what the relay unit needs and the machine may or
may not have: the GPIO and SPI groups (a Raspberry Pi) and its ``/dev/gpiomem*`` nodes,
whose device major is named differently from one kernel to the next.
"""

from __future__ import annotations

import grp
import pwd
import sys
from pathlib import Path
from typing import Callable, Iterable

from rpymostat.runtime.units import CONFIG_FILES, DAEMON, DAEMONS, DEVICE_GROUPS, UnitOptions, units

UNIT_DIR = "/etc/systemd/system"


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "install-units", help="write systemd units that run the hub and the nodes from a venv",
        description="Write rpymostat-hub/-sensor/-relay.service for the venv at --venv. The relay unit "
                    "joins the gpio and spi groups where they exist. Then: systemctl daemon-reload.")
    parser.add_argument("--venv", default=sys.prefix,
                        help="the virtual environment RPyMostat is installed in (default: this one, %(default)s)")
    parser.add_argument("--dir", default=UNIT_DIR, help="where to write the units (default %(default)s)")
    parser.add_argument("--only", action="append", choices=DAEMONS, metavar="DAEMON",
                        help="write only this daemon's unit: hub, sensor or relay (repeatable; default all)")
    parser.add_argument("--user", default="rpymostat", help="the system user the daemons run as (default %(default)s)")
    parser.add_argument("--config-dir", default="/etc/rpymostat",
                        help="where the units read the daemons' TOML files (default %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a unit is missing or differs from what would be written")


def existing_groups(names: Iterable[str], lookup: Callable[[str], object] = grp.getgrnam) -> tuple[str, ...]:
    found = []
    for name in names:
        try:
            lookup(name)
        except KeyError:
            continue
        found.append(name)
    return tuple(found)


def gpiomem_nodes(dev: Path = Path("/dev")) -> tuple[str, ...]:
    return tuple(str(path) for path in sorted(dev.glob("gpiomem*")))


def install_units_command(args, *, groups: Callable[[], tuple[str, ...]] = lambda: existing_groups(DEVICE_GROUPS),
                          devices: Callable[[], tuple[str, ...]] = gpiomem_nodes, out=sys.stdout) -> int:
    """0 when the units are written (or, with ``--check``, already as they would be)."""
    venv = str(Path(args.venv).absolute())
    daemons = tuple(dict.fromkeys(args.only or DAEMONS))
    try:
        options = UnitOptions(venv=venv, user=args.user, config_dir=args.config_dir,
                              groups=groups() if "relay" in daemons else (),
                              devices=devices() if "relay" in daemons else ())
    except ValueError as exc:
        print(f"rpymostat: {exc}", file=sys.stderr)
        return 2
    programs = [Path(venv, "bin", DAEMON[daemon].script) for daemon in daemons]
    missing = [program for program in programs if not program.exists()]
    if missing:
        print(f"rpymostat: {missing[0]} not found: --venv names the venv RPyMostat is installed in", file=sys.stderr)
        return 2
    target = Path(args.dir)
    wanted = units(options, daemons)
    stale = [name for name, text in wanted.items() if not same(target / name, text)]
    if args.check:
        for name in stale:
            print(f"{target / name} is missing or out of date", file=out)
        return 1 if stale else 0
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in stale:
            (target / name).write_text(wanted[name])
    except OSError as exc:
        print(f"rpymostat: cannot write {exc.filename}: {exc.strerror} (run it as root?)", file=sys.stderr)
        return 1
    for name in wanted:
        print(f"{'wrote' if name in stale else 'unchanged'} {target / name}", file=out)
    print(next_steps(options, daemons), file=out)
    return 0


def same(path: Path, text: str) -> bool:
    try:
        return path.read_text() == text
    except OSError:
        return False


def next_steps(options: UnitOptions, daemons: tuple[str, ...], user_exists: Callable[[str], bool] | None = None) -> str:
    exists = user_exists or _user_exists
    steps = []
    if not exists(options.user):
        steps.append(f"useradd --system --user-group --home-dir /var/lib/rpymostat --shell /usr/sbin/nologin "
                     f"{options.user}")
    steps.append("systemctl daemon-reload")
    steps += [f"systemctl enable --now rpymostat-{daemon}" for daemon in daemons]
    files = ", ".join(f"{options.config_dir}/{CONFIG_FILES[daemon]}" for daemon in daemons)
    return (f"Put the settings in {files} as needed (root-owned, group {options.user}, mode 0640), then:\n  "
            + "\n  ".join(steps))


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
