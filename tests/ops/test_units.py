"""The generated systemd units: what each says, that the daemons accept its command line,
and what systemd itself makes of them (``systemd-analyze verify`` and ``security``)."""

import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rpymostat.cli import build_parser
from rpymostat.runtime.install_units import existing_groups, gpiomem_nodes, install_units_command, next_steps
from rpymostat.runtime.units import DAEMONS, UnitOptions, unit_text, units
from rpymostat_relay.cli import build_parser as relay_parser
from rpymostat_sensor.cli import build_parser as sensor_parser

VENV = sys.prefix
PI = UnitOptions(venv=VENV, groups=("gpio", "spi"), devices=("/dev/gpiomem0", "/dev/gpiomem4"))
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")


def keys(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


@pytest.mark.parametrize("daemon", DAEMONS)
def test_each_unit_is_a_notify_service_with_a_watchdog_and_its_own_state(daemon):
    unit = keys(unit_text(daemon, PI))
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    assert unit["WatchdogSec"] == ["30"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] == unit["Group"] == ["rpymostat"]
    assert unit["StateDirectory"] == [f"rpymostat/{daemon}"]
    assert unit["StateDirectoryMode"] == ["0700"]
    assert unit["WorkingDirectory"] == [f"/var/lib/rpymostat/{daemon}"]
    assert unit["CapabilityBoundingSet"] == [""]
    assert unit["ProtectSystem"] == ["strict"]


@pytest.mark.parametrize("daemon, parser", [
    ("hub", build_parser), ("sensor", sensor_parser), ("relay", relay_parser)])
def test_the_daemons_take_the_command_line_the_unit_gives_them(daemon, parser):
    command = shlex.split(keys(unit_text(daemon, PI))["ExecStart"][0])
    assert Path(command[0]).parent == Path(VENV) / "bin"
    assert Path(command[0]).exists()
    args = parser().parse_args(command[1:])
    assert args.config == f"/etc/rpymostat/{ {'hub': 'rpymostat', 'sensor': 'sensor', 'relay': 'relay'}[daemon]}.toml"
    if daemon == "hub":
        assert (args.command, args.home) == ("hub", "/var/lib/rpymostat/hub")
    else:
        assert args.data_dir == f"/var/lib/rpymostat/{daemon}"


def test_the_relay_joins_only_the_groups_it_is_given_and_reaches_its_devices():
    relay = keys(unit_text("relay", PI))
    assert relay["SupplementaryGroups"] == ["gpio spi"]
    assert relay["DevicePolicy"] == ["closed"]
    assert relay["DeviceAllow"] == ["char-gpiochip rw", "char-bcm2835-gpiomem rw", "char-spi rw",
                                    "char-usb_device rw", "/dev/gpiomem0 rw", "/dev/gpiomem4 rw"]
    assert "PrivateDevices" not in relay and "PrivateUsers" not in relay
    elsewhere = keys(unit_text("relay", UnitOptions(venv=VENV)))
    assert "SupplementaryGroups" not in elsewhere
    assert len(elsewhere["DeviceAllow"]) == 4


@pytest.mark.parametrize("daemon", ["hub", "sensor"])
def test_hub_and_sensor_see_no_devices(daemon):
    unit = keys(unit_text(daemon, PI))
    assert unit["PrivateDevices"] == unit["PrivateUsers"] == ["yes"]
    assert "DeviceAllow" not in unit and "SupplementaryGroups" not in unit


@pytest.mark.parametrize("options, message", [
    ({"venv": "opt/venv"}, "not an absolute path"),
    ({"venv": "/opt/my venv"}, "use a path of letters"),
    ({"venv": "/opt/100%"}, "use a path of letters"),
    ({"venv": "/opt/$HOME"}, "use a path of letters"),
    ({"venv": VENV, "config_dir": "/etc/rpy\"mostat"}, "use a path of letters"),
    ({"venv": "/home/pi/venv"}, "hide home directories"),
    ({"venv": "/root"}, "hide home directories"),
    ({"venv": VENV, "config_dir": "/run/user/1000/rpymostat"}, "hide home directories"),
    ({"venv": VENV, "user": "root;x"}, "not a system user name"),
    ({"venv": VENV, "user": "Admin"}, "not a system user name"),
])
def test_values_that_would_need_quoting_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        UnitOptions(**options)


# -- systemd's own view --------------------------------------------------------------------


def analyze(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([ANALYZE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@needs_analyze
@pytest.mark.parametrize("options", [PI, UnitOptions(venv=VENV)], ids=["raspberry-pi", "elsewhere"])
def test_systemd_analyze_verifies_each_unit_and_scores_it_2_5_or_better(tmp_path, options):
    scores = {}
    for name, text in units(options).items():
        (tmp_path / name).write_text(text)
        verified = analyze("verify", name, cwd=tmp_path)
        assert verified.returncode == 0, verified.stderr
        assert name not in verified.stderr, verified.stderr
        security = analyze("security", "--offline=yes", name, cwd=tmp_path)
        match = re.search(rf"Overall exposure level for {re.escape(name)}: (\d+\.\d+)", security.stdout)
        assert match, security.stdout + security.stderr
        scores[name] = float(match.group(1))
    print(scores)
    assert all(score <= 2.5 for score in scores.values()), scores


@needs_analyze
def test_systemd_analyze_catches_a_broken_unit(tmp_path):
    """The check above can fail: verify exits 0 on a value it ignores, but names the file."""
    text = unit_text("sensor", PI).replace("ProtectHome=yes", "ProtectHome=maybe")
    (tmp_path / "rpymostat-sensor.service").write_text(text)
    stderr = analyze("verify", "rpymostat-sensor.service", cwd=tmp_path).stderr
    assert "rpymostat-sensor.service:" in stderr and "maybe" in stderr


# -- the command ---------------------------------------------------------------------------


def run(*argv: str, groups=("gpio",), devices=()) -> tuple[int, str]:
    args = build_parser().parse_args(["install-units", *argv])
    out = io.StringIO()
    asked = []

    def found_groups():
        asked.append("groups")
        return groups

    code = install_units_command(args, groups=found_groups, devices=lambda: devices, out=out)
    return code, out.getvalue() + "".join(f"\n(asked {what})" for what in asked)


def test_writes_the_three_units_then_finds_them_current(tmp_path):
    code, out = run("--venv", VENV, "--dir", str(tmp_path))
    assert code == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(units(PI))
    assert (tmp_path / "rpymostat-relay.service").read_text() == unit_text(
        "relay", UnitOptions(venv=VENV, groups=("gpio",)))
    assert "systemctl daemon-reload" in out and "systemctl enable --now rpymostat-relay" in out
    assert run("--venv", VENV, "--dir", str(tmp_path), "--check")[0] == 0
    assert "unchanged" in run("--venv", VENV, "--dir", str(tmp_path))[1]


def test_check_names_a_unit_that_is_missing_or_changed_and_writes_nothing(tmp_path):
    run("--venv", VENV, "--dir", str(tmp_path))
    (tmp_path / "rpymostat-hub.service").write_text("edited\n")
    (tmp_path / "rpymostat-sensor.service").unlink()
    code, out = run("--venv", VENV, "--dir", str(tmp_path), "--check")
    assert code == 1
    assert "rpymostat-hub.service is missing or out of date" in out
    assert "rpymostat-sensor.service is missing or out of date" in out
    assert "rpymostat-relay.service" not in out
    assert (tmp_path / "rpymostat-hub.service").read_text() == "edited\n"
    assert run("--venv", VENV, "--dir", str(tmp_path))[0] == 0
    assert run("--venv", VENV, "--dir", str(tmp_path), "--check")[0] == 0


def test_only_writes_the_daemons_named_and_looks_for_groups_only_for_the_relay(tmp_path):
    code, out = run("--venv", VENV, "--dir", str(tmp_path), "--only", "sensor")
    assert code == 0
    assert [path.name for path in tmp_path.iterdir()] == ["rpymostat-sensor.service"]
    assert "(asked groups)" not in out and "rpymostat-hub" not in out


def test_the_relay_unit_lists_the_gpiomem_nodes_found(tmp_path):
    run("--venv", VENV, "--dir", str(tmp_path), "--only", "relay", groups=(), devices=("/dev/gpiomem",))
    relay = keys((tmp_path / "rpymostat-relay.service").read_text())
    assert "/dev/gpiomem rw" in relay["DeviceAllow"]
    assert "SupplementaryGroups" not in relay


def test_machine_lookups(tmp_path):
    def lookup(name):
        if name != "gpio":
            raise KeyError(name)

    assert existing_groups(["gpio", "spi"], lookup) == ("gpio",)
    for name in ("gpiomem4", "gpiomem0", "gpiochip0", "null"):
        (tmp_path / name).touch()
    assert gpiomem_nodes(tmp_path) == (str(tmp_path / "gpiomem0"), str(tmp_path / "gpiomem4"))


def test_a_venv_without_rpymostat_is_one_line_and_status_2(tmp_path):
    result = subprocess.run([str(Path(VENV) / "bin" / "rpymostat"), "install-units", "--venv", str(tmp_path),
                             "--dir", str(tmp_path / "units")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr == (f"rpymostat: {tmp_path}/bin/rpymostat not found: --venv names the venv "
                             "RPyMostat is installed in\n")
    assert not (tmp_path / "units").exists()


def test_an_unwritable_directory_is_one_line(tmp_path, capsys):
    (tmp_path / "file").touch()
    code, _ = run("--venv", VENV, "--dir", str(tmp_path / "file" / "units"))
    assert code == 1
    assert capsys.readouterr().err.startswith("rpymostat: cannot write ")


def test_next_steps_create_the_user_only_when_it_is_missing():
    options = UnitOptions(venv=VENV, user="thermo")
    missing = next_steps(options, ("sensor",), user_exists=lambda name: False)
    assert "useradd --system --user-group --home-dir /var/lib/rpymostat --shell /usr/sbin/nologin thermo" in missing
    present = next_steps(options, ("sensor",), user_exists=lambda name: name == "thermo")
    assert "useradd" not in present
    assert present.splitlines()[1:] == ["  systemctl daemon-reload", "  systemctl enable --now rpymostat-sensor"]
    assert "/etc/rpymostat/sensor.toml" in present and "relay.toml" not in present
