"""zone ids never reused on SQLite (AUTOINCREMENT), as PostgreSQL's sequence already does

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00.000000
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # SQLite adds AUTOINCREMENT only by rebuilding the table (migrate.run_migrations turns
    # foreign keys off meanwhile, so the rebuild cascades nothing).
    with op.batch_alter_table("zones", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("zones", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
