"""bugs tickets jira sync

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 10:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "bug",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("project", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=64), nullable=False),
        sa.Column("status_category", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("resolution", sa.String(length=64), nullable=True),
        sa.Column("fix_versions", sa.JSON(), nullable=False),
        sa.Column("public_note", sa.Text(), nullable=True),
        sa.Column("jira_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bug")),
        sa.UniqueConstraint("key", name=op.f("uq_bug_key")),
    )
    with op.batch_alter_table("bug", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bug_project"), ["project"], unique=False)

    op.create_table(
        "jira_push",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jira_push")),
    )
    with op.batch_alter_table("jira_push", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_jira_push_next_attempt_at"), ["next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_jira_push_status"), ["status"], unique=False)

    op.create_table(
        "jira_sync_state",
        sa.Column("project", sa.String(length=32), nullable=False),
        sa.Column("synced_through", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_page", sa.String(length=2000), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("project", name=op.f("pk_jira_sync_state")),
    )
    op.create_table(
        "webhook_receipt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipt")),
        sa.UniqueConstraint(
            "source", "identifier", name=op.f("uq_webhook_receipt_source_identifier")
        ),
    )
    with op.batch_alter_table("webhook_receipt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_receipt_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("requester_email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("sla_level", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_ticket_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ticket_external_id")),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "ticket_bug",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("bug_id", sa.Integer(), nullable=False),
        sa.Column("linked_by", sa.String(length=200), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fix_live_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["bug_id"], ["bug.id"], name=op.f("fk_ticket_bug_bug_id_bug")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["ticket.id"], name=op.f("fk_ticket_bug_ticket_id_ticket")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_bug")),
        sa.UniqueConstraint("ticket_id", "bug_id", name=op.f("uq_ticket_bug_ticket_id_bug_id")),
    )
    with op.batch_alter_table("ticket_bug", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_bug_bug_id"), ["bug_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_bug_ticket_id"), ["ticket_id"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=8), server_default="en", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("locale")

    with op.batch_alter_table("ticket_bug", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_bug_ticket_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_bug_bug_id"))

    op.drop_table("ticket_bug")
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_customer_id"))

    op.drop_table("ticket")
    with op.batch_alter_table("webhook_receipt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_receipt_received_at"))

    op.drop_table("webhook_receipt")
    op.drop_table("jira_sync_state")
    with op.batch_alter_table("jira_push", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jira_push_status"))
        batch_op.drop_index(batch_op.f("ix_jira_push_next_attempt_at"))

    op.drop_table("jira_push")
    with op.batch_alter_table("bug", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bug_project"))

    op.drop_table("bug")
