"""Driver settings checked against their JSON Schema (``rpymostat.node.configcheck``)."""

import subprocess
import sys

import pytest

from rpymostat.node import configcheck
from rpymostat.node.configcheck import validated
from rpymostat.runtime.config import ConfigError

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "outputs": {"type": "array", "items": {"type": "object", "required": ["id"],
                                               "properties": {"id": {"type": "string"}}}},
        "active_low": {"type": "boolean", "default": False},
        "pulse_s": {"type": "number", "minimum": 0, "default": 0.5},
    },
    "required": ["outputs"],
    "additionalProperties": False,
}


def test_good_settings_get_the_schemas_top_level_defaults_and_are_not_changed():
    given = {"outputs": [{"id": "gpio17"}], "pulse_s": 2}
    assert validated(SCHEMA, given) == {"outputs": [{"id": "gpio17"}], "pulse_s": 2, "active_low": False}
    assert given == {"outputs": [{"id": "gpio17"}], "pulse_s": 2}


@pytest.mark.parametrize("settings, message", [
    ({"outputs": [{"name": "boiler"}]}, "outputs/0: 'id' is a required property"),
    ({"outputs": [], "pulse_s": -1}, "pulse_s: -1 is less than the minimum of 0"),
    ({"outputs": [], "colour": "red"}, "(top): Additional properties are not allowed ('colour' was unexpected)"),
    (None, "(top): 'outputs' is a required property"),
])
def test_bad_settings_are_one_config_error_naming_where_in_them(settings, message):
    with pytest.raises(ConfigError) as refused:
        validated(SCHEMA, settings)
    assert str(refused.value) == message
    assert isinstance(refused.value, configcheck.ConfigError) and configcheck.ConfigError is ConfigError


def test_each_schema_is_checked_by_its_own_compiled_validator():
    loose = {"type": "object"}
    strict = {"type": "object", "properties": {"n": {"type": "integer"}}}
    assert validated(loose, {"n": "x"}) == {"n": "x"}
    with pytest.raises(ConfigError, match="n: 'x' is not of type 'integer'"):
        validated(strict, {"n": "x"})
    assert validated(loose, {"n": "x"}) == {"n": "x"}


def test_a_node_that_starts_well_does_not_load_jsonschema():
    code = ("import sys\n"
            "from rpymostat.node.configcheck import validated\n"
            f"validated({SCHEMA!r}, {{'outputs': []}})\n"
            "assert 'jsonschema' not in sys.modules, 'loaded for good settings'\n"
            "try:\n"
            f"    validated({SCHEMA!r}, {{}})\n"
            "except ValueError:\n"
            "    pass\n"
            "assert 'jsonschema' in sys.modules\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
