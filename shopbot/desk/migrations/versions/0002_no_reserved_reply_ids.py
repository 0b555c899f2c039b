"""A buyer's line no longer reserves the id of the bot's answer (desk_messages.reply_id).

The desk stores an answer before showing it, under an id of its own, so the column
is never written or read any more.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("desk_messages") as batch:
        batch.drop_column("reply_id")


def downgrade() -> None:
    with op.batch_alter_table("desk_messages") as batch:
        batch.add_column(sa.Column("reply_id", sa.Integer))
