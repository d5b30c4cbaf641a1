"""Freezes and the deploy check pipelines call before they touch anything."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from rollout import freezes
from rollout.customers import get_customer, get_region
from rollout.deploy_check import check_deploy
from web.api import body, instant_arg, int_id
from web.api.schemas import FreezeIn
from web.api.serialize import freeze_json, verdict_json
from web.auth import ANY_ROLE, PLANNING, STAFF_ONLY, principal, require
from web.database import db, now

blueprint = Blueprint("freezes_api", __name__, url_prefix="/api/v1")


@blueprint.get("/freezes")
@require(*STAFF_ONLY)
def list_freezes():
    region = request.args.get("region")
    customer = request.args.get("customer")
    found = freezes.list_freezes(
        db(),
        start=instant_arg("from"),
        end=instant_arg("to"),
        region_id=get_region(db(), region).id if region else None,
        customer_id=get_customer(db(), customer).id if customer else None,
    )
    return jsonify(items=[freeze_json(f) for f in found])


@blueprint.post("/freezes")
@require(*PLANNING)
def create_freeze():
    data = body(FreezeIn)
    freeze = freezes.create_freeze(db(), **data.model_dump(), actor=principal().actor, now=now())
    db().commit()
    return jsonify(freeze_json(freeze)), 201


@blueprint.delete("/freezes/<freeze_id>")
@require(*PLANNING)
def delete_freeze(freeze_id: str):
    freezes.delete_freeze(db(), int_id(freeze_id))
    db().commit()
    return "", 204


@blueprint.get("/deploy-check")
@require(*ANY_ROLE)
def deploy_check():
    """May a pipeline deploy to this region or customer at `at` (default now)?"""
    who = principal()
    customer = request.args.get("customer") or None
    if customer is not None:
        who.check_customer(get_customer(db(), customer))
    elif not who.is_staff:
        customer = who.customer.slug
    verdict = check_deploy(
        db(),
        at=instant_arg("at", now()),
        region=request.args.get("region") or None,
        customer=customer,
    )
    return jsonify(verdict_json(verdict, staff=who.is_staff))
