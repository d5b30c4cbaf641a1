"""Regions and customers."""

from __future__ import annotations

from flask import Blueprint, jsonify

from rollout import customers, feeds
from rollout.access import Role
from web.api import body
from web.api.schemas import CustomerIn, CustomerPatch, RegionIn
from web.api.serialize import customer_json, region_json, utc
from web.auth import ANY_ROLE, PLANNING, STAFF_ONLY, principal, require
from web.database import db, now, public_url

blueprint = Blueprint("customers_api", __name__, url_prefix="/api/v1")


@blueprint.get("/regions")
def list_regions():
    """Public: every hosting region and its zone."""
    return jsonify(items=[region_json(r) for r in customers.list_regions(db())])


@blueprint.post("/regions")
@require(*PLANNING)
def create_region():
    data = body(RegionIn)
    region = customers.create_region(db(), **data.model_dump(), now=now())
    db().commit()
    return jsonify(region_json(region)), 201


@blueprint.get("/customers")
@require(*STAFF_ONLY)
def list_customers():
    return jsonify(items=[customer_json(c) for c in customers.list_customers(db())])


@blueprint.post("/customers")
@require(*PLANNING)
def create_customer():
    data = body(CustomerIn)
    customer = customers.create_customer(db(), **data.model_dump(), now=now())
    db().commit()
    return jsonify(customer_json(customer)), 201


@blueprint.get("/customers/<slug>")
@require(*ANY_ROLE)
def get_customer(slug: str):
    customer = customers.get_customer(db(), slug)
    principal().check_customer(customer)
    return jsonify(customer_json(customer))


@blueprint.patch("/customers/<slug>")
@require(*PLANNING)
def update_customer(slug: str):
    data = body(CustomerPatch)
    changes = data.model_dump(exclude_unset=True)
    customer = customers.update_customer(
        db(), slug, expected_version=changes.pop("version", None), **changes, now=now()
    )
    db().commit()
    return jsonify(customer_json(customer))


@blueprint.post("/customers/<slug>/feed-token")
@require(Role.ADMIN, Role.RELEASE_MANAGER, Role.CUSTOMER)
def rotate_feed_token(slug: str):
    """Create or rotate the customer's private feed; the URL is shown only in this answer."""
    principal().check_customer(customers.get_customer(db(), slug))
    token, plaintext = feeds.rotate_feed_token(db(), slug, now=now())
    db().commit()
    url = f"{public_url()}/calendars/customers/{plaintext}.ics"
    return jsonify(
        customer=slug,
        url=url,
        webcal_url="webcal://" + url.split("://", 1)[1],
        created_at=utc(token.created_at),
    ), 201
