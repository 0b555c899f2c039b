"""After-sales cases (aftersale_cases): a problem with an order carried to a resolution an agent approves.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: Union[str, Sequence[str], None] = "0003"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "aftersale_cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.String(64)),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("problem", sa.String(30), nullable=False),
        sa.Column("words", sa.Text, nullable=False),
        sa.Column("photos", sa.Text, nullable=False),
        sa.Column("proposal", sa.String(20)),
        sa.Column("urgent", sa.Boolean, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("resolution", sa.String(20)),
        sa.Column("decided_by", sa.String(100)),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    op.create_index("ix_aftersale_cases_state", "aftersale_cases", ["state"])
    op.create_index("ix_aftersale_cases_account", "aftersale_cases", ["account"])


def downgrade() -> None:
    op.drop_index("ix_aftersale_cases_account", "aftersale_cases")
    op.drop_index("ix_aftersale_cases_state", "aftersale_cases")
    op.drop_table("aftersale_cases")
