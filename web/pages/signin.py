"""Staff sign-in and sign-out, and the guard on every staff page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for

from rollout.access import STAFF_ROLES, Role, authenticate_user
from web.auth import principal
from web.database import db
from web.pages.forms import LoginForm

blueprint = Blueprint("signin", __name__, url_prefix="/staff")


def staff_page(*roles: Role) -> Callable:
    """Decorate a page: strangers go to sign in; staff without one of `roles` get 403."""
    allowed = frozenset(roles or STAFF_ROLES)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            who = principal()
            if who is None:
                return redirect(url_for("signin.login", next=request.full_path.rstrip("?")))
            if who.role not in allowed:
                abort(
                    403,
                    f"Signed in as {who.role.replace('_', ' ')}: this needs "
                    f"{' or '.join(sorted(r.replace('_', ' ') for r in allowed))}.",
                )
            return view(*args, **kwargs)

        return wrapper

    return decorate


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a failure never says whether the email exists."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 422 if form.errors else 200
    user = authenticate_user(db(), form.email.data, form.password.data)
    if user is None:
        form.form_errors.append("Wrong email or password.")
        return render_template("staff/login.html", form=form), 401
    session.clear()  # a fresh session on sign-in, so no one can plant one beforehand
    session["user_id"] = user.id
    flash(f"Signed in as {user.name}.", "success")
    return redirect(_safe_next(request.args.get("next")))


@blueprint.post("/logout")
def logout():
    """Forget the signed-in user; a POST with the CSRF token, so no link can sign anyone out."""
    session.clear()
    flash("Signed out.", "success")
    return redirect(url_for("maintenance.schedule"))


def _safe_next(target: str | None) -> str:
    # Only a path on this site: "//evil.example" or a full URL would make this an open redirect.
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("calendar.months")
