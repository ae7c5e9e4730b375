"""Alembic environment: always run on the connection sigtrack hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - sigtrack always passes its connection
    raise RuntimeError("run migrations through sigtrack (sigtrack init), not the alembic CLI")

context.configure(connection=connection, target_metadata=None, render_as_batch=True)
context.run_migrations()
