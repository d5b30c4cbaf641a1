"""Small builders of test data; each takes overrides for what a test cares about."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from rollout import access, customers, windows
from rollout.customers import Customer, Region
from rollout.events import Context
from rollout.notifications import DEFAULT_POLICY
from tests.conftest import NOW

_token_numbers = itertools.count(1)
# What the app passes its use cases, with the default notification policy.
CONTEXT = Context(notification_policy=DEFAULT_POLICY)
ZONES = {"us": "America/New_York", "eu": "Europe/Dublin", "apac": "Australia/Sydney"}


def make_region(session: Session, slug: str = "us", **overrides) -> Region:
    fields = {"name": f"Region {slug}", "timezone": ZONES.get(slug, "UTC"), "now": NOW}
    return customers.create_region(session, slug=slug, **(fields | overrides))


def make_customer(
    session: Session, slug: str = "acme", region: str = "us", **overrides
) -> Customer:
    fields = {"name": slug.title(), "tier": "standard", "now": NOW}
    return customers.create_customer(session, slug=slug, region=region, **(fields | overrides))


def make_policy(session: Session, region: str = "us", *, now: datetime = NOW, **overrides):
    fields = {
        "title": "Monthly maintenance",
        "cron": "0 9 * * 6#2",
        "duration_minutes": 120,
        "actor": "test",
    }
    return windows.create_policy(session, region=region, now=now, **(fields | overrides))


def two_regions_with_customers(session: Session, *, now: datetime) -> None:
    """Regions us (New York) and eu (Dublin) on the monthly policy, with Acme (gold) in us and
    Globex (gold) in eu: what the browser tests plan releases and hotfixes over."""
    for region, customer in (("us", "acme"), ("eu", "globex")):
        make_region(session, region, now=now)
        make_policy(session, region, now=now, actor="planner")
        make_customer(session, customer, region, tier="gold", now=now)


def make_token(
    session: Session, role: str = "admin", customer: str | None = None, name: str | None = None
) -> str:
    """A bearer token; each gets its own actor name unless `name` makes two the same person."""
    name = name or f"{role} token {next(_token_numbers)}"
    _, plaintext = access.create_token(session, name=name, role=role, customer=customer, now=NOW)
    return plaintext


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
