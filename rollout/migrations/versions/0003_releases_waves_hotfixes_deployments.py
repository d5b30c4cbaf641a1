"""releases waves hotfixes deployments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:47:04.063956

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "hotfix",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("jira_key", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=False),
        sa.Column("public_html", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotfix")),
    )
    with op.batch_alter_table("hotfix", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hotfix_jira_key"), ["jira_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_hotfix_status"), ["status"], unique=False)

    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("soak_days", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release")),
        sa.UniqueConstraint("version", name=op.f("uq_release_version")),
    )
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_status"), ["status"], unique=False)

    op.create_table(
        "release_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("jira_key", sa.String(length=32), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=False),
        sa.Column("public_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["release.id"], name=op.f("fk_release_item_release_id_release")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release_item")),
    )
    with op.batch_alter_table("release_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_release_item_jira_key"), ["jira_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_release_item_release_id"), ["release_id"], unique=False
        )

    op.create_table(
        "hotfix_customer",
        sa.Column("hotfix_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_hotfix_customer_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["hotfix_id"], ["hotfix.id"], name=op.f("fk_hotfix_customer_hotfix_id_hotfix")
        ),
        sa.PrimaryKeyConstraint("hotfix_id", "customer_id", name=op.f("pk_hotfix_customer")),
    )
    op.create_table(
        "wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("environment_kind", sa.String(length=16), nullable=False),
        sa.Column("selector", sa.String(length=200), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"], ["release.id"], name=op.f("fk_wave_release_id_release")
        ),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["maintenance_window.id"],
            name=op.f("fk_wave_window_id_maintenance_window"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wave")),
        sa.UniqueConstraint("release_id", "position", name=op.f("uq_wave_release_id_position")),
    )
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wave_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_wave_window_id"), ["window_id"], unique=False)

    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("environment_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("hotfix_id", sa.Integer(), nullable=True),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("window_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["environment_id"],
            ["environment.id"],
            name=op.f("fk_deployment_environment_id_environment"),
        ),
        sa.ForeignKeyConstraint(
            ["hotfix_id"], ["hotfix.id"], name=op.f("fk_deployment_hotfix_id_hotfix")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["release.id"], name=op.f("fk_deployment_release_id_release")
        ),
        sa.ForeignKeyConstraint(["wave_id"], ["wave.id"], name=op.f("fk_deployment_wave_id_wave")),
        sa.ForeignKeyConstraint(
            ["window_id"],
            ["maintenance_window.id"],
            name=op.f("fk_deployment_window_id_maintenance_window"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
    )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_environment_id"), ["environment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_deployment_hotfix_id"), ["hotfix_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_release_id"), ["release_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_wave_id"), ["wave_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment_window_id"), ["window_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_window_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_wave_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_status"))
        batch_op.drop_index(batch_op.f("ix_deployment_release_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_hotfix_id"))
        batch_op.drop_index(batch_op.f("ix_deployment_environment_id"))

    op.drop_table("deployment")
    with op.batch_alter_table("wave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wave_window_id"))
        batch_op.drop_index(batch_op.f("ix_wave_release_id"))

    op.drop_table("wave")
    op.drop_table("hotfix_customer")
    with op.batch_alter_table("release_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_item_release_id"))
        batch_op.drop_index(batch_op.f("ix_release_item_jira_key"))

    op.drop_table("release_item")
    with op.batch_alter_table("release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_status"))

    op.drop_table("release")
    with op.batch_alter_table("hotfix", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hotfix_status"))
        batch_op.drop_index(batch_op.f("ix_hotfix_jira_key"))

    op.drop_table("hotfix")
