"""Agents have a nickname for buyers (desk_users.nickname): buyers never see a login name.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("desk_users") as batch:
        batch.add_column(sa.Column("nickname", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("desk_users") as batch:
        batch.drop_column("nickname")
