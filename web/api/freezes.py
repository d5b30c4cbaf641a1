"""Freezes and customer event plans: spans in which nothing is deployed."""

from __future__ import annotations

from flask import Blueprint

from rollout import freezes
from rollout.customers import get_customer, get_region
from rollout.freeze_cover import declare_freeze
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import FreezeQuery
from web.api.schemas import FreezeIn
from web.auth import principal
from web.database import context, db, now

blueprint = Blueprint("freezes_api", __name__, url_prefix="/api/v1")


def list_freezes(args: FreezeQuery):
    found = freezes.list_freezes(
        db(),
        start=args.from_,
        end=args.to,
        region_id=get_region(db(), args.region).id if args.region else None,
        customer_id=get_customer(db(), args.customer).id if args.customer else None,
    )
    return [r.Freeze.read(f) for f in found]


def create_freeze(data: FreezeIn):
    declared = declare_freeze(
        db(), **data.model_dump(), actor=principal().actor, now=now(), context=context()
    )
    db().commit()
    return r.Freeze.declared(declared)


def delete_freeze(freeze_id: str):
    freezes.delete_freeze(db(), int_id(freeze_id))
    db().commit()
