"""Bringing a desk database to the schema of `shopbot.desk.schema`, with Alembic.

`upgrade(db_url)` runs every migration a database lacks, at the desk's start and
before the command line touches the database. Several desks starting at once on one
PostgreSQL take turns (an advisory lock), so each migration runs once.

A new migration: `.venv/bin/alembic -c shopbot/desk/migrations/alembic.ini revision -m "..."`
with DESK_DB_URL pointing at a database of the current schema, then edit the file.
"""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent
# Any number, the same in every desk: the key of the lock the desks take turns with.
MIGRATION_LOCK = 7460113


def sync_url(db_url: str) -> str:
    """The URL for a blocking driver (migrations are not on any buyer's path)."""
    scheme, _, rest = db_url.partition("://")
    base = scheme.split("+")[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+psycopg2://{rest}"
    return f"{base}://{rest}"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return config


def upgrade(db_url: str, revision: str = "head") -> None:
    """Run the migrations `db_url`'s database lacks, up to `revision`."""
    engine = sa.create_engine(sync_url(db_url))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(db_url: str) -> str | None:
    """The migration a database is at (None: never migrated)."""
    from alembic.runtime.migration import MigrationContext

    engine = sa.create_engine(sync_url(db_url))
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
