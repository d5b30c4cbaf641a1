"""customer contacts sign in by emailed links; feed tokens keep the nonce they derive from

Sign-in sessions now belong to a staff user or a customer contact, no longer to an API
token: the table is made anew, so every browser signs in again after the upgrade. A feed
token is now HMAC(SECRET_KEY, nonce) and keeps its nonce, so the customer's home can show it
again; tokens made before keep working but cannot be shown.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _signin_session(owner: str, target: str, ondelete: str | None) -> None:
    op.create_table(
        "signin_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column(f"{owner}_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            [f"{owner}_id"],
            [f"{target}.id"],
            name=op.f(f"fk_signin_session_{owner}_id_{target}"),
            ondelete=ondelete,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["staff_user.id"], name=op.f("fk_signin_session_user_id_staff_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_session")),
        sa.UniqueConstraint("id_hash", name=op.f("uq_signin_session_id_hash")),
    )
    with op.batch_alter_table("signin_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f(f"ix_signin_session_{owner}_id"), [f"{owner}_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_signin_session_user_id"), ["user_id"], unique=False)


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_table("signin_session")
    _signin_session("contact", "contact", "CASCADE")

    op.create_table(
        "signin_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contact.id"],
            name=op.f("fk_signin_link_contact_id_contact"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_link")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_signin_link_secret_hash")),
    )
    with op.batch_alter_table("signin_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signin_link_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signin_link_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonce", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("feed_token", schema=None) as batch_op:
        batch_op.drop_column("nonce")

    with op.batch_alter_table("signin_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signin_link_expires_at"))
        batch_op.drop_index(batch_op.f("ix_signin_link_contact_id"))
    op.drop_table("signin_link")

    op.drop_table("signin_session")
    _signin_session("api_token", "api_token", None)
