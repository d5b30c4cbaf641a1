"""the outbox counted by status and channel from an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index(
        "ix_notification_status_channel", "notification", ["status", "channel"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_notification_status_channel", table_name="notification")
