"""The desk's schema as it stood before migrations: created, or completed where a
database made by an earlier desk lacks a part of it.

Earlier desks made their tables on start and added columns and indexes by hand,
so a database from one of them may hold any prefix of this schema, with no
record of which; this step checks each table, column and index and adds only
what is missing, keeping every chat and message already stored.

Revision ID: 0001
Revises:
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _tables() -> list:
    """The schema of this step, frozen here (later steps change it, not this list)."""
    metadata = sa.MetaData()
    return [
        sa.Table(
            "desk_conversations", metadata,
            sa.Column("id", sa.String(64), primary_key=True),
            sa.Column("account", sa.String(100)),
            sa.Column("state", sa.String(16), nullable=False),
            sa.Column("reason", sa.String(50)),
            sa.Column("priority", sa.String(10)),
            sa.Column("summary", sa.Text),
            sa.Column("agent", sa.String(100)),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("waiting_since", sa.Float),
            sa.Column("updated_at", sa.Float, nullable=False),
            sa.Index("ix_desk_conversations_state", "state"),
        ),
        sa.Table(
            "desk_messages", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("conversation_id", sa.String(64), nullable=False),
            sa.Column("sender", sa.String(10), nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("payload", sa.Text),
            sa.Column("client_id", sa.String(64)),
            sa.Column("author", sa.String(100)),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("reply_id", sa.Integer),
            sa.Column("desk", sa.String(100)),
            sa.UniqueConstraint("conversation_id", "client_id", name="uq_desk_message_client_id"),
            sa.Index("ix_desk_messages_conversation_id", "conversation_id"),
            sa.Index("ix_desk_messages_created_at", "created_at"),
        ),
        sa.Table(
            "desk_users", metadata,
            sa.Column("username", sa.String(100), primary_key=True),
            sa.Column("password_hash", sa.Text, nullable=False),
            sa.Column("role", sa.String(20), nullable=False),
        ),
        sa.Table(
            "desk_sessions", metadata,
            sa.Column("token", sa.String(64), primary_key=True),
            sa.Column("username", sa.String(100), nullable=False),
            sa.Column("expires_at", sa.Float, nullable=False),
        ),
        sa.Table(
            "training_flags", metadata,
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("conversation_id", sa.String(64)),
            sa.Column("flagged_by", sa.String(100)),
            sa.Column("note", sa.Text),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("resolved", sa.Boolean, nullable=False),
        ),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    for table in _tables():
        inspector = sa.inspect(bind)
        if not inspector.has_table(table.name):
            table.create(bind)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                op.add_column(table.name, column.copy())
        indexed = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexed:
                index.create(bind)


def downgrade() -> None:
    for table in reversed(_tables()):
        op.drop_table(table.name)
