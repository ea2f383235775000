"""ruff over the repository and mypy (strict) over the core run with the tests, so that CI's
pytest summary names a lint or type error like any failing test. Their settings live in
pyproject.toml; the tests that feed them a bad file show the settings are in force."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)


def test_ruff_finds_nothing_in_the_repository():
    result = run("ruff", "check", "--output-format", "concise", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_finds_nothing_in_the_core():
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
    core = list((ROOT / "rpymostat" / "core").rglob("*.py"))
    assert f"no issues found in {len(core)} source files" in result.stdout


def test_ruff_refuses_a_function_over_complexity_12(tmp_path):
    branches = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12))
    source = tmp_path / "branchy.py"
    source.write_text(f"def branchy(x):\n{branches}    return -1\n")
    result = run("ruff", "check", "--config", str(PYPROJECT), "--output-format", "concise", str(source))
    assert result.returncode == 1
    assert "C901 `branchy` is too complex (13 > 12)" in result.stdout


def test_ruff_sorts_first_party_imports_apart(tmp_path):
    source = tmp_path / "imports.py"
    source.write_text("import attrs\nimport rpymostat\nimport tests\n\nprint(attrs, rpymostat, tests)\n")
    result = run("ruff", "check", "--config", str(PYPROJECT), "--output-format", "concise", str(source))
    assert result.returncode == 1
    assert "I001" in result.stdout


def test_mypy_refuses_an_untyped_function(tmp_path):
    source = tmp_path / "untyped.py"
    source.write_text("def double(x):\n    return x * 2\n")
    result = run("mypy", "--config-file", str(PYPROJECT), "--cache-dir", str(tmp_path / "cache"), str(source))
    assert result.returncode == 1
    assert "[no-untyped-def]" in result.stdout
