"""triage's score and what its page shows of the customers waiting, stored per bug; a
ticket id typed in any case found by an index; each wave's environments counted

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 22:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Per bug and customer still waiting: rollout/support/triage.py's `waiting_per_customer`.
PER_CUSTOMER = """
    SELECT ticket_bug.bug_id AS bug_id, customer.tier AS tier,
           COUNT(ticket_bug.id) AS tickets, MIN(ticket.sla_level) AS worst_sla
    FROM ticket_bug
    JOIN ticket ON ticket_bug.ticket_id = ticket.id
    JOIN customer ON ticket.customer_id = customer.id
    WHERE ticket_bug.fix_live_at IS NULL
    GROUP BY ticket_bug.bug_id, customer.id
"""
WEIGHT = """CASE tier WHEN 'platinum' THEN 5 WHEN 'gold' THEN 3 WHEN 'silver' THEN 2
                 WHEN 'standard' THEN 1 ELSE 0 END"""
PRIORITY = """CASE bug.priority WHEN 'critical' THEN 8 WHEN 'high' THEN 4 WHEN 'medium' THEN 2
                   WHEN 'low' THEN 1 ELSE 2 END"""
RISK = """CASE bug.severity WHEN 'hyper_local' THEN 30 WHEN 'local' THEN 25
               WHEN 'moderate' THEN 20 WHEN 'widespread' THEN 16 WHEN 'deep_and_wide' THEN 12
               ELSE 20 END"""


def _table(*extra: sa.Column) -> None:
    op.create_table(
        "bug_waiting",
        sa.Column("bug_id", sa.Integer(), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("reach_halves", sa.Integer(), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(["bug_id"], ["bug.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("bug_id"),
    )


def upgrade() -> None:
    """Upgrade schema, and sum what already waits (rollout/support/waiting.py's rule)."""
    op.create_index("ix_ticket_external_id_upper", "ticket", [sa.text("upper(external_id)")])
    op.add_column(
        "wave", sa.Column("environments", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE wave SET environments = "
        "(SELECT COUNT(*) FROM deployment WHERE deployment.wave_id = wave.id)"
    )
    op.drop_table("bug_waiting")
    _table(
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "score40",
                "customers",
                "platinum",
                "gold",
                "silver",
                "standard",
                "worst_sla",
            )
        )
    )
    op.create_index("ix_bug_waiting_score40", "bug_waiting", ["score40"], unique=False)
    tiers = ", ".join(
        f"SUM(CASE tier WHEN '{tier}' THEN 1 ELSE 0 END)"
        for tier in ("platinum", "gold", "silver", "standard")
    )
    op.execute(
        f"""
        INSERT INTO bug_waiting (bug_id, tickets, reach_halves, score40, customers,
                                 platinum, gold, silver, standard, worst_sla)
        SELECT bug_id, SUM(tickets), SUM({WEIGHT} * (tickets + 1)),
               {PRIORITY} * {RISK} * SUM({WEIGHT} * (tickets + 1)),
               COUNT(*), {tiers}, MIN(worst_sla)
        FROM ({PER_CUSTOMER}) AS per_customer
        JOIN bug ON bug.id = per_customer.bug_id
        GROUP BY bug_id, bug.priority, bug.severity
        """
    )


def downgrade() -> None:
    """Downgrade schema: 0014's sums alone."""
    op.drop_index("ix_ticket_external_id_upper", table_name="ticket")
    with op.batch_alter_table("wave") as wave:
        wave.drop_column("environments")
    op.drop_index("ix_bug_waiting_score40", table_name="bug_waiting")
    op.drop_table("bug_waiting")
    _table()
    op.execute(
        f"""
        INSERT INTO bug_waiting (bug_id, tickets, reach_halves)
        SELECT bug_id, SUM(tickets), SUM({WEIGHT} * (tickets + 1))
        FROM ({PER_CUSTOMER}) AS per_customer
        GROUP BY bug_id
        """
    )
