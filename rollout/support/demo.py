"""Demo tickets and bugs on top of rollout/demo.py's releases and hotfixes: one of each fix
status a support agent meets (live, on preview, planned, hotfix scheduled, another
customer's patch, not planned, won't fix), with Initech writing in French."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import update_customer
from rollout.jira.bugs import BugRecord, upsert_bug
from rollout.jira.models import Priority, Severity, StatusCategory
from rollout.releases import ReleaseStatus, list_releases
from rollout.support.models import Ticket
from rollout.support.tickets import create_ticket, link_bug

AGENT = "sam@example.com"
_DONE, _OPEN = StatusCategory.DONE, StatusCategory.IN_PROGRESS
# key: (summary, status category, resolution, priority, severity, fix version)
BUGS = {
    "OPS-114": ("PDF renderer truncates address block", _DONE, "Fixed", "high", "local", "done"),
    "OPS-151": ("Reminder offset wrong across DST", _DONE, "Fixed", "high", "moderate", "rolling"),
    "OPS-163": ("CSV import rejects ';'", _DONE, "Fixed", "critical", "hyper_local", None),
    "OPS-176": ("Search ignores accents", _OPEN, None, "medium", "moderate", "draft"),
    "SEC-42": ("TLS handshake heap overflow", _OPEN, None, "critical", "hyper_local", None),
    "OPS-190": ("Export times out over 50k rows", _OPEN, None, "critical", "local", None),
    "OPS-195": ("Dark mode on printed reports", _DONE, "Won't Fix", "low", "widespread", None),
}
# external id: (customer, subject, SLA level, bugs)
TICKETS = {
    "ZD-4101": ("acme", "Invoices cut off long billing addresses", 3, ["OPS-114"]),
    "ZD-4102": ("acme", "Reminders fire an hour late since the clocks changed", 2, ["OPS-151"]),
    "ZD-4107": ("acme", "Large exports never finish", 1, ["OPS-190"]),
    "FR-2201": ("initech", "Les rappels arrivent avec une heure de retard", 2, ["OPS-151"]),
    "FR-2204": ("initech", "La recherche ignore les accents", 3, ["OPS-176"]),
    "FR-2207": ("initech", "Alerte de sécurité TLS", 1, ["SEC-42"]),
    "ZD-4120": ("stark", "Month-end CSV import rejected", 1, ["OPS-163"]),
    "ZD-4121": ("stark", "Reminders an hour late", 3, ["OPS-151"]),
    "ZD-4130": ("wayne", "CSV import and late reminders", 2, ["OPS-163", "OPS-151"]),
    "ZD-4140": ("globex", "Printed reports ignore dark mode", 4, ["OPS-195"]),
    "ZD-4150": ("umbrella", "Exports time out", 2, ["OPS-190"]),
}
REQUESTERS = {
    "acme": ("Dana Whitfield", "dana@acme.example"),
    "initech": ("Camille Martin", "camille.martin@initech.example"),
    "stark": ("Pepper Potts", "pepper@stark.example"),
    "wayne": ("Lucius Fox", "lucius@wayne.example"),
    "globex": ("Hank Scorpio", "hank@globex.example"),
    "umbrella": ("Alice Abernathy", "alice@umbrella.example"),
}


def load_support_demo(session: Session, *, now: datetime) -> bool:
    """Add the demo bugs and tickets unless they are there; returns whether it added any."""
    if session.scalar(select(Ticket.id).where(Ticket.external_id.in_(list(TICKETS)))):
        return False
    update_customer(session, "initech", locale="fr", now=now)
    versions = {
        {
            ReleaseStatus.COMPLETED: "done",
            ReleaseStatus.ROLLING_OUT: "rolling",
            ReleaseStatus.DRAFT: "draft",
        }.get(r.status): r.version
        for r in list_releases(session)
    }
    for n, (key, (summary, category, resolution, priority, severity, version)) in enumerate(
        BUGS.items()
    ):
        fix_version = versions.get(version) if version else None
        upsert_bug(
            session,
            BugRecord(
                key=key,
                project=key.split("-")[0],
                summary=summary,
                status="Done" if category == _DONE else "In Progress",
                status_category=category,
                priority=Priority(priority),
                severity=Severity(severity),
                resolution=resolution,
                fix_versions=(fix_version,) if fix_version else (),
                public_note=None,
                updated_at=now - timedelta(days=3, minutes=n),
            ),
            now=now,
        )
    for n, (external_id, (customer, subject, level, keys)) in enumerate(TICKETS.items()):
        name, email = REQUESTERS[customer]
        opened = now - timedelta(days=30 - n)
        create_ticket(
            session,
            external_id=external_id,
            url=f"https://help.example.com/tickets/{external_id}",
            customer=customer,
            requester_name=name,
            requester_email=email,
            subject=subject,
            sla_level=level,
            now=opened,
        )
        for key in keys:
            link_bug(session, external_id, key, lookup=None, actor=AGENT, now=opened)
    return True
