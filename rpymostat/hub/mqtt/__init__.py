"""The hub's MQTT bridge: Home Assistant discovery and commands, MQTT sensors."""
