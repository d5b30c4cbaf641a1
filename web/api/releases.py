"""Releases and their waves, deployment outcomes, hotfixes, and customer environments."""

from __future__ import annotations

from flask import Blueprint

from rollout import releases
from rollout.customers import get_customer
from rollout.errors import Invalid
from web.api import responses as r
from web.api.inputs import int_id
from web.api.queries import FixQuery
from web.api.schemas import (
    ApprovalIn,
    DeploymentPatch,
    DeploymentReport,
    HotfixIn,
    ItemIn,
    ReleaseIn,
    ReleasePatch,
    WavePatch,
)
from web.auth import audience, principal
from web.database import context, db, now

blueprint = Blueprint("releases_api", __name__, url_prefix="/api/v1")


def list_releases():
    """Public, newest first; only staff see internal summaries and embargoed items."""
    view = r.Release if audience().staff else r.PublicRelease
    return [view.of(release) for release in releases.list_releases(db())]


def create_release(data: ReleaseIn):
    release = releases.create_release(db(), **data.model_dump(), now=now())
    db().commit()
    return r.Release.of(release)


def get_release(version: str):
    """Public; only staff see internal summaries and embargoed items."""
    release = releases.get_release(db(), version)
    return (r.Release if audience().staff else r.PublicRelease).of(release)


def update_release(version: str, data: ReleasePatch):
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
    return r.Release.of(release)


def add_item(version: str, data: ItemIn):
    item = releases.add_item(db(), version, **data.model_dump(), now=now())
    db().commit()
    return r.ReleaseItem.read(item)


def plan_release(version: str):
    """Replace the release's waves with a fresh proposal and answer them."""
    release = releases.plan_release(db(), version, actor=principal().actor, now=now())
    db().commit()
    return [r.Wave.of(w) for w in release.waves]


def list_waves(version: str):
    """Staff only: waves name the customers in them."""
    return [r.Wave.of(w) for w in releases.get_release(db(), version).waves]


def move_wave(wave_id: str, data: WavePatch):
    wave = releases.move_wave(db(), int_id(wave_id), window_id=data.window, now=now())
    db().commit()
    return r.Wave.of(wave)


def report_deployments(data: DeploymentReport):
    """A pipeline reports one environment's outcome, or the same outcome for a whole wave."""
    outcome = _outcome(data)
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
    return [r.Deployment.of(d) for d in reported]


def update_deployment(deployment_id: str, data: DeploymentPatch):
    """A later outcome for one deployment; `rolled_back` puts the environment back."""
    deployment = releases.get_deployment(db(), int_id(deployment_id))
    releases.report_outcome(db(), deployment, **_outcome(data))
    db().commit()
    return r.Deployment.of(deployment)


def deployment_history(deployment_id: str):
    """Every outcome reported for one deployment, oldest first, early ones with their reason."""
    deployment = releases.get_deployment(db(), int_id(deployment_id))
    return [r.DeploymentOutcome.of(o) for o in releases.deployment_history(db(), deployment)]


def request_hotfix(data: HotfixIn):
    hotfix = releases.request_hotfix(db(), **data.model_dump(), actor=principal().actor, now=now())
    db().commit()
    return r.Hotfix.of(hotfix)


def list_hotfixes():
    """Staff see all; a customer those for everyone and its own patches, without internals."""
    who = principal()
    found = releases.list_hotfixes(db(), customer=None if who.is_staff else who.customer)
    view = r.Hotfix if who.is_staff else r.PublicHotfix
    return [view.of(h) for h in found]


def approve_hotfix(hotfix_id: str, data: ApprovalIn):
    """A second release manager approves; the requester cannot."""
    hotfix = releases.approve_hotfix(
        db(), int_id(hotfix_id), **data.model_dump(), **_who(), context=context()
    )
    db().commit()
    return r.Hotfix.of(hotfix)


def preview_approval(hotfix_id: str, data: ApprovalIn):
    """Where approving would put each emergency window; nothing is written."""
    slots = releases.preview_approval(
        db(), int_id(hotfix_id), **data.model_dump(), **_who(), context=context()
    )
    return [r.EmergencySlot.of(s) for s in slots]


def _who() -> dict:
    return {"actor": principal().actor, "now": now()}


def customer_environments(slug: str):
    """What each environment runs, what it got on top, what comes next, and its history."""
    who = principal()
    who.check_customer(get_customer(db(), slug))
    view = r.EnvironmentState if who.is_staff else r.PublicEnvironmentState
    return [view.of(state) for state in releases.environment_states(db(), slug)]


def environments_with_fix(args: FixQuery):
    """Environments whose live release or hotfix carries the fix for Jira key `fix`."""
    return [r.Environment.read(e) for e in releases.environments_with_fix(db(), args.fix)]


def _outcome(data: DeploymentReport | DeploymentPatch) -> dict:
    return {
        "status": data.status,
        "note": data.note,
        "early": data.early,
        "early_reason": data.early_reason,
        "actor": principal().actor,
        "now": now(),
    }


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
