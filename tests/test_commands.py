"""The console scripts as a person runs them: every command's ``--help``, and the one line a
command ends with when the extra it needs is not installed (the library kept from loading
in a fresh interpreter, as if it were absent)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from rpymostat.cli import build_parser
from rpymostat.runtime.commands import EXTRAS_OF_MODULE, MISSING_EXTRA

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def commands_of(parser: argparse.ArgumentParser, path: tuple[str, ...]):
    """``path`` and every sub-command below it, as the parser declares them."""
    yield path
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands_of(sub, (*path, name))


COMMANDS = [*commands_of(build_parser(), ("rpymostat",)), ("rpymostat-sensor",), ("rpymostat-relay",),
            ("rpymostat-webui",)]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_explains_itself(command):
    """Every command and sub-command of the parser, run by its console script."""
    run = subprocess.run([str(BIN / command[0]), *command[1:], "--help"], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"usage: {' '.join(command)}") and run.stderr == ""


def without(module: str, script: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``script`` run with ``module`` unimportable: ``None`` in ``sys.modules`` makes every
    import of it raise ModuleNotFoundError, as when it is not installed."""
    code = (f"import sys; sys.modules[{module!r}] = None; sys.argv = [{script!r}, *sys.argv[1:]]; "
            f"from rpymostat.runtime.commands import {script.replace('-', '_')} as main; sys.exit(main())")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})


@pytest.mark.parametrize("module, command, extra", [
    ("croniter", "rpymostat --home {tmp}/home hub", "hub"),
    ("sqlalchemy", "rpymostat --home {tmp}/home token list", "hub"),
    ("twisted", "rpymostat-sensor --data-dir {tmp}/data --hub http://127.0.0.1:9", "sensor"),
    ("klein", "rpymostat-relay --data-dir {tmp}/data --hub http://127.0.0.1:9", "relay"),
])
def test_a_missing_extra_is_named_in_one_line(tmp_path, module, command, extra):
    script, *args = command.format(tmp=tmp_path).split()
    run = without(module, script, *args, tmp_path=tmp_path)
    assert run.returncode == MISSING_EXTRA, run.stderr
    assert run.stderr == f"{script}: {module} is not installed: pip install 'rpymostat[{extra}]'\n"


def test_a_missing_module_that_is_no_dependency_surfaces(tmp_path):
    run = without("rpymostat.hub.cli", "rpymostat", "--home", str(tmp_path / "home"), "hub", tmp_path=tmp_path)
    assert run.returncode == 1 and "Traceback" in run.stderr and "rpymostat.hub.cli" in run.stderr


def test_the_table_agrees_with_the_extras_of_pyproject():
    """Each module's extras are the ones whose requirements bring its distribution."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    distribution = {"twisted": "twisted", "OpenSSL": "twisted", "cryptography": "cryptography",
                    "RPi": "RPi.GPIO", "sqlalchemy": "SQLAlchemy", "pyenergyplus": "pyenergyplus-lbnl",
                    "prometheus_client": "prometheus-client", "paho": "paho-mqtt",
                    "influxdb_client": "influxdb-client"}

    def names(requirements):
        """The distributions ``requirements`` bring, through the extras they name of rpymostat itself."""
        found = set()
        for requirement in requirements:
            name = requirement.split("[")[0].split(">")[0].split("=")[0].lower()
            if name == "rpymostat":
                for extra in requirement.split("[")[1].rstrip("]").split(","):
                    found |= names(extras[extra])
            else:
                found.add(name)
        return found

    direct = ("hub", "sensor", "relay", "gpio", "phidget", "piface", "webui", "postgres", "mqtt", "influxdb",
              "energyplus")
    for module, listed in EXTRAS_OF_MODULE.items():
        wanted = distribution.get(module, module).lower()
        assert set(listed) == {extra for extra in direct if wanted in names(extras[extra])}, module


def test_a_driver_whose_extra_is_missing_stops_the_node_with_one_line(tmp_path):
    settings = '{"outputs": [{"id": "phidget-523456/0"}]}'
    run = without("Phidget22", "rpymostat-relay", "--data-dir", str(tmp_path / "data"), "--driver", "phidget",
                  "--driver-settings", settings, "--hub", "http://127.0.0.1:9", "--listen", "127.0.0.1",
                  "--port", "0", "--no-tls", tmp_path=tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    said = [line for line in run.stdout.splitlines() if "cannot start" in line]
    assert len(said) == 1 and "Traceback" not in run.stdout, run.stdout
    assert said[0].endswith("rpymostat-relay cannot start: Phidget22 is not installed: "
                            "pip install 'rpymostat[phidget]'")
