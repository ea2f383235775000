"""Each package says what lives in it, and the one picture of the packages covers them all."""

import ast
from pathlib import Path

import pytest

from tests.test_layout import ALLOWED

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = sorted(path.parent for top in ("rpymostat", "rpymostat_sensor", "rpymostat_relay", "rpymostat_webui")
                  for path in (ROOT / top).rglob("__init__.py"))


@pytest.mark.parametrize("package", PACKAGES, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_package_says_in_a_line_or_two_what_lives_there(package):
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
    assert docstring, "no docstring"
    assert len(docstring.split("\n\n")[0].splitlines()) <= 3


def packages_picture() -> str:
    text = (ROOT / "Architecture.md").read_text()
    section = text[text.index("## Packages"):]
    return section[section.index("```\n"):section.index("\n```", section.index("```\n") + 4)]


@pytest.mark.parametrize("package", sorted(ALLOWED) + ["rpymostat.sim"])
def test_the_packages_picture_shows_every_package(package):
    name = package.removeprefix("rpymostat.")
    assert f" {name}/ " in packages_picture() or f" {name}/\n" in packages_picture()


def test_the_docs_show_the_same_picture():
    """docs/architecture.md is Architecture.md itself, included whole."""
    assert "```{include} ../Architecture.md" in (ROOT / "docs" / "architecture.md").read_text()
