"""rules, holds and per-zone schedule plugins

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 10:12:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('cron', sa.String(length=120), nullable=True),
    sa.Column('duration', sa.String(length=40), nullable=True),
    sa.Column('end_cron', sa.String(length=120), nullable=True),
    sa.Column('interval', sa.String(length=100), nullable=True),
    sa.Column('hold_start', sa.Float(), nullable=True),
    sa.Column('hold_end', sa.Float(), nullable=True),
    sa.Column('target', sa.JSON(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_rules_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules')),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_rules_zone_id'), 'rules', ['zone_id'], unique=False)
    op.create_index('uq_rules_one_hold_per_zone', 'rules', ['zone_id'], unique=True,
                    sqlite_where=sa.text("kind = 'hold'"), postgresql_where=sa.text("kind = 'hold'"))
    op.create_table('zone_schedule_plugins',
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('uses', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_schedule_plugins_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('zone_id', name=op.f('pk_zone_schedule_plugins'))
    )


def downgrade() -> None:
    op.drop_table('zone_schedule_plugins')
    op.drop_index('uq_rules_one_hold_per_zone', table_name='rules')
    op.drop_index(op.f('ix_rules_zone_id'), table_name='rules')
    op.drop_table('rules')
