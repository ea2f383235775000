import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("myst_parser", reason="the docs extra is not installed")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS),
                          str(tmp_path / "html")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    reference = (tmp_path / "html" / "api-reference.html").read_text()
    assert "/v1/readings" in reference and "ReadingBatch" in reference


def test_the_configuration_page_is_the_one_the_config_classes_make():
    from docs.config_page import PAGE, render

    assert PAGE.read_text() == render(), "docs/configuration.md is out of date: run `python -m docs.config_page`"


def test_every_environment_variable_named_is_one_a_process_reads():
    """In the docs, the READMEs, the units and the code: a name that no process reads
    (a stale one, another process's prefix) would send a person the wrong way."""
    import re

    from rpymostat.hub.config import HubConfig
    from rpymostat.runtime.config import settings_of
    from rpymostat_relay.config import RelayConfig
    from rpymostat_sensor.config import SensorConfig

    classes = (HubConfig, SensorConfig, RelayConfig)
    read = {cls.SECTION.env(key) for cls in classes for key in settings_of(cls)}
    read |= {cls.SECTION.env_prefix for cls in classes} | {"RPYMOSTAT_HOME", "RPYMOSTAT_TEST_POSTGRES_URL",
                                                                     "RPYMOSTAT_TEST_MQTT_URL"}
    root = DOCS.parent
    paths = [*DOCS.glob("*.md"), root / "README.md", root / "Architecture.md", *root.glob("systemd/*"),
             *root.glob("rpymostat*/**/*.py")]
    named = {(path.relative_to(root), name) for path in paths
             for name in re.findall(r"RPYMOSTAT_[A-Z0-9_]*", path.read_text())}
    assert len(named) > 30
    assert sorted(f"{path}: {name}" for path, name in named if name not in read) == []
