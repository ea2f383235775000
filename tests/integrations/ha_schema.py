"""What Home Assistant's MQTT integration accepts in a discovery config, field by field,
as its documentation for the ``climate`` and ``sensor`` platforms describes them (only the
keys the hub may send; any other key is refused here, so a typo cannot pass)."""

TOPIC = {"type": "string", "minLength": 1, "pattern": r"^[^#+\u0000]+$"}  # one topic, no wildcards
TEMPLATE = {"type": "string", "pattern": r"^\{\{ value_json\.[a-z_]+ \}\}$"}
HVAC_MODES = ["auto", "off", "cool", "heat", "dry", "fan_only", "heat_cool"]
ACTIONS = ["off", "heating", "cooling", "drying", "idle", "fan", "preheating", "defrosting"]

DEVICE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["identifiers"],
    "properties": {
        "identifiers": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "name": {"type": "string"},
        "manufacturer": {"type": "string"},
        "model": {"type": "string"},
        "sw_version": {"type": "string"},
        "via_device": {"type": "string"},
    },
}

COMMON = {
    "name": {"type": ["string", "null"]},
    "unique_id": {"type": "string", "minLength": 1},
    "device": DEVICE,
    "availability_topic": TOPIC,
    "payload_available": {"type": "string"},
    "payload_not_available": {"type": "string"},
    "qos": {"enum": [0, 1, 2]},
}

CLIMATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["unique_id", "device", "availability_topic", "modes", "mode_command_topic",
                 "mode_state_topic", "temperature_command_topic", "current_temperature_topic"],
    "properties": {
        **COMMON,
        "modes": {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": HVAC_MODES}},
        "mode_command_topic": TOPIC, "mode_state_topic": TOPIC, "mode_state_template": TEMPLATE,
        "temperature_command_topic": TOPIC, "temperature_state_topic": TOPIC,
        "temperature_state_template": TEMPLATE,
        "temperature_low_command_topic": TOPIC, "temperature_low_state_topic": TOPIC,
        "temperature_low_state_template": TEMPLATE,
        "temperature_high_command_topic": TOPIC, "temperature_high_state_topic": TOPIC,
        "temperature_high_state_template": TEMPLATE,
        "current_temperature_topic": TOPIC, "current_temperature_template": TEMPLATE,
        "action_topic": TOPIC, "action_template": TEMPLATE,
        # preset_mode_command_topic and preset_modes go together; "none" is the reset, not a preset
        "preset_modes": {"type": "array", "items": {"type": "string", "not": {"const": "none"}}},
        "preset_mode_command_topic": TOPIC, "preset_mode_state_topic": TOPIC,
        "preset_mode_value_template": TEMPLATE,
        "min_temp": {"type": "number"}, "max_temp": {"type": "number"},
        "temp_step": {"type": "number", "exclusiveMinimum": 0},
        "precision": {"enum": [0.1, 0.5, 1.0]},
        "temperature_unit": {"enum": ["C", "F"]},
        "optimistic": {"type": "boolean"},
        "retain": {"type": "boolean"},
    },
    "dependentRequired": {"preset_mode_command_topic": ["preset_modes"],
                          "preset_modes": ["preset_mode_command_topic"]},
}

SENSOR = {
    "type": "object",
    "additionalProperties": False,
    "required": ["unique_id", "state_topic", "device_class", "unit_of_measurement"],
    "properties": {
        **COMMON,
        "state_topic": TOPIC,
        "device_class": {"const": "temperature"},
        "state_class": {"enum": ["measurement", "total", "total_increasing"]},
        "unit_of_measurement": {"enum": ["°C", "°F", "K"]},
        "suggested_display_precision": {"type": "integer", "minimum": 0},
        "expire_after": {"type": "integer", "minimum": 1},
    },
}

STATE = {  # the zone state message the climate config's templates read
    "type": "object",
    "additionalProperties": False,
    "required": ["mode", "temperature", "target", "target_low", "target_high", "action", "preset"],
    "properties": {
        "mode": {"enum": HVAC_MODES},
        "temperature": {"type": ["number", "null"]},
        "target": {"type": ["number", "null"]},
        "target_low": {"type": ["number", "null"]},
        "target_high": {"type": ["number", "null"]},
        "action": {"enum": ACTIONS},
        "preset": {"type": "string"},
    },
}


def check_climate(config: dict, state: dict) -> None:
    """Also that every template reads a field the state message has."""
    from jsonschema import Draft202012Validator

    Draft202012Validator(CLIMATE).validate(config)
    Draft202012Validator(STATE).validate(state)
    assert set(config["modes"]) >= {state["mode"]}
    assert state["preset"] in config["preset_modes"] + ["none"]
    for key, template in config.items():
        if key.endswith("_template"):
            field = template.removeprefix("{{ value_json.").removesuffix(" }}")
            assert field in state, (key, field)


def check_sensor(config: dict) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator(SENSOR).validate(config)
