"""The systemd units of the hub and the two node daemons, as text.

Pure: the venv, the user and what the machine has (groups, device nodes) come in as
:class:`UnitOptions`; ``rpymostat install-units`` (:mod:`rpymostat.runtime.install_units`)
finds those and writes the files. Each unit runs its daemon from the venv as an
unprivileged user with a private state directory, ``Type=notify`` with a watchdog the
reactor pings (:mod:`rpymostat.runtime.sdnotify`), and a sandbox that ``systemd-analyze
security`` scores 2.5 or better. Each daemon's sandbox is as tight as what it touches
allows: the hub touches no devices, the sensor node reads 1-Wire sensors through sysfs,
and the relay node opens GPIO, SPI and USB device nodes.
"""

from __future__ import annotations

import re

import attrs

DAEMONS = ("hub", "sensor", "relay")
CONFIG_FILES = {"hub": "rpymostat.toml", "sensor": "sensor.toml", "relay": "relay.toml"}
# Groups that own a Raspberry Pi's GPIO and SPI device nodes (Raspberry Pi OS); the relay
# joins those the machine has.
DEVICE_GROUPS = ("gpio", "spi")
# Device majors by their name in /proc/devices, matched when the unit starts: GPIO
# character devices (/dev/gpiochip*, RPi.GPIO's /dev/gpiomem on older kernels, which
# install-units also lists by path), SPI (the PiFace) and USB (libusb, for Phidgets).
RELAY_DEVICE_MAJORS = ("char-gpiochip", "char-bcm2835-gpiomem", "char-spi", "char-usb_device")

# StateDirectory=rpymostat/<daemon>: created by systemd, 0700, owned by the user.
STATE_DIR = "/var/lib/rpymostat"
SAFE_PATH = re.compile(r"/[A-Za-z0-9._+@/-]*")
SAFE_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# What ProtectHome=yes makes inaccessible.
HIDDEN_HOMES = ("/home", "/root", "/run/user")


def path_problem(path: str) -> str | None:
    """Why the units cannot use ``path``, or None. systemd reads ``%``, ``$``, quotes and
    spaces in ``ExecStart=`` itself; rather than escape them, such paths are refused. So
    are paths the sandbox hides: the daemon would not start (status 203/EXEC)."""
    if not path.startswith("/"):
        return f"{path}: not an absolute path"
    if not SAFE_PATH.fullmatch(path):
        return f"{path}: use a path of letters, digits and . _ + @ - / only"
    if any(path == home or path.startswith(home + "/") for home in HIDDEN_HOMES):
        return f"{path}: the units hide home directories (ProtectHome=yes); use a path such as /opt/rpymostat"
    return None


@attrs.frozen(kw_only=True)
class UnitOptions:
    venv: str = attrs.field()
    user: str = attrs.field(default="rpymostat")
    config_dir: str = attrs.field(default="/etc/rpymostat")
    groups: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    watchdog_s: int = 30

    @venv.validator
    @config_dir.validator
    def _path(self, attribute: attrs.Attribute, value: str) -> None:
        problem = path_problem(value)
        if problem:
            raise ValueError(problem)

    @user.validator
    def _user(self, attribute: attrs.Attribute, value: str) -> None:
        if not SAFE_USER.fullmatch(value):
            raise ValueError(f"{value}: not a system user name (lower-case letters, digits, _ and -)")


def unit_name(daemon: str) -> str:
    return f"rpymostat-{daemon}.service"


def units(options: UnitOptions, daemons: tuple[str, ...] = DAEMONS) -> dict[str, str]:
    """File name -> text, for each of ``daemons``."""
    return {unit_name(daemon): unit_text(daemon, options) for daemon in daemons}


@attrs.frozen
class Daemon:
    """What sets one daemon's unit apart: its description, notes for the reader, how it
    restarts, stops and what it may open, and its sandbox beyond :data:`SANDBOX`."""

    description: str
    script: str
    notes: tuple[str, ...]
    tuning: tuple[str, ...]
    isolation: tuple[str, ...] = ()


# The hub and the sensor node open no device node and need no group beyond their own.
NO_DEVICES_NOR_USERS = ("PrivateDevices=yes", "PrivateUsers=yes")

DAEMON = {
    "hub": Daemon(
        "RPyMostat hub", "rpymostat",
        notes=("# Settings: section [hub] of the --config file; the file must exist, and may be empty.",),
        tuning=("RestartSec=5", "# Database migrations run before READY=1.", "TimeoutStartSec=300",
                "TimeoutStopSec=30",
                "# Soft limit 1024 as systemd's default; the hub raises it itself to twice max_connections",
                "# plus 128 (1152 for the default 512), as far as the hard limit allows.",
                "LimitNOFILE=1024:8192"),
        # No ProcSubset=pid: the hub reads /proc/sys/kernel/random/boot_id.
        isolation=NO_DEVICES_NOR_USERS),
    "sensor": Daemon(
        "RPyMostat sensor node", "rpymostat-sensor",
        notes=("# Settings: section [sensor] of the --config file (enrollment_key, driver, ...).",
               "# 1-Wire sensors are read through sysfs: no device node is needed."),
        tuning=("RestartSec=5", "TimeoutStopSec=20",
                "# No API to serve: its on-disk queue, the hub link and mDNS need a few descriptors.",
                "LimitNOFILE=1024"),
        isolation=NO_DEVICES_NOR_USERS),
    "relay": Daemon(
        "RPyMostat relay node", "rpymostat-relay",
        notes=("# Settings: section [relay] of the --config file (enrollment_key, driver, ...).",
               "# Outputs are off at start and on stop; every \"on\" is a lease."),
        tuning=("RestartSec=2", "TimeoutStopSec=20",
                "# The node raises its soft limit itself when twice max_connections plus 128 (256 for the",
                "# default 64) needs more, as far as the hard limit allows.",
                "LimitNOFILE=1024:4096")),
}


def unit_text(daemon: str, options: UnitOptions) -> str:
    spec = DAEMON[daemon]
    lines = [
        "# Written by `rpymostat install-units`; run it again after an upgrade. Local changes",
        f"# belong in a drop-in: systemctl edit {unit_name(daemon)}",
        *spec.notes,
        "[Unit]",
        f"Description={spec.description}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=notify",
        "NotifyAccess=main",
        f"WatchdogSec={options.watchdog_s}",
        f"ExecStart={exec_start(daemon, options)}",
        "Restart=on-failure",
        *spec.tuning,
        f"User={options.user}",
        f"Group={options.user}",
        f"StateDirectory=rpymostat/{daemon}",
        "StateDirectoryMode=0700",
        "# A writable working directory: lgpio (rpi-lgpio, on a Pi 5) makes its notification pipe there.",
        f"WorkingDirectory={STATE_DIR}/{daemon}",
        "UMask=0077",
        *(relay_access(options) if daemon == "relay" else spec.isolation),
        *SANDBOX,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def exec_start(daemon: str, options: UnitOptions) -> str:
    config = f"{options.config_dir}/{CONFIG_FILES[daemon]}"
    program = f"{options.venv}/bin/{DAEMON[daemon].script}"
    if daemon == "hub":
        return f"{program} --home {STATE_DIR}/hub --config {config} hub"
    return f"{program} --config {config} --data-dir {STATE_DIR}/{daemon}"


def relay_access(options: UnitOptions) -> list[str]:
    """The relay hardware's device nodes and groups, and no others."""
    lines = [f"SupplementaryGroups={' '.join(options.groups)}"] if options.groups else []
    return lines + [
        "# Its own user and groups must be visible for the devices: no PrivateUsers=.",
        "DevicePolicy=closed",
        *(f"DeviceAllow={device} rw" for device in (*RELAY_DEVICE_MAJORS, *options.devices)),
    ]


# Common to the three. No MemoryDenyWriteExecute=: pyOpenSSL's certificate check is a
# cffi callback, which needs writable executable memory where libffi has no static
# trampolines. No IPAddressDeny=: the LAN's addresses are not known here.
SANDBOX = (
    "CapabilityBoundingSet=",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "PrivateMounts=yes",
    "ProtectHostname=yes",
    "ProtectClock=yes",
    "ProtectKernelTunables=yes",
    "ProtectKernelModules=yes",
    "ProtectKernelLogs=yes",
    "ProtectControlGroups=yes",
    "ProtectProc=invisible",
    "# HTTP and mDNS, sd_notify, the interface list (netlink).",
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
    "RestrictNamespaces=yes",
    "RestrictRealtime=yes",
    "RestrictSUIDSGID=yes",
    "LockPersonality=yes",
    "RemoveIPC=yes",
    "SystemCallArchitectures=native",
    "# @resources stays: the daemons raise their own file descriptor limit.",
    "SystemCallFilter=@system-service",
    "SystemCallFilter=~@privileged",
    "SystemCallErrorNumber=EPERM",
)
