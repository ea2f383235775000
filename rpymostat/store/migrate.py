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
    with engine.begin() as connection:
        if current_revision(connection) == head_revision():
            return
        from alembic import command

        command.upgrade(_config(connection), "head")
