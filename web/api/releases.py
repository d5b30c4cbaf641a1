"""Releases and their waves, deployment outcomes, hotfixes, and customer environments."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from rollout import releases
from rollout.customers import get_customer
from rollout.errors import Invalid
from rollout.releases.releases import JIRA_KEY
from web.api import body, int_id
from web.api.schemas import (
    DeploymentPatch,
    DeploymentReport,
    HotfixIn,
    ItemIn,
    ReleaseIn,
    ReleasePatch,
    WavePatch,
)
from web.api.serialize import (
    deployment_json,
    environment_json,
    environment_state_json,
    hotfix_json,
    item_json,
    release_json,
    wave_json,
)
from web.auth import ANY_ROLE, PLANNING, STAFF_ONLY, audience, principal, require
from web.database import context, db, now

blueprint = Blueprint("releases_api", __name__, url_prefix="/api/v1")


@blueprint.get("/releases")
def list_releases():
    """Public, newest first; only staff see internal summaries and embargoed items."""
    staff = audience().staff
    return jsonify(items=[release_json(r, staff=staff) for r in releases.list_releases(db())])


@blueprint.post("/releases")
@require(*PLANNING)
def create_release():
    data = body(ReleaseIn)
    release = releases.create_release(db(), **data.model_dump(), now=now())
    db().commit()
    return jsonify(release_json(release, staff=True)), 201


@blueprint.get("/releases/<version>")
def get_release(version: str):
    """Public; only staff see internal summaries and embargoed items."""
    release = releases.get_release(db(), version)
    return jsonify(release_json(release, staff=audience().staff))


@blueprint.patch("/releases/<version>")
@require(*PLANNING)
def update_release(version: str):
    data = body(ReleasePatch)
    release = releases.update_release(
        db(),
        version,
        expected_revision=data.revision,
        title=data.title,
        soak_days=data.soak_days,
        cancel=data.status == "cancelled",
        now=now(),
    )
    db().commit()
    return jsonify(release_json(release, staff=True))


@blueprint.post("/releases/<version>/items")
@require(*PLANNING)
def add_item(version: str):
    data = body(ItemIn)
    item = releases.add_item(db(), version, **data.model_dump(), now=now())
    db().commit()
    return jsonify(item_json(item)), 201


@blueprint.post("/releases/<version>/plan")
@require(*PLANNING)
def plan_release(version: str):
    """Replace the release's waves with a fresh proposal and answer them."""
    release = releases.plan_release(db(), version, actor=principal().actor, now=now())
    db().commit()
    return jsonify(items=[wave_json(w) for w in release.waves])


@blueprint.get("/releases/<version>/waves")
@require(*STAFF_ONLY)
def list_waves(version: str):
    """Staff only: waves name the customers in them."""
    release = releases.get_release(db(), version)
    return jsonify(items=[wave_json(w) for w in release.waves])


@blueprint.patch("/waves/<wave_id>")
@require(*PLANNING)
def move_wave(wave_id: str):
    data = body(WavePatch)
    wave = releases.move_wave(db(), int_id(wave_id), window_id=data.window, now=now())
    db().commit()
    return jsonify(wave_json(wave))


@blueprint.post("/deployments")
@require(*PLANNING)
def report_deployments():
    """A pipeline reports one environment's outcome, or the same outcome for a whole wave."""
    data = body(DeploymentReport)
    outcome = {"status": data.status, "note": data.note, "actor": principal().actor, "now": now()}
    if _whole_wave(data):
        reported = releases.report_wave(db(), data.wave, **outcome)
    else:
        deployment = releases.find_deployment(
            db(),
            environment=data.environment,
            release=data.release,
            hotfix=data.hotfix,
            wave=data.wave,
        )
        reported = [releases.report_outcome(db(), deployment, **outcome)]
    db().commit()
    return jsonify(items=[deployment_json(d) for d in reported])


@blueprint.patch("/deployments/<deployment_id>")
@require(*PLANNING)
def update_deployment(deployment_id: str):
    """A later outcome for one deployment; `rolled_back` puts the environment back."""
    data = body(DeploymentPatch)
    deployment = releases.get_deployment(db(), int_id(deployment_id))
    releases.report_outcome(
        db(), deployment, status=data.status, note=data.note, actor=principal().actor, now=now()
    )
    db().commit()
    return jsonify(deployment_json(deployment))


@blueprint.post("/hotfixes")
@require(*PLANNING)
def request_hotfix():
    data = body(HotfixIn)
    hotfix = releases.request_hotfix(db(), **data.model_dump(), actor=principal().actor, now=now())
    db().commit()
    return jsonify(hotfix_json(hotfix, staff=True)), 201


@blueprint.get("/hotfixes")
@require(*ANY_ROLE)
def list_hotfixes():
    """Staff see all; a customer those for everyone and its own patches, without internals."""
    who = principal()
    found = releases.list_hotfixes(db(), customer=None if who.is_staff else who.customer)
    return jsonify(items=[hotfix_json(h, staff=who.is_staff) for h in found])


@blueprint.post("/hotfixes/<hotfix_id>/approve")
@require(*PLANNING)
def approve_hotfix(hotfix_id: str):
    """A second release manager approves; the requester cannot."""
    hotfix = releases.approve_hotfix(
        db(), int_id(hotfix_id), actor=principal().actor, now=now(), context=context()
    )
    db().commit()
    return jsonify(hotfix_json(hotfix, staff=True))


@blueprint.get("/customers/<slug>/environments")
@require(*ANY_ROLE)
def customer_environments(slug: str):
    """What each environment runs, what it got on top, what comes next, and its history."""
    who = principal()
    who.check_customer(get_customer(db(), slug))
    states = releases.environment_states(db(), slug)
    return jsonify(items=[environment_state_json(s, staff=who.is_staff) for s in states])


@blueprint.get("/environments")
@require(*STAFF_ONLY)
def environments_with_fix():
    """Environments whose live release or hotfix carries the fix for Jira key `fix`."""
    fix = request.args.get("fix", "")
    if not JIRA_KEY.fullmatch(fix):
        raise Invalid("give the Jira key of the fix, e.g. ?fix=OPS-123", field="fix")
    found = releases.environments_with_fix(db(), fix)
    return jsonify(items=[environment_json(e) for e in found])


def _whole_wave(data: DeploymentReport) -> bool:
    """Whether the report names a whole wave; refuse a target that says two things."""
    if data.environment is None:
        if data.wave is None:
            raise Invalid(
                "name the environment (with its release or hotfix) or the whole wave",
                field="environment",
            )
        if data.release is not None or data.hotfix is not None:
            raise Invalid(
                "a whole wave is named by wave alone; release and hotfix go with environment",
                field="release" if data.release is not None else "hotfix",
            )
        return True
    if data.release is not None and data.hotfix is not None:
        raise Invalid("name the release or the hotfix, not both", field="hotfix")
    return False
