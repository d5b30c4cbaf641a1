"""server-side sign-in sessions and failed sign-ins for throttling

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 03:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "signin_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("api_token_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_token_id"],
            ["api_token.id"],
            name=op.f("fk_signin_session_api_token_id_api_token"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_signin_session_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_session")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_signin_session_id_hash")),
    )
    with op.batch_alter_table("signin_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_session_api_token_id"), ["api_token_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signin_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "signin_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_hash", sa.String(length=64), nullable=True),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_failure")),
    )
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signin_failure_account_hash"), ["account_hash"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signin_failure_client"), ["client"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_signin_failure_failed_at"), ["failed_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("signin_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_failure_failed_at"))
        batch_op.drop_index(batch_op.f("ix_signin_failure_client"))
        batch_op.drop_index(batch_op.f("ix_signin_failure_account_hash"))

    op.drop_table("signin_failure")
    with op.batch_alter_table("signin_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_session_user_id"))
        batch_op.drop_index(batch_op.f("ix_signin_session_api_token_id"))

    op.drop_table("signin_session")
