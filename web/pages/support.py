"""The support agent's page: type a ticket id or a Jira key, see where the fix stands for
each customer, copy the reply; and triage for the release manager. Signed-in staff only."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for

from rollout.errors import DomainError
from rollout.i18n import N_
from rollout.support.fix_status.answers import look_up
from rollout.support.triage import triage
from rollout.validation import is_whole_number
from web.database import db, now
from web.errors import status_of
from web.pages.forms import customer_menu
from web.pages.signin import staff_page

blueprint = Blueprint("support", __name__)

# Marked for the catalogue: a customer's home shows them in its language.
STATE_LABELS = {
    "not_planned": N_("Not planned"),
    "planned": N_("Planned"),
    "in_preview": N_("On preview"),
    "deployed": N_("Live"),
    "hotfix_scheduled": N_("Hotfix scheduled"),
    "rolled_back": N_("Rolled back"),
    "wont_fix": N_("Won't fix"),
}
VEHICLE_LABELS = {
    "hotfix_now": "Hotfix now",
    "next_window": "Next window",
    "later_release": "A later release",
}
TRIAGE_SHOWN = 50  # a screen of bugs; "Next" pages on
MAX_TRIAGE_PAGE = 10_000


@blueprint.get("/support")
@staff_page()
def lookup():
    """The form, and for a query the fix status per customer with replies to copy."""
    query = request.args.get("q", "").strip()
    lang = request.args.get("lang") or None
    customer = request.args.get("customer") or None
    answers, error, status = [], None, 200
    if query:
        try:
            answers = look_up(db(), query, customer=customer, lang=lang, now=now())
        except DomainError as exc:
            error, status = exc.message, status_of(exc)[0]
    page = render_template(
        "support/lookup.html",
        query=query,
        lang=lang or "",
        customer=customer or "",
        customers=customer_menu(db()),
        answers=answers,
        error=error,
        labels=STATE_LABELS,
        jira_url=_jira_url(),
    )
    return page, status


@blueprint.get("/triage")
@staff_page()
def triage_page():
    """Bugs owed to customers, highest score first, with the recommended vehicle."""
    raw = request.args.get("page", "")
    page = int(raw) if is_whole_number(raw) and 1 <= int(raw) <= MAX_TRIAGE_PAGE else 1
    offset = (page - 1) * TRIAGE_SHOWN
    items = triage(db(), limit=TRIAGE_SHOWN + 1, offset=offset)  # one more: is there a next?
    return render_template(
        "support/triage.html",
        items=items[:TRIAGE_SHOWN],
        vehicles=VEHICLE_LABELS,
        jira_url=_jira_url(),
        offset=offset,
        page=page,
        more=len(items) > TRIAGE_SHOWN,
    )


@blueprint.app_template_global()
def hotfix_url(hotfix_id: int | str) -> str:
    """A hotfix's own staff page."""
    return url_for("release_admin.hotfix", hotfix_id=int(hotfix_id))


def _jira_url() -> str | None:
    url = current_app.extensions["rollout.settings"].jira.url
    return url.rstrip("/") if url else None
