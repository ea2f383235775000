"""Bring a database to the newest schema with Alembic; cheap when it already is."""

import re
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision, read from the files: importing Alembic costs start-up
    time and memory, which a hub whose database is current need not pay."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text()
        revisions.add(_REVISION.search(source).group(1))
        parent = _DOWN_REVISION.search(source)
        if parent:
            parents.add(parent.group(1))
    (head,) = revisions - parents
    return head


_REVISION = re.compile(r"^revision = ['\"]([0-9a-f]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision = ['\"]([0-9a-f]+)['\"]", re.M)


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema.

    An empty database gets the tables straight from ``schema.py`` and is stamped with the
    newest revision (Alembic's recipe for a database built from scratch), so a hub's first
    start does not load Alembic; a database at an older revision is migrated by Alembic.
    A test builds a database both ways and checks they are the same.
    """
    with engine.begin() as connection:
        current = current_revision(connection)
        if current == head_revision():
            return
        if current is None and not inspect(connection).get_table_names():
            _create_and_stamp(connection)
            return
    run_migrations(engine)


def run_migrations(engine: Engine) -> None:
    """Upgrade with Alembic, whatever the database holds.

    SQLite changes a table by rebuilding it, and dropping the old copy with foreign keys
    on would cascade to every row that refers to it; so, as SQLite's own procedure for
    such changes says, foreign keys are off while migrations run and checked before the
    upgrade commits.
    """
    from alembic import command

    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            _foreign_keys(connection, "OFF")
        try:
            with connection.begin():
                command.upgrade(_config(connection), "head")
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("a migration left rows that refer to rows that do not exist")
        finally:
            if sqlite:
                _foreign_keys(connection, "ON")


def _foreign_keys(connection: Connection, state: str) -> None:
    """SQLite ignores this pragma inside a transaction: it runs and commits on its own."""
    connection.exec_driver_sql(f"PRAGMA foreign_keys={state}")
    connection.commit()


def _create_and_stamp(connection: Connection) -> None:
    from rpymostat.hub.store.schema import metadata

    metadata.create_all(connection)
    connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                            "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"),
                       {"head": head_revision()})
