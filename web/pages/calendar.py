"""The release manager's calendar: months of windows and freezes, and the forms that change them."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from rollout import freezes, windows
from rollout.access import PLANNERS
from rollout.agenda import window_agenda
from rollout.customers import Customer, get_region, list_customers, list_regions
from rollout.errors import DomainError
from rollout.freeze_cover import declare_freeze, would_cover
from rollout.windows import Change, Window, WindowKind
from web.auth import principal
from web.database import context, db, now
from web.pages.calendar_views import page_words, read_query
from web.pages.customer_status import moment_text
from web.pages.display import local_and_utc, local_input
from web.pages.forms import (
    ChangeForm,
    FreezeForm,
    WindowForm,
    customer_menu,
    in_zone,
    refuse,
    shows_refused_form,
)
from web.pages.months import calendar_page
from web.pages.signin import staff_page

blueprint = Blueprint("calendar", __name__, url_prefix="/staff")

DONE = {
    Change.MOVE: "moved",
    Change.EXTEND: "extended",
    Change.CANCEL: "cancelled",
    Change.SKIP: "skipped",
    Change.ANNOUNCE: "announced",
    Change.START: "started",
    Change.COMPLETE: "completed",
}


@blueprint.get("/calendar")
@staff_page()
def months():
    """The windows of a period as a list, a month grid or a timeline, with what each carries
    and what is wrong with it; the view, period and filters are in the query string."""
    regions, customers = list_regions(db()), customer_menu(db())
    named = customers if customers is not None else _typed(request.args.get("customer", ""))
    query = read_query(request.args, regions=regions, customers=named, today=now().date())
    page = calendar_page(db(), query, regions=regions, now=now())
    return render_template(
        "staff/calendar.html",
        query=query,
        page=page,
        regions=regions,
        customers=customers,
        can_plan=_can_plan(),
        **page_words(),
    ), (400 if query.problems else 200)


def _typed(slug: str) -> list[Customer]:
    """The customer a typed filter names, if there is one (read_query reports it if not)."""
    found = db().scalar(select(Customer).where(Customer.slug == slug)) if slug else None
    return [found] if found else []


@blueprint.get("/windows/<int:window_id>")
@staff_page()
def window(window_id: int):
    """One window with its conflicts, full history and, for planners, the change forms."""
    return _window_page(windows.get_window(db(), window_id))


CHANGE_URL = f"/windows/<int:window_id>/<any({', '.join(Change)}):change>"


@blueprint.get(CHANGE_URL)
@staff_page()
def change_form(window_id: int, change: str):
    """The address a refused change was shown on, reloaded or shared: the window's page."""
    return redirect(url_for(".window", window_id=window_id, _anchor=f"change-{change}"), 303)


@blueprint.post(CHANGE_URL)
@shows_refused_form
@staff_page(*PLANNERS)
def change_window(window_id: int, change: str):
    """Apply one change as the revision the editor saw; new times are in the window's zone."""
    found = windows.get_window(db(), window_id)
    form = ChangeForm(prefix=change)
    if not form.validate():
        return _window_page(found, posted=(change, form)), 422
    try:
        windows.change_window(
            db(),
            window_id,
            change=change,
            expected_sequence=form.sequence.data,
            reason=form.reason.data,
            starts_at=in_zone(form.starts_at.data, found.timezone, field="starts_at"),
            ends_at=in_zone(form.ends_at.data, found.timezone, field="ends_at"),
            override_freeze_reason=form.override(),
            actor=principal().actor,
            now=now(),
            context=context(),
        )
    except DomainError as exc:
        db().rollback()
        status = refuse(form, exc)
        return _window_page(found, posted=(change, form)), status
    db().commit()
    flash(f"Window #{window_id} {DONE[Change(change)]}.", "success")
    return redirect(url_for(".window", window_id=window_id), 303)


@blueprint.route("/windows/new", methods=["GET", "POST"])
@shows_refused_form
@staff_page(*PLANNERS)
def new_window():
    """A hand-made window; the times are read in the chosen region's zone."""
    form = WindowForm(kind=request.args.get("kind", WindowKind.AD_HOC)).offer(
        list_regions(db()), list_customers(db())
    )
    if not form.validate_on_submit():
        return _new_window_page(form, 422 if form.is_submitted() else 200)
    try:
        zone = get_region(db(), form.region.data).timezone
        created = windows.create_window(
            db(),
            title=form.title.data,
            region=form.region.data,
            customer=form.customer.data or None,
            kind=form.kind.data,
            starts_at=in_zone(form.starts_at.data, zone, field="starts_at"),
            ends_at=in_zone(form.ends_at.data, zone, field="ends_at"),
            timezone=zone,
            justification=form.justification.data,
            override_freeze_reason=form.override(),
            actor=principal().actor,
            now=now(),
            context=context(),
        )
    except DomainError as exc:
        db().rollback()
        return _new_window_page(form, refuse(form, exc))
    db().commit()
    flash(f"Window #{created.id} “{created.title}” created.", "success")
    return redirect(url_for(".window", window_id=created.id), 303)


@blueprint.route("/freezes/new", methods=["GET", "POST"])
@shows_refused_form
@staff_page(*PLANNERS)
def new_freeze():
    """A freeze for everyone, one region or one customer; the times are UTC. One over planned
    windows comes back listing them, to choose what happens to them before it is made."""
    form = FreezeForm().offer(list_regions(db()), list_customers(db()))
    if not form.validate_on_submit():
        return _new_freeze_page(form, 422 if form.is_submitted() else 200)
    try:
        declared = declare_freeze(
            db(),
            title=form.title.data,
            starts_at=in_zone(form.starts_at.data, "UTC", field="starts_at"),
            ends_at=in_zone(form.ends_at.data, "UTC", field="ends_at"),
            reason=form.reason.data,
            **form.target(),
            **form.choice(),
            actor=principal().actor,
            now=now(),
            context=context(),
        )
    except DomainError as exc:
        db().rollback()
        return _new_freeze_page(form, refuse(form, exc))
    db().commit()
    flash(_freeze_done(declared), "success")
    return redirect(url_for(".months"))


@blueprint.post("/freezes/<int:freeze_id>/lift")
@staff_page(*PLANNERS)
def lift_freeze(freeze_id: int):
    """Delete a freeze (the calendar asked first); windows it blocked are not re-planned."""
    title = freezes.get_freeze(db(), freeze_id).title
    freezes.delete_freeze(db(), freeze_id)
    db().commit()
    flash(f"Freeze “{title}” lifted: deployments may go ahead in its time again.", "success")
    return redirect(url_for(".months"))


def _can_plan() -> bool:
    return principal().role in PLANNERS


def _window_page(found: Window, posted: tuple[str, ChangeForm] | None = None):
    offered = windows.allowed_changes(found) if _can_plan() else []
    forms = {
        change: ChangeForm(prefix=change, formdata=None, data=_prefill(found, change))
        for change in offered
    }
    if posted is not None:
        change, form = posted
        forms[Change(change)] = form
    return render_template(
        "staff/window.html",
        window=found,
        forms=forms,
        conflicts=[c.text for c in window_agenda(db(), found, now=now()).conflicts],
    )


def _prefill(found: Window, change: Change) -> dict:
    data = {"sequence": found.sequence}
    if change == Change.MOVE:
        data["starts_at"] = local_input(found.starts_at, found.timezone)
    if change == Change.EXTEND:
        data["ends_at"] = local_input(found.ends_at, found.timezone)
    return data


def _new_window_page(form: WindowForm, status: int):
    return render_template("staff/new_window.html", form=form), status


def _new_freeze_page(form: FreezeForm, status: int):
    """The form as typed, with the planned windows the freeze would cover (each in its own
    zone, with what it carries) and the choice of what happens to them."""
    covered = []
    if form.starts_at.data and form.ends_at.data and not form.errors.get("ends_at"):
        # An unknown region or customer: its own message is beside its field.
        with suppress(DomainError):
            covered = would_cover(
                db(),
                starts_at=in_zone(form.starts_at.data, "UTC", field="starts_at"),
                ends_at=in_zone(form.ends_at.data, "UTC", field="ends_at"),
                **form.target(),
                now=now(),
            )
    if covered:
        form.reviewed.data = " ".join(str(c.window.id) for c in covered)
    return render_template("staff/new_freeze.html", form=form, covered=covered), status


def _freeze_done(declared) -> str:
    """What the planner is told: the freeze, when it began if already, and what moved."""
    freeze = declared.freeze
    text = f"Freeze “{freeze.title}” created"
    if freeze.starts_at < now():
        text += f"; it began already ({moment_text(freeze.starts_at, 'UTC')}) and binds from now"
    done = {"move": "moved", "cancel": "cancelled", "keep": "kept inside it"}
    if declared.covered:
        windows = "; ".join(
            f"{c.window.region.slug} #{c.window.id}"
            + (
                f" to {local_and_utc(c.window.starts_at, c.window.timezone)}"
                if declared.choice == "move"
                else ""
            )
            for c in declared.covered
        )
        text += f". {len(declared.covered)} planned window(s) {done[declared.choice]}: {windows}"
    return text + "."
