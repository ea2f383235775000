"""The hub's tables. Instants are stored as float POSIX seconds, which every
database compares and indexes the same way; JSON columns hold API-shaped values."""

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(128)
BigId = BigInteger().with_variant(Integer, "sqlite")

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

settings = Table(
    "settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("node_id", ID, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("revoked_at", Float, nullable=True),
)

nodes = Table(
    "nodes",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("url", String(500), nullable=True),
    Column("address", String(100), nullable=True),
    Column("version", String(50), nullable=True),
    Column("registered_at", Float, nullable=False),
    Column("last_seen", Float, nullable=False),
    Column("tls_fingerprint", String(64), nullable=True),  # of a relay's HTTPS certificate
    # What the hub presents on a relay node's API: random per relay, made at its first
    # registration, given only to that node, and made anew after a re-enrollment.
    Column("command_token", String(100), nullable=True),
)

# An admin's permission for one more enrollment of a node that already has an identity
# (``rpymostat node re-enroll``): used up by that enrollment, or void after ``expires_at``.
reenrollments = Table(
    "reenrollments",
    metadata,
    Column("node_id", ID, primary_key=True),
    Column("allowed_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
)

zones = Table(
    "zones",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("default_target", JSON, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # Ids are never reused: a control tick's rows for a deleted zone cannot land in a
    # newer zone that got its id (see store/control_store.py).
    sqlite_autoincrement=True,
)

sensors = Table(
    "sensors",
    metadata,
    Column("id", ID, primary_key=True),
    Column("node_id", ID, ForeignKey("nodes.id", ondelete="SET NULL"), nullable=True),
    Column("type", String(50), nullable=False),
    Column("name", String(100), nullable=False),
    Column("alias", String(100), nullable=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="SET NULL"), nullable=True),
    Column("last_value", Float, nullable=True),
    Column("last_time", Float, nullable=True),
    Column("created_at", Float, nullable=False),
)

outputs = Table(
    "outputs",
    metadata,
    Column("id", ID, primary_key=True),
    Column("node_id", ID, ForeignKey("nodes.id", ondelete="SET NULL"), nullable=True),
    Column("name", String(100), nullable=False),
    Column("alias", String(100), nullable=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="SET NULL"), nullable=True),
    Column("function", String(8), nullable=True),
    Column("state", String(8), nullable=False, default="off"),
    Column("state_time", Float, nullable=True),
    Column("created_at", Float, nullable=False),
)

# -- history ------------------------------------------------------------------
# The history store (store/history.py, docs/history.md). Every series (a sensor's readings, a
# zone's target, an output's state, ...) has a number; its points are integers: the time in
# ms and the value in hundredths (rpymostat/core/history/codec.py). Recent points are rows of
# ``history_raw``; compaction moves each settled day of a series into one row of
# ``history_chunks``. ``history_rollups`` holds min/max/total/count per bucket of 15 minutes,
# an hour and a day, updated as points arrive. The small-row tables keep no rowid on SQLite:
# their key is their storage order, and a point costs no more than its three integers.

history_series = Table(
    "history_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
)

history_raw = Table(
    "history_raw",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("time_ms", BigInteger, primary_key=True, autoincrement=False),
    Column("value", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

history_chunks = Table(
    "history_chunks",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("start_ms", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

history_rollups = Table(
    "history_rollups",
    metadata,
    Column("series_id", Integer, primary_key=True, autoincrement=False),
    Column("step_s", Integer, primary_key=True, autoincrement=False),
    Column("start_s", BigInteger, primary_key=True, autoincrement=False),
    Column("low", BigInteger, nullable=False),
    Column("high", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# -- scheduling ------------------------------------------------------------
# Rules in the API's terms (rpymostat/core/schedule/rules.py): a hold is a rule of kind "hold", at most
# one per zone (a partial unique index, so a race cannot leave two). A zone's rules and
# schedule-plugin settings go with it.

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(80), nullable=False),
    Column("cron", String(120), nullable=True),
    Column("duration", String(40), nullable=True),
    Column("end_cron", String(120), nullable=True),
    Column("interval", String(100), nullable=True),
    Column("hold_start", Float, nullable=True),
    Column("hold_end", Float, nullable=True),
    Column("target", JSON, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
    Index("uq_rules_one_hold_per_zone", "zone_id", unique=True,
          sqlite_where=text("kind = 'hold'"), postgresql_where=text("kind = 'hold'")),
    sqlite_autoincrement=True,  # ids are never reused: a stale id cannot reach a newer rule
)

zone_schedule_plugins = Table(
    "zone_schedule_plugins",
    metadata,
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
    Column("uses", JSON, nullable=False),
)

# -- control ---------------------------------------------------------------
# The control loop's durable record (rpymostat/hub/control.py). ``switch_events`` holds every
# switch of a zone's equipment, so that a restarted hub knows when each function last
# went on and off and how often it started in the last hour (the guard's history).
# ``time`` is wall-clock time; ``monotonic`` is the hub's monotonic clock at the event
# and ``boot_id`` the boot of the machine it counts in (both null where the boot is not
# known), so that a hub restarted in the same boot reads the history on the clock its
# guard runs on, whatever the wall clock did meanwhile.
# ``decisions`` is the decision log: what was decided, when, and why in words and data.

switch_events = Table(
    "switch_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False),
    Column("function", String(8), nullable=False),
    Column("state", String(8), nullable=False),
    Column("time", Float, nullable=False),
    Column("reason", String(32), nullable=False),
    Column("boot_id", String(64), nullable=True),
    Column("monotonic", Float, nullable=True),
    Index("ix_switch_events_zone_function_time", "zone_id", "function", "time"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False),
    Column("time", Float, nullable=False),
    Column("action", String(16), nullable=False),
    Column("commands", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_decisions_zone_time", "zone_id", "time"),
)

# -- runs ----------------------------------------------------------------------
# Each heating or cooling run of a zone (rpymostat/hub/store/runs_store.py): opened by the
# switch event that starts its function, closed by the one that stops it; the zone's,
# each of its sensors' and the outdoor temperature at the start, and samples every
# ``run_sample_minutes`` while it runs. At most one open run per zone and kind.

runs = Table(
    "runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("zone_id", Integer, ForeignKey("zones.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("ended_at", Float, nullable=True),
    Column("start_temperature", Float, nullable=True),
    Column("start_outdoor", Float, nullable=True),
    Column("start_sensors", JSON, nullable=False),
    Index("ix_runs_zone_started", "zone_id", "started_at"),
    Index("uq_runs_one_open", "zone_id", "kind", unique=True,
          sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
)

run_samples = Table(
    "run_samples",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", BigId, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("time", Float, nullable=False),
    Column("temperature", Float, nullable=True),
    Column("outdoor", Float, nullable=True),
    Column("sensors", JSON, nullable=False),
    Index("ix_run_samples_run_time", "run_id", "time"),
)
