"""history store: series, raw points, day chunks and rollups replace the readings table

The readings already stored become points of the series ``sensor/<id>`` (times to the
millisecond, values to the hundredth), with their rollups; compaction then moves them
into chunks in the background. The readings table is dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

from rpymostat.core.history.codec import decode, quantize, to_ms

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

STEPS = (900, 3600, 86400)  # the rollups of this revision
PAGE = 20000


def upgrade() -> None:
    op.create_table('history_series',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_series')),
    sa.UniqueConstraint('name', name=op.f('uq_history_series_name'))
    )
    op.create_table('history_raw',
    sa.Column('series_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('time_ms', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('series_id', 'time_ms', name=op.f('pk_history_raw')),
    sqlite_with_rowid=False
    )
    op.create_table('history_chunks',
    sa.Column('series_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('start_ms', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('series_id', 'start_ms', name=op.f('pk_history_chunks'))
    )
    op.create_table('history_rollups',
    sa.Column('series_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('step_s', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('start_s', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('low', sa.BigInteger(), nullable=False),
    sa.Column('high', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('series_id', 'step_s', 'start_s', name=op.f('pk_history_rollups')),
    sqlite_with_rowid=False
    )
    bind = op.get_bind()
    _move_readings(bind)
    for step in STEPS:
        bucket = f"(time_ms / {step * 1000})"
        bind.execute(sa.text(
            f"INSERT INTO history_rollups (series_id, step_s, start_s, low, high, total, count) "
            f"SELECT series_id, {step}, {bucket} * {step}, min(value), max(value), sum(value), count(*) "
            f"FROM history_raw GROUP BY series_id, {bucket}"))
    op.drop_table('readings')


def _move_readings(bind) -> None:
    """Page through the readings in key order; two readings less than half a millisecond
    apart become one point (the first)."""
    bind.execute(sa.text("INSERT INTO history_series (name) SELECT DISTINCT 'sensor/' || sensor_id FROM readings"))
    ids = dict(bind.execute(sa.text("SELECT name, id FROM history_series")).all())
    after = ("", float("-inf"))
    while True:
        page = bind.execute(sa.text(
            "SELECT sensor_id, time, value FROM readings WHERE sensor_id > :sensor OR "
            "(sensor_id = :sensor AND time > :time) ORDER BY sensor_id, time LIMIT :page"),
            {"sensor": after[0], "time": after[1], "page": PAGE}).all()
        if not page:
            return
        points = {}
        for sensor_id, time, value in page:
            points.setdefault((ids[f"sensor/{sensor_id}"], to_ms(time)), quantize(value))
        bind.execute(sa.text("INSERT INTO history_raw (series_id, time_ms, value) VALUES (:s, :t, :v) "
                             "ON CONFLICT (series_id, time_ms) DO NOTHING"),
                     [{"s": s, "t": t, "v": v} for (s, t), v in points.items()])
        after = (page[-1][0], page[-1][1])


def downgrade() -> None:
    op.create_table('readings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sensor_id', sa.String(length=128), nullable=False),
    sa.Column('time', sa.Float(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['sensor_id'], ['sensors.id'], name=op.f('fk_readings_sensor_id_sensors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readings')),
    sa.UniqueConstraint('sensor_id', 'time', name='uq_readings_sensor_time')
    )
    bind = op.get_bind()
    known = set(bind.execute(sa.text("SELECT id FROM sensors")).scalars())
    series = bind.execute(sa.text("SELECT id, name FROM history_series WHERE name LIKE 'sensor/%'")).all()
    for sid, name in series:
        sensor_id = name[len("sensor/"):]
        if sensor_id not in known:
            continue
        points = list(bind.execute(sa.text("SELECT time_ms, value FROM history_raw WHERE series_id = :s"),
                                   {"s": sid}).all())
        for (data,) in bind.execute(sa.text("SELECT data FROM history_chunks WHERE series_id = :s"), {"s": sid}):
            points.extend(zip(*decode(data)))
        if points:
            bind.execute(sa.text("INSERT INTO readings (sensor_id, time, value, received_at) "
                                 "VALUES (:sensor, :time, :value, :time)"),
                         [{"sensor": sensor_id, "time": t / 1000, "value": v / 100} for t, v in sorted(points)])
    for table in ('history_rollups', 'history_chunks', 'history_raw', 'history_series'):
        op.drop_table(table)
