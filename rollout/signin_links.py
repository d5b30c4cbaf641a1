"""Customer contacts sign in by an emailed one-time link: it works once, within 15 minutes,
and only a SHA-256 of its secret is kept, so a leaked table signs no one in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from rollout.access import hash_token
from rollout.db import Base, UTCDateTime
from rollout.errors import Conflict, Invalid, NotFound
from rollout.i18n import N_, translations
from rollout.notifications.addresses import check_email
from rollout.notifications.models import Contact
from rollout.throttle import SigninLimits, throttled_signin

LINK_LIFETIME = timedelta(minutes=15)
# Used and expired links are kept this long, so a late click is told "used" or "expired"
# rather than "not a link of ours".
KEEP_SPENT = timedelta(days=1)

# In English; the sign-in pages show them in the reader's language.
UNKNOWN = N_("This sign-in link is not one we sent, or part of it was lost when it was copied.")
EXPIRED = N_("This sign-in link has expired: each link works for 15 minutes after it is sent.")
USED = N_("This sign-in link has already been used: each link works only once.")


class SigninLink(Base):
    __tablename__ = "signin_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contact.id", ondelete="CASCADE"), index=True
    )
    # 256 random bits: a plain SHA-256 is enough, and lookups stay one indexed query.
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    contact: Mapped[Contact] = relationship(lazy="joined")


@dataclass(frozen=True)
class IssuedLink:
    """A link just made, with its secret: it goes into one email and is never shown again."""

    contact: Contact
    secret: str


def request_signin_links(
    session: Session, *, email: str, client: str, limits: SigninLimits, now: datetime
) -> list[IssuedLink]:
    """A link for each contact with this address (one per customer it speaks for); none for an
    unknown address, so the caller can answer the same either way. Every request counts
    against the address's and the client's sign-in limits (TooManyAttempts), known or not:
    each one may send an email."""
    address = check_email(email).lower()
    issued: list[IssuedLink] = []

    def issue() -> None:
        for contact in session.scalars(
            select(Contact).where(func.lower(Contact.email) == address).order_by(Contact.id)
        ):
            secret = secrets.token_urlsafe(32)
            session.add(
                SigninLink(
                    contact=contact,
                    secret_hash=hash_token(secret),
                    created_at=now,
                    expires_at=now + LINK_LIFETIME,
                )
            )
            issued.append(IssuedLink(contact, secret))
        return None  # counted like a failure: the limits are on requests, not on mistakes

    # Its own account name, so asking for links and failing a staff password never add up.
    throttled_signin(
        session,
        account=f"signin-link:{address}",
        client=client,
        limits=limits,
        now=now,
        attempt=issue,
    )
    session.execute(delete(SigninLink).where(SigninLink.expires_at <= now - KEEP_SPENT))
    session.flush()
    return issued


def check_signin_link(session: Session, secret: str, *, now: datetime) -> SigninLink:
    """The link with this secret while it can still be used; otherwise NotFound, Invalid
    (expired) or Conflict (used), each saying so in plain words."""
    link = session.scalar(select(SigninLink).where(SigninLink.secret_hash == hash_token(secret)))
    if link is None:
        raise NotFound(UNKNOWN, field="link")
    if link.used_at is not None:
        raise Conflict(USED, field="link")
    if link.expires_at <= now:
        raise Invalid(EXPIRED, field="link")
    return link


def consume_signin_link(session: Session, secret: str, *, now: datetime) -> Contact:
    """Use the link: its contact, once. Two at the same moment: one wins, the other is told
    the link was used (Conflict), because the claim is a single conditional UPDATE."""
    digest = hash_token(secret)
    claimed = session.execute(
        update(SigninLink)
        .where(
            SigninLink.secret_hash == digest,
            SigninLink.used_at.is_(None),
            SigninLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        check_signin_link(session, secret, now=now)  # raises, naming why
    link = session.scalar(
        select(SigninLink)
        .where(SigninLink.secret_hash == digest)
        .execution_options(populate_existing=True)
    )
    return link.contact


def may_manage(role: str) -> bool:
    """Whether a contact with this role manages the customer's contacts and webhooks: those
    whose role reads `admin` (any case; the role is free text); others only read."""
    return role.strip().lower() == "admin"


@dataclass(frozen=True)
class LinkEmail:
    subject: str
    text: str


def link_email(name: str, links: list[tuple[str, str]], *, locale: str = "en") -> LinkEmail:
    """The email carrying the links, as (customer name, address) pairs: one per customer, in
    the contact's language."""
    _ = translations(locale).gettext
    lines = [
        _("Hello %(name)s,") % {"name": name},
        "",
        _("Someone, probably you, asked to sign in to Rollout."),
    ]
    if len(links) == 1:
        opening = _("Open this link to sign in for %(customer)s:") % {"customer": links[0][0]}
        lines += ["", opening, links[0][1]]
    else:
        lines += ["", _("Your address is a contact of several customers. Sign in for one of them:")]
        for customer, url in links:
            lines += ["", _("%(customer)s:") % {"customer": customer}, url]
    lines += [
        "",
        _(
            "Each link works once, within 15 minutes. If you did not ask for it, ignore this "
            "email: nobody can sign in without the link."
        ),
    ]
    return LinkEmail(subject=_("Your Rollout sign-in link"), text="\n".join(lines) + "\n")
