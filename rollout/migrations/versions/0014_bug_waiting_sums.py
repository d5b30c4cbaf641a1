"""per-bug sums of the tickets waiting for a fix, for triage

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema, and sum what already waits (rollout/support/waiting.py's rule)."""
    op.create_table(
        "bug_waiting",
        sa.Column("bug_id", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("reach_halves", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bug_id"], ["bug.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bug_id"),
    )
    op.execute(
        """
        INSERT INTO bug_waiting (bug_id, tickets, reach_halves)
        SELECT bug_id, SUM(tickets),
               SUM(CASE tier WHEN 'platinum' THEN 5 WHEN 'gold' THEN 3 WHEN 'silver' THEN 2
                             WHEN 'standard' THEN 1 ELSE 0 END * (tickets + 1))
        FROM (
            SELECT ticket_bug.bug_id AS bug_id, customer.tier AS tier,
                   COUNT(ticket_bug.id) AS tickets
            FROM ticket_bug
            JOIN ticket ON ticket_bug.ticket_id = ticket.id
            JOIN customer ON ticket.customer_id = customer.id
            WHERE ticket_bug.fix_live_at IS NULL
            GROUP BY ticket_bug.bug_id, customer.id, customer.tier
        ) AS per_customer
        GROUP BY bug_id
        """
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("bug_waiting")
