"""Unpaid-order reminders (催付): one per order, one per buyer a day, and buyers who said no.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: Union[str, Sequence[str], None] = "0005"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "order_reminders",
        sa.Column("order_id", sa.String(32), primary_key=True),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("sent_at", sa.Float, nullable=False),
        sa.UniqueConstraint("account", "day", name="uq_order_reminders_account_day"),
    )
    op.create_table(
        "reminder_optouts",
        sa.Column("account", sa.String(100), primary_key=True),
        sa.Column("said_at", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("reminder_optouts")
    op.drop_table("order_reminders")
