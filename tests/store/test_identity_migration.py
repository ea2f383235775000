"""Migration 0005 on a database of the previous version, on SQLite and PostgreSQL:
unbound device tokens are revoked, relays keep the command token they know, and the
hub secret it was derived from is gone."""

import hashlib
import hmac

from alembic import command
from sqlalchemy import create_engine, insert, select, text

from rpymostat.hub.store import migrate
from rpymostat.hub.store.schema import meta, nodes, tokens
from rpymostat.hub.store.store import Store

SECRET = "ab" * 32


def test_the_identity_migration_revokes_unbound_device_tokens_and_keeps_relays_working(any_hub):
    url = any_hub.url
    any_hub.close()
    engine = create_engine(url)
    with engine.begin() as conn:  # back to the previous version, with what it held
        command.downgrade(migrate._config(conn), "0004")
        conn.execute(text("DELETE FROM tokens"))
        conn.execute(text("DELETE FROM meta WHERE key = 'hub_secret'"))
        conn.execute(insert(meta).values(key="hub_secret", value=SECRET))
        for token_id, role, node_id in [(1, "admin", None), (2, "device", None), (3, "device", "relay-1")]:
            conn.execute(insert(tokens).values(id=token_id, name=f"t{token_id}", role=role,
                                               token_hash=f"{token_id:064d}", node_id=node_id,
                                               created_at=1.0))
        conn.execute(text("INSERT INTO nodes (id, kind, name, registered_at, last_seen) VALUES "
                          "('relay-1', 'relay', 'Relay', 1, 1), ('node-1', 'sensor', 'Sensor', 1, 1)"))
    engine.dispose()

    store = Store(url)
    store.open(2.0)
    with store.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        revoked = {row.id: row.revoked_at is not None for row in conn.execute(select(tokens))}
        commands = dict(conn.execute(select(nodes.c.id, nodes.c.command_token)).all())
    assert revoked == {1: False, 2: True, 3: False}
    derived = hmac.new(SECRET.encode(), b"relay-command:relay-1", hashlib.sha256).hexdigest()
    assert commands == {"relay-1": derived, "node-1": None}, "the relay keeps the token it has"
    assert store.get_meta("hub_secret") is None
    store.close()
