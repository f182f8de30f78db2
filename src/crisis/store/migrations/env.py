"""Alembic environment: runs on the connection handed over by :mod:`crisis.store.migrate`."""

from __future__ import annotations

from alembic import context

from crisis.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via `alembic` on the command line
    raise RuntimeError("run migrations with `crisis db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
