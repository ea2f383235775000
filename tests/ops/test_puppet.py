"""The Puppet module in puppet/: it parses, each class compiles and plans its resources
(``puppet apply --noop``), and the TOML it writes from parameters is what the daemons
read."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from rpymostat.hub.config import load_hub_config
from rpymostat_relay.config import load_relay_config
from rpymostat_sensor.config import load_sensor_config

MODULES = Path(__file__).resolve().parents[2] / "puppet"
MODULE = MODULES / "rpymostat"
PUPPET = shutil.which("puppet")
pytestmark = pytest.mark.skipif(PUPPET is None, reason="puppet is not installed (tools/test-deps installs it)")
# This sandbox denies Facter a look at /proc/1/environ; it says so on every run, harmlessly.
NOISE = re.compile(r"^(\x1b\[[0-9;]*m)?Error: Facter: Permission denied.*$\n?", re.M)


def puppet(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """``puppet ARGS`` with its state and configuration in ``tmp_path``, not the machine's."""
    dirs = {name: tmp_path / name for name in ("confdir", "vardir", "codedir", "logdir", "rundir")}
    for path in dirs.values():
        path.mkdir(exist_ok=True)
    options = [f"--{name}={path}" for name, path in dirs.items()]
    result = subprocess.run([PUPPET, *args, *options, "--color=false"], capture_output=True, text=True,
                            timeout=300, cwd=tmp_path)
    result.stderr = NOISE.sub("", result.stderr)
    return result


def test_every_manifest_and_template_validates(tmp_path):
    manifests = sorted(str(path) for path in MODULE.rglob("*.pp"))
    assert len(manifests) == 6
    parsed = puppet("parser", "validate", *manifests, tmp_path=tmp_path)
    assert parsed.returncode == 0, parsed.stdout + parsed.stderr
    templates = puppet("epp", "validate", *map(str, MODULE.glob("templates/*.epp")), tmp_path=tmp_path)
    assert templates.returncode == 0, templates.stdout + templates.stderr


def test_validation_can_fail(tmp_path):
    broken = tmp_path / "broken.pp"
    broken.write_text((MODULE / "manifests" / "hub.pp").read_text().replace("rpymostat::daemon {", "rpymostat::daemon"))
    assert puppet("parser", "validate", str(broken), tmp_path=tmp_path).returncode != 0


def test_metadata_has_what_puppet_needs_to_load_the_module():
    """Without one of these keys Puppet ignores the module ("No source module metadata")."""
    metadata = json.loads((MODULE / "metadata.json").read_text())
    assert metadata["name"] == "rpymostat-rpymostat"
    assert all(metadata.get(key) for key in ("version", "author", "license", "summary", "source"))
    assert metadata["dependencies"] == []


CLASSES = {
    "hub": "class { 'rpymostat::hub': settings => { 'port' => 8573, 'system' => 'home' }, extras => ['postgres'] }",
    "sensor": "class { 'rpymostat::sensor': settings => { 'driver' => 'w1', "
              "'driver_settings' => { 'names' => { '28-0316a2795aff' => 'living room' } } } }",
    "relay": "class { 'rpymostat::relay': settings => { 'driver' => 'gpio', "
             "'driver_settings' => { 'outputs' => [{ 'id' => 'gpio17', 'name' => 'boiler' }] } } }",
}


def noop(manifest: str, tmp_path: Path) -> str:
    """What ``puppet apply --noop`` plans for ``manifest``; fails on any error."""
    result = puppet("apply", "--noop", "--detailed-exitcodes", f"--modulepath={MODULES}", "-e", manifest,
                    tmp_path=tmp_path)
    output = result.stdout + result.stderr
    # --detailed-exitcodes: 0 nothing to do, 2 changes; 4 and 6 mean failures.
    assert result.returncode in (0, 2), output
    assert "Error:" not in output, output
    return output


@pytest.mark.parametrize("daemon", CLASSES)
def test_each_class_plans_the_venv_the_install_the_config_the_unit_and_the_service(daemon, tmp_path):
    output = noop(CLASSES[daemon], tmp_path)
    config = {"hub": "rpymostat.toml", "sensor": "sensor.toml", "relay": "relay.toml"}[daemon]
    for resource in ("User[rpymostat]", "Exec[rpymostat venv]", f"Exec[rpymostat-{daemon} pip install]",
                     f"File[/etc/rpymostat/{config}]", f"Exec[rpymostat-{daemon} unit]",
                     f"Service[rpymostat-{daemon}]"):
        assert resource in output, f"{resource} planned:\n{output}"


def test_one_machine_can_run_all_three(tmp_path):
    output = noop("\n".join(CLASSES.values()), tmp_path)
    assert all(f"Service[rpymostat-{daemon}]" in output for daemon in CLASSES)


def render(section: str, settings: str, tmp_path: Path) -> Path:
    result = puppet("epp", "render", f"--modulepath={MODULES}", str(MODULE / "templates" / "config.toml.epp"),
                    "--values", f"{{ section => '{section}', settings => {settings} }}", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    path = tmp_path / f"{section}.toml"
    path.write_text(result.stdout)
    return path


def test_the_config_file_puppet_writes_is_the_one_the_daemons_read(tmp_path):
    key = "0123456789abcdef" * 4
    sensor = load_sensor_config(str(render("sensor", f"""{{
        'enrollment_key' => '{key}', 'driver' => 'w1', 'report_interval_s' => 30,
        'zeroconf_interfaces' => ['192.168.1.20'],
        'driver_settings' => {{ 'names' => {{ '28-0316a2795aff' => 'Kid\\'s "den" \\\\ 2' }} }} }}""",
                                            tmp_path)), environ={})
    assert sensor.enrollment_key == key
    assert sensor.report_interval_s == 30
    assert sensor.zeroconf_interfaces == ("192.168.1.20",)
    assert sensor.driver_settings == {"names": {"28-0316a2795aff": 'Kid\'s "den" \\ 2'}}

    relay = load_relay_config(str(render("relay", """{
        'driver' => 'gpio', 'port' => 8574, 'tls' => false,
        'driver_settings' => { 'outputs' => [{ 'id' => 'gpio17', 'name' => 'boiler', 'active_low' => true }] } }""",
                                         tmp_path)), environ={})
    assert (relay.port, relay.tls) == (8574, False)
    assert relay.driver_settings == {"outputs": [{"id": "gpio17", "name": "boiler", "active_low": True}]}

    hub = load_hub_config(tmp_path, str(render("hub", "{ 'port' => 8600, 'idle_timeout_s' => 12.5 }", tmp_path)),
                          environ={})
    assert (hub.port, hub.idle_timeout_s) == (8600, 12.5)


def test_the_puppet_examples_in_the_docs_parse(tmp_path):
    docs = Path(__file__).resolve().parents[2] / "docs"
    examples = [block for page in sorted(docs.glob("*.md"))
                for block in re.findall(r"^```puppet\n(.*?)^```", page.read_text(), re.S | re.M)]
    assert examples
    for number, example in enumerate(examples):
        path = tmp_path / f"example{number}.pp"
        path.write_text(example)
        result = puppet("parser", "validate", str(path), tmp_path=tmp_path)
        assert result.returncode == 0, example + result.stdout + result.stderr
