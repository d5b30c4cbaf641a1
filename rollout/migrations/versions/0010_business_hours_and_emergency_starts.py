"""regions' business hours, and the emergency start a zero-day's requester chose

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("business_opens", sa.String(length=5), server_default="09:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "business_closes", sa.String(length=5), server_default="17:00", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("business_days", sa.String(length=7), server_default="12345", nullable=False)
        )
    with op.batch_alter_table("hotfix", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emergency_start", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("emergency_starts", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("hotfix", schema=None) as batch_op:
        batch_op.drop_column("emergency_starts")
        batch_op.drop_column("emergency_start")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("business_days")
        batch_op.drop_column("business_closes")
        batch_op.drop_column("business_opens")
