"""Maintenance policies: the recurring rules windows are planned from."""

from __future__ import annotations

from flask import Blueprint

from rollout import windows
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import RegionQuery
from web.api.schemas import PolicyIn, PolicyPatch
from web.auth import principal
from web.database import context, db, now

blueprint = Blueprint("policies_api", __name__, url_prefix="/api/v1")


def list_policies(args: RegionQuery):
    return [r.Policy.read(p) for p in windows.list_policies(db(), region=args.region)]


def create_policy(data: PolicyIn):
    policy = windows.create_policy(db(), **data.model_dump(), actor=principal().actor, now=now())
    db().commit()
    return r.Policy.read(policy)


def get_policy(policy_id: str):
    return r.Policy.read(windows.get_policy(db(), int_id(policy_id)))


def update_policy(policy_id: str, data: PolicyPatch):
    changes = data.model_dump(exclude_unset=True)
    policy = windows.update_policy(
        db(),
        int_id(policy_id),
        expected_version=data.revision_read(changes),
        clear_active_until="active_until" in changes and changes["active_until"] is None,
        **changes,
        actor=principal().actor,
        now=now(),
        context=context(),
    )
    db().commit()
    return r.Policy.read(policy)
