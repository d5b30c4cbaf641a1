"""The admins' page of API tokens: who each is for, what it may do, when it was last used,
and revoking one (asked first)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from rollout import access
from rollout.access import Role
from web.database import db, now
from web.pages.signin import staff_page

blueprint = Blueprint("token_pages", __name__, url_prefix="/staff")


@blueprint.get("/tokens")
@staff_page(Role.ADMIN)
def token_list():
    """Every token, revoked and expired ones too, never a secret."""
    at = now()
    found = access.list_tokens(db(), everything=True, now=at)
    return render_template("staff/tokens.html", tokens=[(t, t.status(at)) for t in found])


@blueprint.post("/tokens/<int:token_id>/revoke")
@staff_page(Role.ADMIN)
def revoke(token_id: int):
    """Revoke a token; back to the list, where a reload posts nothing."""
    token = access.revoke_token(db(), token_id, now=now())
    db().commit()
    flash(f"Token “{token.name}” revoked: every call with it is refused from now on.", "success")
    return redirect(url_for(".token_list"), 303)
