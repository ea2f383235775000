"""Plain SQL on the driver's cursor, inside SQLAlchemy's transaction, for the hub's hottest
paths: readings and the history store.

There SQLAlchemy's execution machinery cost more than the database work itself and held
the GIL the reactor thread needed. Statements are written once, with ``?`` for each
parameter and PostgreSQL's ``LEAST``/``GREATEST`` for the smaller and larger of two values;
:meth:`Dialect.sql` gives the statement a database takes (SQLite says ``min``/``max``).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection


class Dialect:
    """The statements one database takes, each worked out once and then looked up (this
    runs for every reading)."""

    def __init__(self, marker: str, renames: tuple[tuple[str, str], ...] = ()):
        self.marker = marker
        self.renames = renames
        self._statements: dict[str, str] = {}

    @classmethod
    def of(cls, conn: Connection) -> "Dialect":
        return _DIALECTS[conn.dialect.name]

    def sql(self, statement: str) -> str:
        ours = self._statements.get(statement)
        if ours is None:
            ours = statement
            for theirs, renamed in self.renames:
                ours = ours.replace(theirs, renamed)
            ours = self._statements[statement] = ours.replace("?", self.marker)
        return ours


_DIALECTS = {"sqlite": Dialect("?", (("LEAST(", "min("), ("GREATEST(", "max("))), "postgresql": Dialect("%s")}


def driver_cursor(conn: Connection):
    return conn.connection.dbapi_connection.cursor()
