"""Where the hysteresis decision plugin lived before the package layout; kept so that
plugins built on it keep working. New code imports from :mod:`rpymostat.plugin`."""

from rpymostat.plugin import Hysteresis  # noqa: F401
