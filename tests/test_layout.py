"""The package layout's rules (Architecture.md): imports run one way, and the core is pure.

    core  <-  runtime  <-  web  <-  hub
                  ^
                  node  <-  rpymostat_sensor, rpymostat_relay (which also use web)
                  web, node  <-  rpymostat_webui (the UI's server; the hub mounts it when installed)

``sim`` is for the demo and the benchmarks: nothing that runs in production imports it
but the simulated drivers and the demo command.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package -> the packages its modules may import from (its own always allowed)
ALLOWED = {
    "rpymostat.core": set(),
    "rpymostat.runtime": {"rpymostat.core"},
    "rpymostat.web": {"rpymostat.core", "rpymostat.runtime"},
    "rpymostat.hub": {"rpymostat.core", "rpymostat.runtime", "rpymostat.web"},
    "rpymostat.node": {"rpymostat.core", "rpymostat.runtime"},
    "rpymostat_sensor": {"rpymostat.core", "rpymostat.runtime", "rpymostat.node"},
    "rpymostat_relay": {"rpymostat.core", "rpymostat.runtime", "rpymostat.node", "rpymostat.web"},
    "rpymostat_webui": {"rpymostat.core", "rpymostat.runtime", "rpymostat.node", "rpymostat.web"},
}
# modules allowed one import across the rules, and why
EXCEPTIONS = {
    ("rpymostat_sensor.drivers.sim", "rpymostat.sim"): "the simulated sensor reads the demo's house",
    ("rpymostat_relay.drivers.sim", "rpymostat.sim"): "the simulated relay drives the demo's house",
    ("rpymostat.hub.service", "rpymostat_webui"): "the hub serves the web UI at / when the extra is installed",
}
TOP_LEVEL = {"rpymostat": {"__version__"}}  # what any module may take from the package itself


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """Every rpymostat module a file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "rpymostat":
                for alias in node.names:
                    if alias.name not in TOP_LEVEL["rpymostat"]:
                        yield node.lineno, f"rpymostat.{alias.name}"
            else:
                yield node.lineno, node.module


def package_of(module: str) -> str | None:
    for package in sorted(ALLOWED, key=len, reverse=True):
        if module == package or module.startswith(package + "."):
            return package
    for other in ("rpymostat.sim",):
        if module == other or module.startswith(other + "."):
            return other
    return None


def violations(root: Path = ROOT) -> list[str]:
    found = []
    for package in ALLOWED:
        folder = root.joinpath(*package.split("."))
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = module_name(path, root)
            for line, target in imports(path):
                if not target.startswith(("rpymostat.", "rpymostat_")):
                    continue
                target_package = package_of(target) or target
                if target_package == package or target_package in ALLOWED[package]:
                    continue
                if (source, target_package) in EXCEPTIONS:
                    continue
                found.append(f"{path.relative_to(root)}:{line}: {source} imports {target}")
    return found


def test_imports_run_one_way():
    assert violations() == []


def test_a_forbidden_import_is_caught(tmp_path):
    """The check itself: a node module that imports the hub is reported."""
    (tmp_path / "rpymostat" / "node").mkdir(parents=True)
    (tmp_path / "rpymostat" / "node" / "bad.py").write_text("from rpymostat.hub.store import store\n")
    (tmp_path / "rpymostat" / "core").mkdir()
    (tmp_path / "rpymostat" / "core" / "bad.py").write_text("def f():\n    import rpymostat.runtime.clock\n")
    assert violations(tmp_path) == [
        "rpymostat/core/bad.py:2: rpymostat.core.bad imports rpymostat.runtime.clock",
        "rpymostat/node/bad.py:1: rpymostat.node.bad imports rpymostat.hub.store",
    ]


CORE_MODULES = sorted(module_name(p) for p in (ROOT / "rpymostat" / "core").rglob("*.py"))
PROBE = """
import importlib, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
heavy = sorted(m for m in ("twisted", "sqlalchemy", "klein", "treq", "zeroconf") if m in sys.modules)
print(",".join(heavy))
"""


def test_the_core_imports_no_framework():
    run = subprocess.run([sys.executable, "-c", PROBE, *CORE_MODULES], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "", f"the core pulled in {run.stdout.strip()}"


@pytest.mark.parametrize("module", ["rpymostat.plugin", "rpymostat.decide", "rpymostat.hysteresis",
                                    "rpymostat.aggregation"])
def test_the_plugin_modules_are_pure_too(module):
    run = subprocess.run([sys.executable, "-c", PROBE, module], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == ""
