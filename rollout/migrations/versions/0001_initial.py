"""maintenance windows, freezes, customers, access

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:51:33.948684

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("slug", name=op.f("uq_region_slug")),
    )
    op.create_table(
        "staff_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_user")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_user_email")),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_customer_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("slug", name=op.f("uq_customer_slug")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_region_id"), ["region_id"], unique=False)

    op.create_table(
        "maintenance_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("active_from", sa.Date(), nullable=False),
        sa.Column("active_until", sa.Date(), nullable=True),
        sa.Column("planned_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_maintenance_policy_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_policy")),
    )
    with op.batch_alter_table("maintenance_policy", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_policy_region_id"), ["region_id"], unique=False
        )

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_api_token_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    op.create_table(
        "environment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=130), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_environment_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_environment")),
        sa.UniqueConstraint("customer_id", "kind", name=op.f("uq_environment_customer_id_kind")),
    )
    with op.batch_alter_table("environment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_environment_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "freeze",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_freeze_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_freeze_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_freeze")),
    )
    with op.batch_alter_table("freeze", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_freeze_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_freeze_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_freeze_region_id"), ["region_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_freeze_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("occurrence", sa.DateTime(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("freeze_override_reason", sa.Text(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_maintenance_window_customer_id_customer"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["maintenance_policy.id"],
            name=op.f("fk_maintenance_window_policy_id_maintenance_policy"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["region.id"], name=op.f("fk_maintenance_window_region_id_region")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_window")),
        sa.UniqueConstraint(
            "policy_id", "occurrence", name=op.f("uq_maintenance_window_policy_id_occurrence")
        ),
    )
    with op.batch_alter_table("maintenance_window", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_window_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_maintenance_window_ends_at"), ["ends_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_maintenance_window_region_id"), ["region_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_maintenance_window_starts_at"), ["starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_maintenance_window_status"), ["status"], unique=False)

    op.create_table(
        "window_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["maintenance_window.id"],
            name=op.f("fk_window_revision_window_id_maintenance_window"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_revision")),
        sa.UniqueConstraint(
            "window_id", "sequence", name=op.f("uq_window_revision_window_id_sequence")
        ),
    )
    with op.batch_alter_table("window_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_window_revision_window_id"), ["window_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("window_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_window_revision_window_id"))

    op.drop_table("window_revision")
    with op.batch_alter_table("maintenance_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_window_status"))
        batch_op.drop_index(batch_op.f("ix_maintenance_window_starts_at"))
        batch_op.drop_index(batch_op.f("ix_maintenance_window_region_id"))
        batch_op.drop_index(batch_op.f("ix_maintenance_window_ends_at"))
        batch_op.drop_index(batch_op.f("ix_maintenance_window_customer_id"))

    op.drop_table("maintenance_window")
    with op.batch_alter_table("freeze", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_freeze_starts_at"))
        batch_op.drop_index(batch_op.f("ix_freeze_region_id"))
        batch_op.drop_index(batch_op.f("ix_freeze_ends_at"))
        batch_op.drop_index(batch_op.f("ix_freeze_customer_id"))

    op.drop_table("freeze")
    with op.batch_alter_table("environment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_environment_customer_id"))

    op.drop_table("environment")
    op.drop_table("api_token")
    with op.batch_alter_table("maintenance_policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_policy_region_id"))

    op.drop_table("maintenance_policy")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_region_id"))

    op.drop_table("customer")
    op.drop_table("staff_user")
    op.drop_table("region")
