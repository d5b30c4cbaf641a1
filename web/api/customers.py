"""Regions and customers."""

from __future__ import annotations

from flask import Blueprint

from rollout import customers, feeds
from web.api import responses as r
from web.api.queries import CustomerQuery, Page, page_of
from web.api.schemas import CustomerIn, CustomerPatch, RegionIn, RegionPatch
from web.auth import principal
from web.database import db, now, public_url, secret_key

blueprint = Blueprint("customers_api", __name__, url_prefix="/api/v1")


def list_regions():
    """Public: every hosting region and its zone."""
    return [r.Region.read(region) for region in customers.list_regions(db())]


def create_region(data: RegionIn):
    region = customers.create_region(db(), **data.model_dump(), now=now())
    db().commit()
    return r.Region.read(region)


def update_region(slug: str, data: RegionPatch):
    region = customers.update_region(db(), slug, **data.model_dump(exclude_unset=True))
    db().commit()
    return r.Region.read(region)


def list_customers(args: CustomerQuery):
    """A page of customers by slug; the cursor is the last one's id."""
    found = customers.list_customers(
        db(),
        region=args.region,
        after=args.cursor[0] if args.cursor else None,
        limit=args.limit + 1,
    )
    page = page_of(found, args.limit, lambda customer: (customer.id,))
    return Page([r.Customer.read(c) for c in page.items], page.next_cursor)


def create_customer(data: CustomerIn):
    customer = customers.create_customer(db(), **data.model_dump(), now=now())
    db().commit()
    return r.Customer.read(customer)


def get_customer(slug: str):
    customer = customers.get_customer(db(), slug)
    principal().check_customer(customer)
    return r.Customer.read(customer)


def update_customer(slug: str, data: CustomerPatch):
    changes = data.model_dump(exclude_unset=True)
    customer = customers.update_customer(
        db(), slug, expected_version=data.revision_read(changes), **changes, now=now()
    )
    db().commit()
    return r.Customer.read(customer)


def rotate_feed_token(slug: str):
    """Create or rotate the customer's private feed; the URL is shown only in this answer."""
    principal().check_customer(customers.get_customer(db(), slug))
    token, plaintext = feeds.rotate_feed_token(db(), slug, now=now(), key=secret_key())
    db().commit()
    url = f"{public_url()}/calendars/customers/{plaintext}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return r.FeedToken(customer=slug, url=url, webcal_url=webcal, created_at=token.created_at)
