"""The release manager's pages: releases with their items and waves, outcomes, and hotfixes.
Every signed-in staff member reads them; only planners change anything."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from rollout import releases
from rollout.access import PLANNERS
from rollout.customers import Region, list_customers
from rollout.errors import DomainError, NotFound
from rollout.releases import (
    Deployment,
    DeploymentStatus,
    Hotfix,
    HotfixStatus,
    Release,
    ReleaseStatus,
    Wave,
)
from rollout.windows import Audience, Window, WindowKind, WindowStatus, list_windows
from web.auth import principal
from web.database import context, db, now
from web.pages.charts import done_chart
from web.pages.display import local_and_utc, local_input, span_text, utc_iso
from web.pages.forms import (
    ITEM_KINDS,
    OUTCOMES,
    ApprovalForm,
    HotfixForm,
    ItemForm,
    MoveWaveForm,
    OutcomeForm,
    ReleaseForm,
    RevisionForm,
    in_zone,
    refuse,
    shows_refused_form,
)
from web.pages.releases import PUBLIC
from web.pages.signin import staff_page

blueprint = Blueprint("release_admin", __name__, url_prefix="/staff")

CLOSED = {ReleaseStatus.COMPLETED, ReleaseStatus.CANCELLED}
PLANNABLE = {ReleaseStatus.DRAFT, ReleaseStatus.SCHEDULED}
BOARD_WORDS = {
    "done": "done",
    "in_progress": "in progress",
    "failed": "failed",
    "rolled_back": "rolled back",
    "late": "late",
    "scheduled": "scheduled",
}
OPEN_HOTFIX = {HotfixStatus.SCHEDULED, HotfixStatus.APPLIED}  # outcomes may be recorded
# How far ahead a wave may be moved: the planning horizon is 18 months, a year is plenty.
MOVE_AHEAD = timedelta(days=366)
# A wave's environments, each with its own outcome form, beyond which the page gets unwieldy;
# the wave's form or the API records the rest.
SHOWN_DEPLOYMENTS = 100


# Releases


@blueprint.get("/releases")
@staff_page()
def release_list():
    """Every release, drafts included, newest first; planners get the new-release form."""
    return _list_page(ReleaseForm(formdata=None) if _can_plan() else None)


@blueprint.post("/releases")
@shows_refused_form
@staff_page(*PLANNERS)
def create_release():
    """A new draft release."""
    form = ReleaseForm()
    if not form.validate():
        return _list_page(form), 422
    try:
        created = releases.create_release(
            db(),
            version=form.version.data.strip(),
            title=form.title.data,
            soak_days=form.soak_days.data,
            now=now(),
        )
    except DomainError as exc:
        db().rollback()
        status = refuse(form, exc)
        return _list_page(form), status
    db().commit()
    flash(f"Release {created.version} created as a draft.", "success")
    return redirect(url_for(".release", version=created.version))


@blueprint.get("/releases/<version>")
@staff_page()
def release(version: str):
    """One release: items with their internal detail, waves, deployments and the forms."""
    return _release_page(releases.get_release(db(), version))


@blueprint.post("/releases/<version>/items")
@shows_refused_form
@staff_page(*PLANNERS)
def add_item(version: str):
    """Add an item; its public note is rendered and sanitized by the domain."""
    found = releases.get_release(db(), version)
    form = ItemForm(prefix="item")
    return _submit(
        found,
        "item",
        form,
        lambda: releases.add_item(
            db(),
            version,
            kind=form.kind.data,
            summary=form.summary.data,
            public_note=form.public_note.data,
            jira_key=(form.jira_key.data or "").strip() or None,
            now=now(),
        ),
        "Item added.",
        "#items",
    )


@blueprint.post("/releases/<version>/plan")
@staff_page(*PLANNERS)
def plan(version: str):
    """Propose the waves afresh: preview first, then production after the soak time."""
    found = releases.get_release(db(), version)
    form = FlaskForm(prefix="plan")
    return _submit(
        found,
        "plan",
        form,
        lambda: releases.plan_release(db(), version, actor=principal().actor, now=now()),
        "Waves planned; review them below.",
        "#waves",
    )


@blueprint.post("/releases/<version>/cancel")
@staff_page(*PLANNERS)
def cancel(version: str):
    """Cancel the release as the revision the editor saw."""
    found = releases.get_release(db(), version)
    # No prefix: the confirmation step (confirm_action) posts plain `revision` and CSRF names.
    form = RevisionForm()
    return _submit(
        found,
        "cancel",
        form,
        lambda: releases.update_release(
            db(), version, expected_revision=form.revision.data, cancel=True, now=now()
        ),
        f"Release {version} cancelled.",
    )


@blueprint.post("/releases/<version>/waves/<int:wave_id>/move")
@shows_refused_form
@staff_page(*PLANNERS)
def move_wave(version: str, wave_id: int):
    """Put a wave in another of its region's regular windows."""
    found, wave = _wave(version, wave_id)
    form = MoveWaveForm(prefix=f"move-{wave_id}").offer(_move_choices(wave))
    return _submit(
        found,
        f"move-{wave_id}",
        form,
        lambda: releases.move_wave(db(), wave_id, window_id=form.window.data, now=now()),
        f"Wave {wave.position} moved.",
        f"#wave-{wave_id}",
    )


@blueprint.post("/releases/<version>/waves/<int:wave_id>/outcome")
@shows_refused_form
@staff_page(*PLANNERS)
def wave_outcome(version: str, wave_id: int):
    """The same outcome for every environment of a wave, all or nothing."""
    found, wave = _wave(version, wave_id)
    key = f"wave-{wave_id}"
    form = OutcomeForm(prefix=key)
    return _submit(
        found,
        key,
        form,
        lambda: releases.report_wave(db(), wave_id, **_outcome(form)),
        f"Wave {wave.position} recorded as {_recorded(form)}.",
        f"#wave-{wave_id}",
    )


@blueprint.post("/releases/<version>/deployments/<int:deployment_id>/outcome")
@shows_refused_form
@staff_page(*PLANNERS)
def deployment_outcome(version: str, deployment_id: int):
    """What happened to one environment, a rollback included."""
    found = releases.get_release(db(), version)
    deployment = releases.get_deployment(db(), deployment_id)
    if deployment.release_id != found.id:
        raise NotFound(f"no deployment #{deployment_id} in release {version}", field="id")
    key = f"deployment-{deployment_id}"
    form = OutcomeForm(prefix=key)
    return _submit(
        found,
        key,
        form,
        lambda: releases.report_outcome(db(), deployment, **_outcome(form)),
        f"{deployment.environment.name} recorded as {_recorded(form)}.",
        f"#deployment-{deployment_id}",
    )


@blueprint.get("/hotfixes/<int:hotfix_id>")
@staff_page()
def hotfix(hotfix_id: int):
    """One hotfix or patch: its windows and each environment's deployment, with outcomes."""
    return _hotfix_page(releases.get_hotfix(db(), hotfix_id))


@blueprint.post("/hotfixes/<int:hotfix_id>/deployments/<int:deployment_id>/outcome")
@shows_refused_form
@staff_page(*PLANNERS)
def hotfix_outcome(hotfix_id: int, deployment_id: int):
    """What happened to one environment's hotfix, a rollback included."""
    found = releases.get_hotfix(db(), hotfix_id)
    deployment = releases.get_deployment(db(), deployment_id)
    if deployment.hotfix_id != found.id:
        raise NotFound(f"no deployment #{deployment_id} in hotfix #{hotfix_id}", field="id")
    key = f"deployment-{deployment_id}"
    form = OutcomeForm(prefix=key)
    if form.validate():
        try:
            releases.report_outcome(db(), deployment, **_outcome(form))
        except DomainError as exc:
            db().rollback()
            status = refuse(form, exc)
            return _hotfix_page(found, posted=(key, form)), status
        db().commit()
        flash(f"{deployment.environment.name} recorded as {_recorded(form)}.", "success")
        return redirect(url_for(".hotfix", hotfix_id=hotfix_id, _anchor=key))
    return _hotfix_page(found, posted=(key, form)), 422


# Hotfixes


@blueprint.get("/hotfixes")
@staff_page()
def hotfixes():
    """Every hotfix and patch with its status and windows; planners request and approve."""
    return _hotfixes_page()


@blueprint.post("/hotfixes")
@shows_refused_form
@staff_page(*PLANNERS)
def request_hotfix():
    """A hotfix for everyone or, with customers chosen, a per-customer patch."""
    form = HotfixForm(prefix="hotfix").offer(list_customers(db()))
    if not form.validate():
        return _hotfixes_page(form), 422
    try:
        created = releases.request_hotfix(
            db(),
            title=form.title.data,
            urgency=form.urgency.data,
            summary=form.summary.data,
            public_note=form.public_note.data,
            jira_key=(form.jira_key.data or "").strip() or None,
            customers=form.customers.data,
            justification=form.justification.data,
            emergency_start=in_zone(form.emergency_start.data, "UTC", field="emergency_start"),
            actor=principal().actor,
            now=now(),
        )
    except DomainError as exc:
        db().rollback()
        status = refuse(form, exc)
        return _hotfixes_page(form), status
    db().commit()
    waiting = created.status == "awaiting_approval"
    flash(
        f"Hotfix #{created.id} requested"
        + ("; another release manager must approve it." if waiting else " and scheduled."),
        "success",
    )
    return redirect(url_for(".hotfixes", _anchor=f"hotfix-{created.id}"))


@blueprint.route("/hotfixes/<int:hotfix_id>/approve", methods=["GET", "POST"])
@staff_page(*PLANNERS)
def approve_hotfix(hotfix_id: int):
    """Review where each emergency window would go (each region's time in its own zone),
    change the times if need be, then approve exactly the times reviewed."""
    hotfix = releases.get_hotfix(db(), hotfix_id)
    regions = releases.reached_regions(db(), hotfix)
    if request.method == "GET":
        return _approval_page(hotfix, regions, ApprovalForm.for_regions(regions, formdata=None))
    form = ApprovalForm.for_regions(regions)
    if not form.validate():
        return _approval_page(hotfix, regions, form, status=422)
    try:
        starts = form.starts(regions)
        if request.form.get("action") != "approve" or form.reviewed.data != _reviewed(starts):
            # New times, or only a check: show them before anything is approved.
            return _approval_page(hotfix, regions, form, starts=starts)
        releases.approve_hotfix(
            db(), hotfix_id, starts=starts, actor=principal().actor, now=now(), context=context()
        )
    except DomainError as exc:
        db().rollback()
        status = refuse(form, exc)
        return _approval_page(hotfix, regions, form, status=status, preview=False)
    db().commit()
    when = "; ".join(f"{r.slug}: {local_and_utc(starts[r.slug], r.timezone)}" for r in regions)
    flash(f"Hotfix #{hotfix_id} approved and scheduled ({when}).", "success")
    return redirect(url_for(".hotfixes", _anchor=f"hotfix-{hotfix_id}"))


# Page builders


def _can_plan() -> bool:
    return principal().role in PLANNERS


def _who() -> dict:
    return {"actor": principal().actor, "now": now()}


def _submit(
    found: Release,
    key: str,
    form: FlaskForm,
    action: Callable[[], object],
    done: str,
    anchor: str = "",
):
    """Validate `form`, run `action` in this request's transaction, and commit or re-show."""
    if not form.validate():
        return _release_page(found, posted=(key, form)), 422
    try:
        action()
    except DomainError as exc:
        db().rollback()
        status = refuse(form, exc)
        return _release_page(found, posted=(key, form)), status
    db().commit()
    flash(done, "success")
    return redirect(url_for(".release", version=found.version) + anchor)


def _wave(version: str, wave_id: int) -> tuple[Release, Wave]:
    found = releases.get_release(db(), version)
    wave = next((w for w in found.waves if w.id == wave_id), None)
    if wave is None:
        raise NotFound(f"no wave #{wave_id} in release {version}", field="wave")
    return found, wave


def _move_choices(wave: Wave) -> list[tuple[int, str]]:
    """The wave's region's upcoming regular windows, labelled in the region's own time (the
    field's hint names the zone, so the labels stay short enough for a phone)."""
    start = now()
    found = list_windows(
        db(),
        start=start,
        end=start + MOVE_AHEAD,
        audience=Audience(),  # no customer's own: a region may have thousands of them
        region=wave.window.region,
        statuses={WindowStatus.PLANNED, WindowStatus.ANNOUNCED},
    )
    return [
        (
            w.id,
            span_text(w.starts_at, w.ends_at, w.timezone).removesuffix(f" ({w.timezone})")
            + (" (current)" if w.id == wave.window_id else ""),
        )
        for w in found
        if w.id is not None
        and w.kind == WindowKind.REGULAR
        and w.customer_id is None
        and w.starts_at > start
    ]


def _list_page(form: ReleaseForm | None):
    return render_template("staff/releases.html", releases=releases.list_releases(db()), form=form)


def _release_page(found: Release, posted: tuple[str, FlaskForm] | None = None):
    # Counted and sampled by the database: a wave reaches thousands of environments.
    counts = releases.wave_counts(db(), found)
    shown = releases.first_deployments(db(), found, per_wave=SHOWN_DEPLOYMENTS)
    forms: dict[str, FlaskForm] = {}
    if _can_plan() and found.status not in CLOSED:
        forms["item"] = ItemForm(prefix="item", formdata=None)
        forms["cancel"] = RevisionForm(formdata=None, data={"revision": found.revision})
        if found.status in PLANNABLE:
            forms["plan"] = FlaskForm(prefix="plan", formdata=None)
    sent = dict([posted] if posted else [])
    if _can_plan() and found.status != ReleaseStatus.CANCELLED:
        choices: dict[int, list[tuple[int, str]]] = {}
        for wave in found.waves:
            if set(counts[wave.id]) <= {DeploymentStatus.SCHEDULED}:
                region = wave.window.region_id
                if region not in choices:
                    choices[region] = _move_choices(wave)
                forms[f"move-{wave.id}"] = MoveWaveForm(
                    prefix=f"move-{wave.id}", formdata=None, data={"window": wave.window_id}
                ).offer(choices[region])
            key = f"wave-{wave.id}"
            if form := _outcome_form(key, sent, counts[wave.id], wave.window.starts_at):
                forms[key] = form
            for deployment in shown[wave.id]:
                key = f"deployment-{deployment.id}"
                if form := _outcome_form(key, sent, [deployment.status], _starts(deployment)):
                    forms[key] = form
    forms.update(sent)
    board = releases.rollout_board(db(), found, now=now())
    return render_template(
        "staff/release.html",
        release=found,
        forms=forms,
        kinds={c.value: c.label for c in ITEM_KINDS},
        public=found.status in PUBLIC,
        shown=shown,
        counts=counts,
        board=board,
        tiers=releases.TIERS,
        chart=done_chart(board.done_by_day, board.total),
        board_words=BOARD_WORDS,
        cancel_consequence=_cancel_consequence(counts),
    )


def _cancel_consequence(counts: dict[int, dict[DeploymentStatus, int]]) -> str:
    """What cancelling does, in a sentence: what update_release(cancel=True) takes back."""
    waiting = sum(c.get(DeploymentStatus.SCHEDULED, 0) for c in counts.values())
    taken = (
        f"Its {waiting} planned environment deployment{'' if waiting == 1 else 's'} "
        "will be taken out of their windows"
        if waiting
        else "Nothing is left planned"
    )
    return (
        f"{taken}; what already ran stays recorded. Customers see the release as cancelled "
        "on its public page and in the release feed, and those sent its notes are told by "
        "email and webhook. This cannot be undone."
    )


def _hotfix_page(found: Hotfix, posted: tuple[str, FlaskForm] | None = None):
    sent = dict([posted] if posted else [])
    deployments = found.deployments
    forms: dict[str, FlaskForm] = {}
    if _can_plan() and found.status in OPEN_HOTFIX:
        for deployment in deployments[:SHOWN_DEPLOYMENTS]:
            key = f"deployment-{deployment.id}"
            if form := _outcome_form(key, sent, [deployment.status], _starts(deployment)):
                forms[key] = form
    return render_template(
        "staff/hotfix.html",
        hotfix=found,
        deployments=deployments,
        forms=forms,
        shown=SHOWN_DEPLOYMENTS,
        tally=_tally(deployments),
    )


def _outcome_form(
    key: str, sent: dict[str, FlaskForm], statuses, starts_at: datetime | None
) -> OutcomeForm | None:
    """The form for `key` (as sent, if it was) offering only what may follow `statuses`;
    None when nothing may."""
    allowed = releases.allowed_outcomes(*statuses)
    if not allowed:
        return None
    form = sent.get(key) or OutcomeForm(prefix=key, formdata=None)
    return form.offer(allowed, before_window=starts_at is not None and now() < starts_at)


def _outcome(form: OutcomeForm) -> dict:
    return {
        "status": form.status.data,
        "note": form.note.data,
        "early": form.early.data,
        "early_reason": form.early_reason.data,
        **_who(),
    }


def _recorded(form: OutcomeForm) -> str:
    """The outcome as the flash message names it, e.g. "succeeded, ran early"."""
    label = {c.value: c.label.lower() for c in OUTCOMES}.get(form.status.data, "")
    return label + (", ran early" if form.early.data else "")


def _starts(deployment: Deployment) -> datetime | None:
    return deployment.window.starts_at if deployment.window else deployment.scheduled_for


def _tally(deployments: list[Deployment]) -> list[tuple[str, int]]:
    """How many deployments are in each status, e.g. [("succeeded", 3), ("failed", 1)]."""
    return sorted(Counter(str(d.status) for d in deployments).items())


def _hotfixes_page(form: HotfixForm | None = None):
    can_plan = _can_plan()
    if form is None and can_plan:
        form = HotfixForm(prefix="hotfix", formdata=None).offer(list_customers(db()))
    actor = principal().actor
    return render_template(
        "staff/hotfixes.html",
        hotfixes=releases.list_hotfixes(db()),
        form=form,
        may_approve=lambda h: can_plan and releases.may_approve(h, actor),
        windows_of=_hotfix_windows,
        tally=_tally,
    )


def _approval_page(
    hotfix: Hotfix,
    regions: list[Region],
    form: ApprovalForm,
    *,
    starts: dict[str, datetime] | None = None,
    status: int = 200,
    preview: bool = True,
):
    """The review step: where each emergency window would go with `starts` (default: each
    region's own), with a start field per region showing those times."""
    slots: list[releases.EmergencySlot] = []
    if preview:
        try:
            slots = _preview(hotfix, starts)
            first = {}
            for slot in slots:
                first.setdefault(slot.region, slot.starts_at)
            if len(first) < len(slots) and starts is None:
                # A patch's customers in one region may get different defaults; what is
                # approved is one start per region, so show that.
                slots = _preview(hotfix, first)
        except DomainError as exc:
            status = max(status, refuse(form, exc))
    if slots:
        zones = {r.slug: r.timezone for r in regions}
        for slug, at in first.items():
            form[f"starts.{slug}"].data = local_input(at, zones[slug])
        form.reviewed.data = _reviewed(first)
    return render_template(
        "staff/approve_hotfix.html",
        hotfix=releases.get_hotfix(db(), hotfix.id),
        regions=regions,
        form=form,
        slots=slots,
        local_and_utc=local_and_utc,
    ), status


def _preview(hotfix: Hotfix, starts: dict[str, datetime] | None) -> list:
    return releases.preview_approval(
        db(), hotfix.id, starts=starts, actor=principal().actor, now=now(), context=context()
    )


def _reviewed(starts: dict[str, datetime]) -> str:
    """The starts shown, as the form carries them back: `eu=2026-12-07T17:00:00Z ...`."""
    return " ".join(f"{slug}={utc_iso(at)}" for slug, at in sorted(starts.items()))


def _hotfix_windows(hotfix: Hotfix) -> list[Window]:
    """The distinct windows a hotfix's deployments sit in, by start."""
    windows = {d.window.id: d.window for d in hotfix.deployments if d.window is not None}
    return sorted(windows.values(), key=lambda w: (w.starts_at, w.id))
