"""Plain SQL on the driver's cursor, inside SQLAlchemy's transaction, for the hub's hottest
paths: readings and the history store.

There SQLAlchemy's execution machinery cost more than the database work itself and held
the GIL the reactor thread needed. Statements are written once, with ``?`` for each
parameter; SQLite and PostgreSQL take the same ones but for that marker and the names of
the two-argument min and max.
"""

from __future__ import annotations

import functools

import attrs
from sqlalchemy.engine import Connection


@attrs.frozen
class Dialect:
    marker: str
    least: str
    greatest: str

    @classmethod
    def of(cls, conn: Connection) -> "Dialect":
        return cls._named(conn.dialect.name)

    @classmethod
    @functools.cache
    def _named(cls, name: str) -> "Dialect":
        if name == "sqlite":
            return cls("?", "min", "max")
        if name == "postgresql":
            return cls("%s", "LEAST", "GREATEST")
        raise RuntimeError(f"unsupported database {name!r}")

    @functools.cache  # noqa: B019 - two instances at most, one per database, kept for good
    def sql(self, statement: str) -> str:
        return statement.replace("?", self.marker)


def driver_cursor(conn: Connection):
    return conn.connection.dbapi_connection.cursor()
