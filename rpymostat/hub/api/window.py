"""The stretch of time a query asks for with ``from`` and ``to``, read the same way by
every route that takes one: one side defaults to now, the other to a default span away
from it, and a window longer than the route allows is cut on the far side."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import attrs

from rpymostat.core.timeutil import parse_time
from rpymostat.hub.api.formats import INSTANT

TIME_QUERY = {"type": "string", "format": INSTANT, "maxLength": 64,
              "description": "ISO 8601 with an offset (Z or +HH:MM; a + may be sent as it is)."}


@attrs.frozen
class Window:
    """[start, end); ``end`` before ``start`` is an empty window. ``cut``: the query asked
    for more than the route allows."""

    start: datetime
    end: datetime
    cut: bool


def query_window(query: dict, now: datetime, *, default: timedelta, longest: timedelta,
                 anchor: Literal["from", "to"]) -> Window:
    """``anchor`` is the side that defaults to now and that a cut keeps: a timeline looks
    ahead from ``from``, a log looks back from ``to``."""
    other = "to" if anchor == "from" else "from"
    ahead = 1 if anchor == "from" else -1
    fixed = parse_time(query[anchor]) if anchor in query else now
    far = parse_time(query[other]) if other in query else fixed + ahead * default
    cut = (far - fixed) * ahead > longest
    if cut:
        far = fixed + ahead * longest
    return Window(fixed, far, cut) if ahead > 0 else Window(far, fixed, cut)
