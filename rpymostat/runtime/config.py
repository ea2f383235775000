"""Configuration, one way for every process.

A process's settings are a frozen attrs class whose fields say their type, default, bounds
and help (:func:`setting`), and whose ``SECTION`` says where they are written
(:class:`Section`). :func:`load_config` fills such a class from, lowest first: defaults,
the process's table in its TOML file, environment variables, command-line flags. A
setting's environment variable is its section's prefix and its key in capitals
(``RPYMOSTAT_PORT`` for the hub, ``RPYMOSTAT_SENSOR_HUB``, ``RPYMOSTAT_RELAY_PORT``): one
rule, so no name has to be remembered, and the names of earlier releases keep working.
Flags (:func:`add_flags`), messages that tell a person what to set (:func:`ways_to_set`)
and ``docs/configuration.md`` are all made from the same classes, so they cannot drift.

A bad value is refused with one line, ``where:key: what is wrong``, where ``where`` is
the file, the environment variable or the flag the value came from.

Also here: where data lives (:func:`home_dir`) and the connection limits an API server
keeps (:class:`ConnectionLimits`).
"""

from __future__ import annotations

import difflib
import json
import math
import os
import tomllib
import typing
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, TypeVar

import attrs

T = TypeVar("T")
_ABOUT = "rpymostat.setting"


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line for the person who set it."""


class SettingError(ValueError):
    """A value that a setting refuses. Validators raise it; :func:`load_config` turns it
    into a :class:`ConfigError` naming where the value came from."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


# -- declaring settings ------------------------------------------------------------


@attrs.frozen
class Section:
    """Where one process's settings are written: its table in the TOML file (a file
    without that table is read as the table itself), the file's name in the data dir,
    and the prefix of its environment variables."""

    name: str
    file: str
    env_prefix: str

    def env(self, key: str) -> str:
        return self.env_prefix + key.upper()


@attrs.frozen
class About:
    """What a person needs to know of a setting: for ``--help`` and the generated docs."""

    help: str
    flag: str | None = None
    flag_help: str | None = None
    metavar: str | None = None
    group: str | None = None
    shown_default: str | None = None


def setting(default: Any = attrs.NOTHING, *, help: str, flag: str | None = None, validator=None,
            converter=None, secret: bool = False, **about: str | None) -> Any:
    """An attrs field that is a setting. ``flag`` is its command-line flag, if it has one;
    a ``--no-...`` flag of a true-by-default boolean turns it off. ``shown_default`` words a
    default that is computed at load time."""
    return attrs.field(default=default, validator=validator, converter=converter, repr=not secret,
                       metadata={_ABOUT: About(help=help, flag=flag, **about)})


def about(field: attrs.Attribute) -> About:
    return field.metadata[_ABOUT]


def settings_of(cls: type) -> dict[str, attrs.Attribute]:
    """The setting fields of a config class, with resolved types, in the order people read
    them: those with a flag, those without, then the groups; else as declared."""
    attrs.resolve_types(cls)
    fields = [field for field in attrs.fields(cls) if _ABOUT in field.metadata]
    fields.sort(key=lambda field: 2 if about(field).group else 0 if about(field).flag else 1)
    return {field.name: field for field in fields}


@attrs.frozen
class Within:
    """Bounds of a number; ``above`` leaves out the lowest value itself. NaN and the
    infinities lie within no bounds."""

    lowest: float | None = None
    highest: float | None = None
    above: bool = False

    def __call__(self, instance, attribute: attrs.Attribute, value) -> None:
        if value is not None and not self.holds(value):
            raise SettingError(attribute.name, f"must be {self}, not {value!r}")

    def holds(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.lowest is not None and (value <= self.lowest if self.above else value < self.lowest):
            return False
        return self.highest is None or value <= self.highest

    def __str__(self) -> str:
        if self.above:
            return f"over {self.lowest:g}" + (f" and at most {self.highest:g}" if self.highest is not None else "")
        if self.highest is None:
            return f"at least {self.lowest:g}"
        return f"within {self.lowest:g}..{self.highest:g}"


@attrs.frozen
class OneOf:
    choices: tuple[str, ...]

    def __call__(self, instance, attribute: attrs.Attribute, value) -> None:
        if value is not None and value not in self.choices:
            raise SettingError(attribute.name, f"must be {self}, not {value!r}")

    def __str__(self) -> str:
        return "one of " + ", ".join(self.choices)


LOG_LEVELS = OneOf(("debug", "info", "warn", "error"))
SIMULATION = "simulation (the demo)"


@attrs.frozen(kw_only=True, slots=False)
class ClockSettings:
    """The demo's faster clock, the same in every process of a demo (see
    :mod:`rpymostat.runtime.clock`). Not slotted, so that a config class may derive from
    it and from other settings at once."""

    speed: float = setting(1.0, flag="--speed", group=SIMULATION, validator=Within(0, 3600, above=True),
                           help="run the process's clock N times faster")
    epoch: float | None = setting(None, flag="--epoch", group=SIMULATION, validator=Within(0),
                                  shown_default="when the process starts",
                                  help="POSIX time the faster clock starts from")
    clock_start: float | None = setting(None, flag="--clock-start", group=SIMULATION, validator=Within(0),
                                        shown_default="the epoch", help="what the clock reads at the epoch")


# -- values from text, TOML or flags ------------------------------------------------


def kind_of(field: attrs.Attribute) -> tuple[type, bool]:
    """The type a setting holds, and whether it may be unset (``X | None``)."""
    kind = field.type
    args = typing.get_args(kind)
    optional = type(None) in args
    if optional:
        kind = next(arg for arg in args if arg is not type(None))
    return typing.get_origin(kind) or kind, optional


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {value!r}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ValueError(f"must be an integer, not {value!r}")


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ValueError(f"must be a number, not {value!r}")


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"must be true or false, not {value!r}")


def _path(value: Any) -> Path:
    return value if isinstance(value, Path) else Path(_text(value)).expanduser()


def _names(value: Any) -> tuple[str, ...]:
    """A TOML array, repeated flags, or comma-separated text."""
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"must be a list of names, not {value!r}")
    return tuple(v.strip() for v in value)


def _table(value: Any) -> dict:
    """A TOML table, or a JSON object as text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ValueError(f"must be a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"must be a table (a JSON object outside the file), not {value!r}")
    return value


_PARSE = {str: _text, int: _integer, float: _number, bool: _boolean, Path: _path, tuple: _names, dict: _table}


def parse(field: attrs.Attribute, value: Any) -> Any:
    """``value`` (text, a TOML value or a flag's) as the setting's type, converted and
    checked by the field's own converter and validator; empty text unsets an optional
    setting."""
    kind, optional = kind_of(field)
    if optional and (value is None or value == ""):
        return None
    value = _PARSE[kind](value)
    if field.converter is not None:
        value = field.converter(value)
    if field.validator is not None:
        field.validator(None, field, value)
    return value


# -- loading ------------------------------------------------------------------------


@attrs.frozen
class Given:
    """A setting's value and where it came from: a file, a variable, a flag, or ``default``."""

    value: Any
    source: str


def load_config(cls: type[T], path: Path, *, required: bool = False, environ: Mapping[str, str] = os.environ,
                flags: Mapping[str, Any] = {}, defaults: Mapping[str, Any] = {},
                checks: Iterable[Callable[[T], None]] = ()) -> T:
    """The ``cls`` (a config class with a ``SECTION``) that the defaults, the file at
    ``path`` (which must exist if ``required``), ``environ`` and ``flags`` (by key; None
    for a flag not given) make, each over the one before. ``defaults`` are computed ones
    and values of fields that are not settings. ``checks`` look at the whole config; they
    and the class's own ``__attrs_post_init__`` raise :class:`SettingError`."""
    section: Section = cls.SECTION  # type: ignore[attr-defined]
    fields = settings_of(cls)
    given = {key: Given(value, "default") for key, value in defaults.items()}
    given.update(_from_file(section, fields, path, required))
    given.update(_from_environment(section, fields, environ))
    given.update(_from_flags(fields, flags))
    try:
        config = cls(**{key: value.value for key, value in given.items()})
        for check in checks:
            check(config)
    except SettingError as exc:
        where = given[exc.key].source if exc.key in given else section.file
        raise ConfigError(f"{where}:{exc.key}: {exc.message}") from None
    return config


def _checked(field: attrs.Attribute, value: Any, source: str) -> Given:
    try:
        return Given(parse(field, value), source)
    except SettingError as exc:
        raise ConfigError(f"{source}:{field.name}: {exc.message}") from None
    except ValueError as exc:
        raise ConfigError(f"{source}:{field.name}: {exc}") from None


def _read_table(section: Section, path: Path, required: bool) -> dict:
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: no such file")
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    table = data.get(section.name, data)
    if not isinstance(table, dict):
        raise ConfigError(f"{path}:{section.name}: must be a table, [{section.name}]")
    return table


def _from_file(section: Section, fields: Mapping[str, attrs.Attribute], path: Path, required: bool) -> dict:
    table = _read_table(section, path, required)
    for key in table:
        if key not in fields:
            raise ConfigError(f"{path}:{key}: unknown setting; {_suggestion(key, fields, section)}")
    return {key: _checked(fields[key], value, str(path)) for key, value in table.items()}


def _suggestion(key: str, fields: Iterable[str], section: Section) -> str:
    close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"the settings of [{section.name}] are {', '.join(fields)}"


def _from_environment(section: Section, fields: Mapping[str, attrs.Attribute], environ: Mapping[str, str]) -> dict:
    """Variables set to empty text count as not set."""
    return {key: _checked(field, environ[section.env(key)], section.env(key))
            for key, field in fields.items() if environ.get(section.env(key))}


def _from_flags(fields: Mapping[str, attrs.Attribute], flags: Mapping[str, Any]) -> dict:
    return {key: _checked(fields[key], value, about(fields[key]).flag or f"--{key}")
            for key, value in flags.items() if value is not None}


# -- telling people -----------------------------------------------------------------


def ways_to_set(cls: type, key: str) -> str:
    """How a person gives setting ``key`` of a process, for messages: its flag (one that
    takes a value), else its place in the file, then the others in parentheses, e.g.
    ``--enrollment-key (or RPYMOSTAT_SENSOR_ENROLLMENT_KEY, or enrollment_key in sensor.toml)``."""
    section: Section = cls.SECTION  # type: ignore[attr-defined]
    flag = about(settings_of(cls)[key]).flag
    in_file = f"{key} in {section.file}"
    if flag and not flag.startswith("--no-"):
        return f"{flag} (or {section.env(key)}, or {in_file})"
    return f"{in_file} (or {section.env(key)})"


def shown_default(field: attrs.Attribute, cls: type) -> str | None:
    """The default as a person would write it, or None when there is none; ``{section}``
    in a worded one is the name of ``cls``'s section."""
    told = about(field).shown_default
    if told is not None:
        return told.format(section=cls.SECTION.name)  # type: ignore[attr-defined]
    default = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()
    if default is attrs.NOTHING or default is None or default in ((), {}):
        return None
    if isinstance(default, bool):
        return "true" if default else "false"
    return f"{default:g}" if isinstance(default, float) else str(default)


# -- command-line flags -------------------------------------------------------------


def add_flags(parser, cls: type, keys: Iterable[str] | None = None) -> None:
    """The flags of ``cls``'s settings (or of ``keys`` only) on an argparse parser; they
    default to None, so that a flag not given overrides nothing."""
    groups: dict[str, Any] = {}
    for field in settings_of(cls).values():
        told = about(field)
        if not told.flag or (keys is not None and field.name not in keys):
            continue
        target = parser if told.group is None else groups.setdefault(
            told.group, parser.add_argument_group(told.group))
        target.add_argument(told.flag, **_flag_options(field, cls))


def _flag_options(field: attrs.Attribute, cls: type) -> dict[str, Any]:
    told = about(field)
    kind, _ = kind_of(field)
    default = shown_default(field, cls)
    options: dict[str, Any] = {"dest": field.name,
                               "help": told.flag_help or told.help + (f" (default: {default})" if default else "")}
    if kind is bool:
        options.update(action="store_const", const=not field.default)
    elif kind is tuple:
        options["action"] = "append"
    elif kind in (int, float):
        options["metavar"] = "N"
    if isinstance(field.validator, OneOf):
        options["metavar"] = "{" + ",".join(field.validator.choices) + "}"
    if told.metavar:
        options["metavar"] = told.metavar
    return options


def flag_values(args, cls: type) -> dict[str, Any]:
    """The settings' flags in parsed ``args``, by key, for :func:`load_config`."""
    return {key: getattr(args, key) for key, field in settings_of(cls).items()
            if about(field).flag and hasattr(args, key)}


# -- where data lives -----------------------------------------------------------------


def home_dir(flag: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """``--home``, else ``$RPYMOSTAT_HOME``, else the XDG data dir."""
    if flag:
        return Path(flag).expanduser()
    if environ.get("RPYMOSTAT_HOME"):
        return Path(environ["RPYMOSTAT_HOME"]).expanduser()
    base = environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rpymostat"


# -- an API server's connections --------------------------------------------------------


@attrs.frozen
class ConnectionLimits:
    """What an API server (the hub's, a relay node's) allows its clients. A household has a
    few nodes and browsers, so the defaults leave room for a Raspberry Pi's memory and file
    descriptors while a flood of idle or slow connections cannot starve them."""

    max_connections: int = 512
    idle_timeout_s: float = 60.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0


DEFAULT_LIMITS = ConnectionLimits()


def connection_limits(config) -> ConnectionLimits:
    """The :class:`ConnectionLimits` of a hub or relay config, which carry them as flat keys."""
    return ConnectionLimits(**{field.name: getattr(config, field.name) for field in attrs.fields(ConnectionLimits)})
