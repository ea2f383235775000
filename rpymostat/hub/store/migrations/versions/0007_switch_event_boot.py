"""switch events: the monotonic time and the boot they were written in

Events written before have neither: a restarted hub maps them by wall time, as before.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 15:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('switch_events') as batch:
        batch.add_column(sa.Column('boot_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('monotonic', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('switch_events') as batch:
        batch.drop_column('monotonic')
        batch.drop_column('boot_id')
