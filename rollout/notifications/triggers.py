"""When customers hear what: each trigger writes its notifications in the transaction of the
change that causes it, run by that change's event (`rollout/handlers.py`)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from rollout.customers import Customer, Tier
from rollout.errors import Invalid
from rollout.notifications.addresses import check_email
from rollout.notifications.contacts import new_contact
from rollout.notifications.models import Contact, Notification, NotificationStatus, Topic
from rollout.notifications.outbox import (
    Merged,
    Message,
    Recipient,
    cancel_pending,
    notify,
    notify_each,
    recipients,
)
from rollout.windows import Window, WindowAction, WindowKind, WindowStatus

if TYPE_CHECKING:
    from rollout.jira.models import Bug
    from rollout.support.models import Ticket

ANNOUNCED = "window.announced"
REMINDER = "window.reminder"
EMERGENCY = "window.emergency"
MOVED = "window.moved"
EXTENDED = "window.extended"
CANCELLED = "window.cancelled"
STARTED = "window.started"
COMPLETED = "window.completed"
# The first a customer hears of a window: what later changes merge into while it waits.
_FIRST = {ANNOUNCED, EMERGENCY}


@dataclass(frozen=True)
class NotificationPolicy:
    """How far ahead each tier hears of a window, which reminders go out, and how long a
    change notice waits so that quick successive changes go out as one message."""

    lead: dict[str, timedelta] = field(
        default_factory=lambda: {
            Tier.STANDARD: timedelta(days=14),
            Tier.SILVER: timedelta(days=14),
            Tier.GOLD: timedelta(days=30),
            Tier.PLATINUM: timedelta(days=30),
        }
    )
    reminders: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=1))
    hold: timedelta = timedelta(minutes=3)

    def lead_for(self, tier: str) -> timedelta:
        return self.lead.get(tier, self.lead.get(Tier.STANDARD, timedelta(days=14)))


DEFAULT_POLICY = NotificationPolicy()


def window_changed(
    session: Session,
    window: Window,
    action: WindowAction,
    now: datetime,
    *,
    policy: NotificationPolicy,
):
    """Notices for one new revision of a window, to the customers it touches, with the lead
    times and reminders of `policy`."""
    if window.projected or window.id is None:
        return
    if action == WindowAction.CREATED:
        if window.kind == WindowKind.EMERGENCY:
            _notice(session, window, EMERGENCY, policy, now, due_at=now)
            _reminders(session, window, policy, now)
        return
    if action == WindowAction.ANNOUNCED:
        if window.kind != WindowKind.EMERGENCY:  # those were told when they were made
            _announce(session, window, policy, now)
        _reminders(session, window, policy, now)
        return
    if not told(window):
        return  # nobody was promised anything: changes to it are not news
    if action in (WindowAction.MOVED, WindowAction.EXTENDED, WindowAction.REPLANNED):
        overrun = window.status == WindowStatus.IN_PROGRESS
        event = EXTENDED if action == WindowAction.EXTENDED else MOVED
        _notice(session, window, event, policy, now, due_at=now if overrun else now + policy.hold)
        _reminders(session, window, policy, now)
    elif action in (WindowAction.CANCELLED, WindowAction.SKIPPED):
        _cancel_reminders(session, window, now)
        _notice(session, window, CANCELLED, policy, now, due_at=now + policy.hold)
    elif action == WindowAction.STARTED:
        _cancel_reminders(session, window, now)
        _notice(session, window, STARTED, policy, now, due_at=now, expires_at=window.ends_at)
    elif action == WindowAction.COMPLETED:
        _notice(session, window, COMPLETED, policy, now, due_at=now)


def told(window: Window) -> bool:
    """Whether customers have been (or are being) told of `window`."""
    return window.kind == WindowKind.EMERGENCY or any(
        r.action == WindowAction.ANNOUNCED for r in window.revisions
    )


def window_payload(window: Window) -> dict:
    """A window as customers may see it, frozen into the message."""
    return {
        "id": window.id,
        "title": window.title,
        "kind": str(window.kind),
        "status": str(window.status),
        "region": window.region.slug,
        "region_name": window.region.name,
        "starts_at": _iso(window.starts_at),
        "ends_at": _iso(window.ends_at),
        "timezone": window.timezone,
        "sequence": window.sequence,
        "public": window.customer_id is None,
        "created_at": _iso(window.created_at),
        "updated_at": _iso(window.updated_at or window.created_at),
    }


def touched_customers(session: Session, window: Window) -> list[Customer]:
    """The customers a window concerns: its own customer, or everyone in its region."""
    if window.customer_id is not None:
        return [session.get(Customer, window.customer_id)]
    query = select(Customer).where(Customer.region_id == window.region_id)
    return list(session.scalars(query.order_by(Customer.id)))


def _topic(window: Window) -> Topic:
    if window.kind == WindowKind.EMERGENCY:
        return Topic.EMERGENCY_MAINTENANCE
    return Topic.MAINTENANCE


def _payload(window: Window) -> dict:
    payload = {"window": window_payload(window)}
    if len(window.revisions) > 1:
        current, before = window.revisions[-1], window.revisions[-2]
        if (before.starts_at, before.ends_at) != (current.starts_at, current.ends_at):
            payload["previous"] = {
                "starts_at": _iso(before.starts_at),
                "ends_at": _iso(before.ends_at),
            }
        if current.public_reason:
            payload["reason"] = current.public_reason
    return payload


def _announce(session: Session, window: Window, policy: NotificationPolicy, now: datetime):
    """The announcement, due a tier's lead time before the window (at once if later)."""
    by_tier: dict[timedelta, list[Customer]] = {}
    for customer in touched_customers(session, window):
        by_tier.setdefault(policy.lead_for(customer.tier), []).append(customer)
    for lead, customers in by_tier.items():
        due = max(now + policy.hold, window.starts_at - lead)
        _notice(session, window, ANNOUNCED, policy, now, due_at=due, customers=customers)


def _notice(
    session: Session,
    window: Window,
    event: str,
    policy: NotificationPolicy,
    now: datetime,
    *,
    due_at: datetime,
    customers: list[Customer] | None = None,
    expires_at: datetime | None = None,
) -> int:
    return notify(
        session,
        event=event,
        customers=customers if customers is not None else touched_customers(session, window),
        topic=_topic(window),
        payload=_payload(window),
        key=f"window:{window.id}:rev{window.sequence}:{event}",
        due_at=due_at,
        now=now,
        coalesce_key=f"window:{window.id}",
        merge=partial(_merge, policy=policy, now=now),
        expires_at=expires_at,
    )


def _merge(
    row: Notification,
    event: str,
    payload: dict,
    due_at: datetime,
    expires_at: datetime | None,
    *,
    policy: NotificationPolicy,
    now: datetime,
) -> Merged | None:
    """A later change to a window merged into a message not yet sent about it."""
    if row.event in _FIRST:
        if event == CANCELLED:
            return None  # they never heard of it: no need to hear it is off
        if event in (MOVED, EXTENDED, ANNOUNCED):
            fresh = {k: v for k, v in payload.items() if k not in ("previous", "reason")}
            due = row.due_at
            if row.event == ANNOUNCED:
                starts = datetime.fromisoformat(payload["window"]["starts_at"])
                due = max(now + policy.hold, starts - policy.lead_for(row.customer.tier))
            return Merged(row.event, fresh, due)
    if row.event in (MOVED, EXTENDED) and event in (MOVED, EXTENDED, CANCELLED):
        merged = dict(payload)
        if "previous" in row.payload:
            merged["previous"] = row.payload["previous"]
        window, previous = merged["window"], merged.get("previous")
        if (
            event != CANCELLED
            and previous
            and (
                (previous["starts_at"], previous["ends_at"])
                == (window["starts_at"], window["ends_at"])
            )
        ):
            return None  # moved and moved back before anyone was told
        if event == CANCELLED:
            merged.pop("previous", None)
            return Merged(CANCELLED, merged, due_at)
        return Merged(MOVED if MOVED in (row.event, event) else EXTENDED, merged, due_at)
    return Merged(event, payload, due_at, expires_at)


def _reminders(session: Session, window: Window, policy: NotificationPolicy, now: datetime):
    """This revision's reminders; the earlier revisions' ones that are still waiting go."""
    _cancel_reminders(session, window, now)
    topic = _topic(window)
    to = None
    for before in policy.reminders:
        due = window.starts_at - before
        if due < now:
            continue  # too late for this one: the announcement or a later reminder says it
        payload = _payload(window) | {"reminder_minutes": int(before.total_seconds() // 60)}
        payload.pop("previous", None)
        payload.pop("reason", None)
        if to is None:
            to = recipients(session, touched_customers(session, window), topic)
        notify(
            session,
            event=REMINDER,
            customers=[],
            to=to,
            topic=topic,
            payload=payload,
            key=f"window:{window.id}:rev{window.sequence}:reminder:{payload['reminder_minutes']}",
            due_at=due,
            now=now,
            coalesce_key=f"window:{window.id}:reminders",
            expires_at=window.starts_at,
        )


def _cancel_reminders(session: Session, window: Window, now: datetime) -> None:
    cancel_pending(
        session,
        coalesce_key=f"window:{window.id}:reminders",
        reason=f"superseded by revision {window.sequence}",
        now=now,
    )


def _iso(value: datetime) -> str:
    return value.isoformat()


def release_published(
    session: Session, release, *, now: datetime, customers: list[Customer] | None = None
) -> int:
    """Release notes to every customer (or `customers`): public items only, never the
    internal summaries, security items only once the embargo is lifted."""
    from rollout.releases import public_items

    if customers is None:
        customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    return notify(
        session,
        event="release.published",
        customers=customers,
        topic=Topic.RELEASE_NOTES,
        payload=_release_payload(release, public_items(release)),
        key=f"release:{release.version}:published",
        due_at=now,
        now=now,
    )


def release_completed(session: Session, release, *, now: datetime) -> int:
    """Once the release runs everywhere, the notes its first message lacked: security items
    (embargoed until now) and items added after it was published; nothing when there are
    none."""
    from rollout.releases import public_items

    published = session.scalar(
        select(Notification.payload)
        .where(Notification.dedupe_key == f"release:{release.version}:published")
        .limit(1)
    )
    told = {(i["kind"], i["note"]) for i in (published or {}).get("items", [])}
    items = [i for i in public_items(release) if (str(i.kind), i.public_note) not in told]
    if not items:
        return 0
    return notify(
        session,
        event="release.completed",
        customers=list(session.scalars(select(Customer).order_by(Customer.id))),
        topic=Topic.RELEASE_NOTES,
        payload=_release_payload(release, items),
        key=f"release:{release.version}:completed",
        due_at=now,
        now=now,
    )


def release_cancelled(session: Session, release, *, now: datetime) -> int:
    """Those who got a release's notes hear it is cancelled, if they still take release
    notes; notes still queued are withdrawn instead, so nobody first hears of a release by
    its cancellation."""
    published = f"release:{release.version}:published"
    cancel_pending(session, dedupe_key=published, reason="release cancelled", now=now)
    told = set(
        session.scalars(
            select(Notification.recipient).where(
                Notification.dedupe_key == published,
                Notification.status.in_((NotificationStatus.DELIVERED, NotificationStatus.SENDING)),
            )
        )
    )
    if not told:
        return 0
    customers = list(session.scalars(select(Customer).order_by(Customer.id)))
    return notify(
        session,
        event="release.cancelled",
        customers=customers,
        topic=Topic.RELEASE_NOTES,
        payload=_release_payload(release, []),
        key=f"release:{release.version}:cancelled",
        due_at=now,
        now=now,
        to=[r for r in recipients(session, customers, Topic.RELEASE_NOTES) if r.key in told],
    )


def _release_payload(release, items) -> dict:
    return {
        "release": {"version": release.version, "title": release.title},
        "items": [{"kind": str(i.kind), "note": i.public_note} for i in items],
        "notes_html": [i.public_html for i in items if i.public_html],
    }


def hotfix_scheduled(session: Session, hotfix, *, now: datetime) -> int:
    """Each customer the hotfix is scheduled for hears of it and of its own window; a
    per-customer patch reaches that customer alone."""
    from rollout.releases import DeploymentStatus

    windows: dict[int, Window] = {}
    for deployment in hotfix.deployments:
        if deployment.status != DeploymentStatus.SCHEDULED or deployment.window is None:
            continue
        customer_id = deployment.environment.customer_id
        known = windows.get(customer_id)
        if known is None or deployment.window.starts_at < known.starts_at:
            windows[customer_id] = deployment.window
    sent = 0
    for customer_id, window in windows.items():
        payload = _hotfix_payload(hotfix)
        payload["window"] = window_payload(window)
        sent += notify(
            session,
            event="hotfix.scheduled",
            customers=[session.get(Customer, customer_id)],
            topic=Topic.HOTFIXES,
            payload=payload,
            key=f"hotfix:{hotfix.id}:scheduled",
            due_at=now,
            now=now,
        )
    return sent


def hotfix_applied(
    session: Session, hotfix, *, now: datetime, customer_id: int | None = None
) -> int:
    """Each customer (or just `customer_id`) whose environments all run the hotfix now hears
    it once; safe to call after every reported outcome."""
    from rollout.customers import Environment
    from rollout.releases import Deployment, DeploymentStatus

    query = (
        select(Deployment)
        .join(Environment, Deployment.environment_id == Environment.id)
        .where(Deployment.hotfix_id == hotfix.id)
    )
    if customer_id is not None:
        query = query.where(Environment.customer_id == customer_id)
    by_customer: dict[int, list] = {}
    for deployment in session.scalars(query):
        by_customer.setdefault(deployment.environment.customer_id, []).append(deployment)
    sent = 0
    for customer, deployments in by_customer.items():
        if any(d.status != DeploymentStatus.SUCCEEDED for d in deployments):
            continue
        payload = _hotfix_payload(hotfix)
        payload["environments"] = sorted(d.environment.name for d in deployments)
        payload["applied_at"] = _iso(max(d.finished_at or now for d in deployments))
        sent += notify(
            session,
            event="hotfix.applied",
            customers=[session.get(Customer, customer)],
            topic=Topic.HOTFIXES,
            payload=payload,
            key=f"hotfix:{hotfix.id}:applied",
            due_at=now,
            now=now,
        )
    return sent


def ticket_fix_live(session: Session, ticket, *, bug, live_since: datetime, now: datetime) -> int:
    """The ticket's requester hears that the fix is live on their production (they become a
    contact for ticket updates if they were not one); the customer's endpoints too."""
    return tickets_fix_live(session, [(ticket, bug, live_since)], now=now)


def tickets_fix_live(
    session: Session, items: list[tuple[Ticket, Bug, datetime]], *, now: datetime
) -> int:
    """`ticket_fix_live` for each (ticket, bug, live_since): a few queries for a whole wave's
    tickets; returns how many messages were added."""
    if not items:
        return 0
    requesters = _requesters(session, [ticket for ticket, _, _ in items], now)
    customers = {ticket.customer_id: ticket.customer for ticket, _, _ in items}
    found = recipients(
        session, customers.values(), Topic.TICKET_UPDATES, contacts=set(requesters.values())
    )
    # An unsubscribed requester is left out by `recipients`: they get no email.
    by_contact = {r.contact_id: r for r in found if r.contact_id}
    endpoints: dict[int, list[Recipient]] = defaultdict(list)
    for recipient in found:
        if recipient.endpoint_id:
            endpoints[recipient.customer_id].append(recipient)
    messages = []
    for ticket, bug, live_since in items:
        requester = requesters.get(ticket.id)
        to = [by_contact[requester.id]] if requester and requester.id in by_contact else []
        payload = {
            "ticket": {
                "external_id": ticket.external_id,
                "subject": ticket.subject,
                "url": ticket.url,
            },
            "note": bug.public_note or "",
            "live_since": _iso(live_since),
        }
        # A fix rolled back and live again is news again; the same live time is not.
        key = f"ticket:{ticket.id}:bug:{bug.id}:fix_live:{_iso(live_since)}"
        messages.append(Message(to + endpoints[ticket.customer_id], payload, key))
    return notify_each(
        session, event="ticket.fix_live", topic=Topic.TICKET_UPDATES, messages=messages, now=now
    )


def _requesters(session: Session, tickets: list[Ticket], now: datetime) -> dict[int, Contact]:
    """Each ticket's requester as a contact of its customer by ticket id, those not yet one
    made one for ticket updates; tickets without a usable address are left out."""
    emails: dict[int, tuple[int, str]] = {}
    first: dict[tuple[int, str], Ticket] = {}
    for ticket in tickets:
        try:
            email = check_email(ticket.requester_email)
        except Invalid:
            continue
        emails[ticket.id] = (ticket.customer_id, email)
        first.setdefault(emails[ticket.id], ticket)
    if not first:
        return {}
    query = select(Contact).where(
        Contact.customer_id.in_(sorted({customer_id for customer_id, _ in first})),
        Contact.email.in_(sorted({email for _, email in first})),
    )
    # The query crosses customers with addresses: keep only the pairs asked for.
    contacts = {
        pair: contact
        for contact in session.scalars(query)
        if (pair := (contact.customer_id, contact.email)) in first
    }
    fresh = {
        pair: _new_requester(ticket, pair[1], now)
        for pair, ticket in first.items()
        if pair not in contacts
    }
    if fresh:
        session.add_all(fresh.values())
        session.flush()
        contacts |= fresh
    return {ticket_id: contacts[pair] for ticket_id, pair in emails.items()}


def _new_requester(ticket: Ticket, email: str, now: datetime) -> Contact:
    name = " ".join((ticket.requester_name or "").split()) or email.split("@")[0]
    return new_contact(
        ticket.customer,
        name=name[:200],
        email=email,
        role="ticket requester",
        subscriptions=[Topic.TICKET_UPDATES],
        now=now,
    )


def _hotfix_payload(hotfix) -> dict:
    return {
        "hotfix": {
            "id": hotfix.id,
            "title": hotfix.title,
            "patch": hotfix.is_patch,
            "note": hotfix.customer_note,
        },
        "notes_html": [hotfix.customer_html] if hotfix.customer_html else [],
    }
