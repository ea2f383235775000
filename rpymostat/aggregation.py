"""Where the aggregation plugin values lived before the package layout; kept so that
plugins written against it keep working. New code imports from :mod:`rpymostat.plugin`."""

from rpymostat.plugin import Aggregate, Dropped, Reading, SensorWeight  # noqa: F401
