"""Sphinx configuration. The HTTP API page is generated from the hub's OpenAPI document,
so it cannot drift from what the hub serves."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

project = "RPyMostat"
author = "The RPyMostat developers"
copyright = "the RPyMostat developers; AGPL-3.0-or-later"
extensions = ["myst_parser"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"


def _write_api_reference(app):
    from docs.openapi_page import render

    (Path(app.srcdir) / "api-reference.md").write_text(render())


def setup(app):
    app.connect("builder-inited", _write_api_reference)
