"""Alembic's entry point: migrations run on the connection `upgrade()` hands over,
or, from Alembic's own command line, on DESK_DB_URL."""
from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from shopbot import config as settings
from shopbot.desk.migrations import sync_url
from shopbot.desk.schema import metadata


def run(connection) -> None:
    # render_as_batch: SQLite changes a column by copying the table, which Alembic's batch mode does.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = sa.create_engine(sync_url(settings.load().desk_db_url))
    with engine.begin() as conn:
        run(conn)
    engine.dispose()
