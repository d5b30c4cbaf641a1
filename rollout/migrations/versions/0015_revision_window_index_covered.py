"""drop window_revision's index on window_id alone: its unique (window_id, sequence) covers it

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:30:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Every lookup by window_id uses the unique index's leading column; one index less to
    update for every revision written (hundreds at once when a policy is planned)."""
    with op.batch_alter_table("window_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_revision_window_id"))


def downgrade() -> None:
    with op.batch_alter_table("window_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_window_revision_window_id"), ["window_id"], unique=False
        )
