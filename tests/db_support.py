"""Fresh desk databases for tests: a SQLite file, or a PostgreSQL database made anew."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def fresh_pg_database(name: str) -> str:
    """An empty PostgreSQL database called `name` (dropped first if it exists); its URL."""
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
        conn.execute(sa.text(f'create database "{name}"'))
    admin.dispose()
    return f"{PG_SERVER}/{name}"


def fresh_desk_db(kind: str, tmp_path: Path, name: str = "shopbot_desk_test") -> str:
    """A new, empty desk database of `kind` ("sqlite" or "postgresql")."""
    return f"sqlite:///{tmp_path / 'desk.db'}" if kind == "sqlite" else fresh_pg_database(name)
