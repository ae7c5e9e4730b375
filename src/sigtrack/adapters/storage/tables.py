"""The schema as SQLAlchemy Core tables (the migrations in `migrations/` create it)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from sigtrack.adapters.storage.types import UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids are plain INTEGER on SQLite so that they alias the rowid.
Id = BigInteger().with_variant(Integer(), "sqlite")

signals = Table(
    "signals",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("signal_id", String(128), nullable=False, unique=True),
    Column("user_id", BigInteger, nullable=False),
    Column("symbol", String(20), nullable=False),
    Column("side", String(5), nullable=False),
    Column("timeframe", String(4), nullable=False),
    Column("entry", Double, nullable=False),
    Column("targets", JSON, nullable=False),
    Column("sl", Double, nullable=False),
    Column("confidence", Double),
    Column("reasons", JSON, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("strategy", String(64), nullable=False),
    Column("source", String(64), nullable=False),
    Column("exchange", String(64), nullable=False),
    Column("market", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("status", String(10), nullable=False),
    Column("result", String(10)),
    Column("exit_reason", String(12)),
    Column("pnl_pct", Double),
    Column("closed_at", UtcDateTime),
    # settled from candles (migration 0002): the outcome's numbers, and all of it as JSON
    Column("r_multiple", Double),
    Column("mfe_pct", Double),
    Column("mae_pct", Double),
    Column("ambiguous", Boolean),
    Column("rule", String(160)),
    Column("tp1_hit_at", UtcDateTime),
    Column("outcome", JSON),
    # winrate(days) reads only this index: a cohort scan with no table lookups.
    Index(None, "created_at", "status", "result", "pnl_pct"),
    Index(None, "status", "symbol"),
    Index(None, "closed_at"),  # the newest closes of a window (migration 0007)
)

signal_events = Table(
    "signal_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("signal_pk", Id, ForeignKey("signals.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("note", Text),
    Column("data", JSON, nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("signal_pk", Id, ForeignKey("signals.id"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("position", Integer, nullable=False),
)

activity = Table(
    "activity",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("user_id", BigInteger, nullable=False),
    Column("username", String(64)),
    Column("command", String(64), nullable=False),
    Column("symbol", String(32)),
    Column("timeframe", String(16)),
    # Set for imported lines so that importing the same file twice adds nothing.
    Column("dedupe_key", String(64), unique=True),
)

# Daily rollups (migration 0003, adapters/storage/rollups.py): the breakdown sums of each
# UTC day, per dimension and key, so that long windows do not read every signal.
# `rollup_days` holds each day's version, bumped by every write that changes the day's
# sums; `rollup_built` the version each dimension's rows were built from.
rollup_days = Table(
    "rollup_days",
    metadata,
    Column("day", String(10), primary_key=True),  # 'YYYY-MM-DD', UTC day of created_at
    Column("version", BigInteger, nullable=False),
)

rollup_built = Table(
    "rollup_built",
    metadata,
    Column("dim", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("version", BigInteger, nullable=False),
)

rollups = Table(
    "rollups",
    metadata,
    Column("dim", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("open", BigInteger, nullable=False),
    Column("wins", BigInteger, nullable=False),
    Column("losses", BigInteger, nullable=False),
    Column("expired", BigInteger, nullable=False),
    Column("breakeven", BigInteger, nullable=False),
    Column("cancelled", BigInteger, nullable=False),
    Column("pnl_sum", Double, nullable=False),
    Column("pnl_n", BigInteger, nullable=False),
    Column("pnl_sq", Double, nullable=False),
    Column("r_sum", Double, nullable=False),
    Column("r_n", BigInteger, nullable=False),
    Column("r_sq", Double, nullable=False),
)

# The bot's features (migration 0005). `outbox`: the TP hits and closes to announce, one
# row per event, claimed by one sender at a time (adapters/storage/outbox.py).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", Id, ForeignKey("signal_events.id"), nullable=False, unique=True),
    Column("state", String(10), nullable=False),  # OutboxState
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("queued_at", UtcDateTime, nullable=False),
    Column("claimed_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("last_error", Text),
    Index(None, "state", "id"),  # a claim reads the oldest pending rows
)

# One answer per receiver and signal (adapters/storage/feedback.py).
feedback = Table(
    "feedback",
    metadata,
    Column("signal_pk", Id, ForeignKey("signals.id"), primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("answer", String(8), nullable=False),  # FeedbackAnswer
    Column("at", UtcDateTime, nullable=False),  # the first answer
    Column("updated_at", UtcDateTime, nullable=False),  # the last tap
)

# The settling passes of the last days, for `/signal_stats` (adapters/storage/status.py).
settling_passes = Table(
    "settling_passes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False, index=True),
    Column("source", Text, nullable=False),  # a candle source's name: files name their path
    Column("checked", Integer, nullable=False),
    Column("symbols", Integer, nullable=False),
    Column("closed", Integer, nullable=False),
    Column("tp_hits", Integer, nullable=False),
    Column("wins", Integer, nullable=False),
    Column("losses", Integer, nullable=False),
    Column("expired", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("elapsed_s", Double, nullable=False),
)

# The run ledger (migration 0006, adapters/storage/jobs.py): when each job was first seen,
# and one row per job and scheduled slot — the unique key makes a slot run once.
jobs = Table(
    "jobs",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

job_runs = Table(
    "job_runs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job", String(32), nullable=False),
    Column("slot", UtcDateTime, nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("started_at", UtcDateTime),
    Column("finished_at", UtcDateTime),
    Column("duration_s", Double),
    Column("error", Text),
    Column("detail", JSON),
    Column("told", Boolean, nullable=False, server_default=false()),
    UniqueConstraint("job", "slot"),
)

# Migration 0008. `journal_applied`: the journaled operations applied (services/journal.py),
# marked in the transaction that applies each. `settle_claims`: a row per symbol that the
# monitors lock (`FOR UPDATE SKIP LOCKED`, PostgreSQL) to share the open signals.
journal_applied = Table(
    "journal_applied",
    metadata,
    Column("op_id", String(40), primary_key=True),
    Column("applied_at", UtcDateTime, nullable=False),
    Column("outcome", String(200), nullable=False),
)

settle_claims = Table(
    "settle_claims",
    metadata,
    Column("symbol", String(32), primary_key=True),
    Column("claimed_by", String(64)),
    Column("claimed_at", UtcDateTime),
)
