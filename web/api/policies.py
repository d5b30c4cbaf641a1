"""Maintenance policies: the recurring rules windows are planned from."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from rollout import windows
from web.api import body, int_id
from web.api.schemas import PolicyIn, PolicyPatch
from web.api.serialize import policy_json
from web.auth import PLANNING, STAFF_ONLY, principal, require
from web.database import context, db, now

blueprint = Blueprint("policies_api", __name__, url_prefix="/api/v1")


@blueprint.get("/policies")
@require(*STAFF_ONLY)
def list_policies():
    found = windows.list_policies(db(), region=request.args.get("region") or None)
    return jsonify(items=[policy_json(p) for p in found])


@blueprint.post("/policies")
@require(*PLANNING)
def create_policy():
    data = body(PolicyIn)
    policy = windows.create_policy(db(), **data.model_dump(), actor=principal().actor, now=now())
    db().commit()
    return jsonify(policy_json(policy)), 201


@blueprint.get("/policies/<policy_id>")
@require(*STAFF_ONLY)
def get_policy(policy_id: str):
    return jsonify(policy_json(windows.get_policy(db(), int_id(policy_id))))


@blueprint.patch("/policies/<policy_id>")
@require(*PLANNING)
def update_policy(policy_id: str):
    changes = body(PolicyPatch).model_dump(exclude_unset=True)
    policy = windows.update_policy(
        db(),
        int_id(policy_id),
        expected_version=changes.pop("version", None),
        clear_active_until="active_until" in changes and changes["active_until"] is None,
        **changes,
        actor=principal().actor,
        now=now(),
        context=context(),
    )
    db().commit()
    return jsonify(policy_json(policy))
