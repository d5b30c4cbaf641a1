"""every reported deployment outcome, with why a success came before its window

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 09:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deployment_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("early_reason", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_outcome_deployment_id_deployment"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_outcome")),
    )
    with op.batch_alter_table("deployment_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_outcome_deployment_id"), ["deployment_id"], unique=False
        )
    # The last outcome of each deployment reported so far starts its history.
    op.execute(
        "INSERT INTO deployment_outcome (deployment_id, status, note, reported_by, recorded_at) "
        "SELECT id, status, note, COALESCE(reported_by, ''), updated_at FROM deployment "
        "WHERE status <> 'scheduled'"
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deployment_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_outcome_deployment_id"))
    op.drop_table("deployment_outcome")
