"""node identity: random relay command tokens, re-enrollment permits, no unbound device tokens

Every device token speaks for one node, so device tokens without a node are revoked.
Relay command tokens were derived from ``hub_secret``; each relay keeps the token it has
(stored now with its node, so relays go on working across the upgrade), a re-enrollment
replaces it with a random one, and ``hub_secret`` is gone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 12:00:00.000000
"""

import hashlib
import hmac
import secrets
import time

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

meta = sa.table('meta', sa.column('key', sa.String), sa.column('value', sa.Text))
nodes = sa.table('nodes', sa.column('id', sa.String), sa.column('kind', sa.String),
                 sa.column('command_token', sa.String))
tokens = sa.table('tokens', sa.column('role', sa.String), sa.column('node_id', sa.String),
                  sa.column('revoked_at', sa.Float))


def _derived(secret: str, node_id: str) -> str:
    return hmac.new(secret.encode(), f"relay-command:{node_id}".encode(), hashlib.sha256).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table('nodes') as batch:
        batch.add_column(sa.Column('command_token', sa.String(length=100), nullable=True))
    op.create_table('reenrollments',
    sa.Column('node_id', sa.String(length=128), nullable=False),
    sa.Column('allowed_at', sa.Float(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('node_id', name=op.f('pk_reenrollments'))
    )
    conn = op.get_bind()
    conn.execute(tokens.update().where(tokens.c.role == 'device', tokens.c.node_id.is_(None),
                                       tokens.c.revoked_at.is_(None)).values(revoked_at=time.time()))
    secret = conn.execute(sa.select(meta.c.value).where(meta.c.key == 'hub_secret')).scalar()
    if secret is not None:
        relays = conn.execute(sa.select(nodes.c.id).where(nodes.c.kind == 'relay')).scalars().all()
        for node_id in relays:
            conn.execute(nodes.update().where(nodes.c.id == node_id)
                         .values(command_token=_derived(secret, node_id)))
        conn.execute(meta.delete().where(meta.c.key == 'hub_secret'))


def downgrade() -> None:
    conn = op.get_bind()
    if conn.execute(sa.select(meta.c.key).where(meta.c.key == 'hub_id')).first() is not None:
        # Relays learn the command token derived from this secret when they register again.
        conn.execute(meta.insert().values(key='hub_secret', value=secrets.token_hex(32)))
    op.drop_table('reenrollments')
    with op.batch_alter_table('nodes') as batch:
        batch.drop_column('command_token')
