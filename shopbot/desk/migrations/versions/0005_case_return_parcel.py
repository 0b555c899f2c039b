"""The parcel a buyer sends back on a case: its courier and tracking number.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: Union[str, Sequence[str], None] = "0004"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("aftersale_cases") as batch:
        batch.add_column(sa.Column("return_courier", sa.String(20)))
        batch.add_column(sa.Column("return_tracking", sa.String(40)))


def downgrade() -> None:
    with op.batch_alter_table("aftersale_cases") as batch:
        batch.drop_column("return_tracking")
        batch.drop_column("return_courier")
