"""control: switch events (the guard's history) and the decision log

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 09:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('switch_events',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('time', sa.Float(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_switch_events_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_switch_events'))
    )
    op.create_index('ix_switch_events_zone_function_time', 'switch_events', ['zone_id', 'function', 'time'],
                    unique=False)
    op.create_table('decisions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('time', sa.Float(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('commands', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_decisions_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    op.create_index('ix_decisions_zone_time', 'decisions', ['zone_id', 'time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_decisions_zone_time', table_name='decisions')
    op.drop_table('decisions')
    op.drop_index('ix_switch_events_zone_function_time', table_name='switch_events')
    op.drop_table('switch_events')
