"""runs: each heating or cooling run of a zone, with its start temperatures and samples

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 14:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('runs',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.Float(), nullable=False),
    sa.Column('ended_at', sa.Float(), nullable=True),
    sa.Column('start_temperature', sa.Float(), nullable=True),
    sa.Column('start_outdoor', sa.Float(), nullable=True),
    sa.Column('start_sensors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_runs_zone_id_zones'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_runs'))
    )
    op.create_index('ix_runs_zone_started', 'runs', ['zone_id', 'started_at'], unique=False)
    op.create_index('uq_runs_one_open', 'runs', ['zone_id', 'kind'], unique=True,
                    sqlite_where=sa.text('ended_at IS NULL'), postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table('run_samples',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('run_id', BigId, nullable=False),
    sa.Column('time', sa.Float(), nullable=False),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('outdoor', sa.Float(), nullable=True),
    sa.Column('sensors', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_run_samples_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_run_samples'))
    )
    op.create_index('ix_run_samples_run_time', 'run_samples', ['run_id', 'time'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_run_samples_run_time', table_name='run_samples')
    op.drop_table('run_samples')
    op.drop_index('uq_runs_one_open', table_name='runs')
    op.drop_index('ix_runs_zone_started', table_name='runs')
    op.drop_table('runs')
