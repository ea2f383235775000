"""Durable state of the hub: SQLAlchemy Core tables, Alembic migrations, and the Store."""
