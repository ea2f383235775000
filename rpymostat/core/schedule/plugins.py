"""Schedule-algorithm plugins: entry-point group ``rpymostat.schedule``.

A plugin is any object with:

- ``name`` (str) and ``settings_schema`` (a JSON Schema dict for its settings), like
  every RPyMostat plugin;
- optionally ``rules(zone, settings, start, end)``: extra rules for the zone over the
  window [start, end), e.g. from a calendar or an occupancy guess. They join the zone's
  own rules and obey the same precedence. Their ids are namespaced by the resolver as
  ``"<plugin name>:<id>"`` so they cannot clash with stored rules;
- optionally ``transform(timeline, settings, zone)``: a new
  :class:`rpymostat.core.schedule.timeline.Timeline` for the same window, e.g. an eco offset on every
  setpoint. It must stay contiguous over the same window.

``zone`` is the :class:`rpymostat.core.schedule.timeline.ZoneSchedule` being resolved. A plugin that
raises, or returns a broken timeline, is skipped and named in the timeline's
``warnings``: a third-party bug must not leave a house without a schedule.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

import attrs


@runtime_checkable
class SchedulePlugin(Protocol):
    name: str
    settings_schema: dict[str, Any]


@attrs.frozen
class PluginUse:
    """A plugin with the settings one zone uses it with."""

    plugin: Any
    settings: Mapping[str, Any] = attrs.field(factory=dict)


def settings_problems(plugin: SchedulePlugin, settings: Mapping[str, Any]) -> list[str]:
    """Why ``settings`` do not fit the plugin's schema; empty when they do. (jsonschema
    is imported here, when a zone's plugins are set or used, not with the hub.)"""
    import jsonschema

    validator = jsonschema.Draft202012Validator(plugin.settings_schema)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or 'settings'}: {error.message}"
        for error in sorted(validator.iter_errors(dict(settings)), key=str)
    ]


def is_schedule_plugin(obj: object) -> bool:
    """A usable plugin: named, with a settings schema and at least one hook."""
    return (
        isinstance(obj, SchedulePlugin)
        and isinstance(obj.name, str)
        and isinstance(obj.settings_schema, dict)
        and (callable(getattr(obj, "rules", None)) or callable(getattr(obj, "transform", None)))
    )
