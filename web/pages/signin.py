"""Staff sign-in and sign-out, and the guard on every staff page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from rollout.access import STAFF_ROLES, Role, authenticate_user
from web.auth import begin_session, end_current_session, principal, throttled_signin
from web.database import db
from web.pages.forms import LoginForm, shows_refused_form
from web.redirects import is_local_path

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
@shows_refused_form
def login():
    """The sign-in form; a failure never says whether the email exists; too many pause it;
    a disabled account is told so."""
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("staff/login.html", form=form), 422 if form.errors else 200
    email, password = form.email.data, form.password.data
    user = throttled_signin(email, lambda: authenticate_user(db(), email, password))
    if user is None:
        db().commit()  # the failure counts towards the limits
        form.form_errors.append("Wrong email or password.")
        return render_template("staff/login.html", form=form), 401
    if user.disabled_at is not None:  # said only to whoever knows the password
        form.form_errors.append("This account is disabled. Ask an admin to enable it.")
        return render_template("staff/login.html", form=form), 403
    begin_session(user=user)
    db().commit()
    flash(f"Signed in as {user.name}.", "success")
    return redirect(_safe_next(request.args.get("next"), role=user.role), 303)


@blueprint.post("/logout")
def logout():
    """End the session for good; a POST with the CSRF token, so no link can sign anyone out."""
    end_current_session()
    db().commit()
    flash("Signed out.", "success")
    return redirect(url_for("maintenance.schedule"))


def _safe_next(target: str | None, *, role: Role) -> str:
    """`target` if it is a path on this site, else where `role` works: never an open redirect."""
    if target and is_local_path(target):
        return target
    return url_for("support.lookup" if role == Role.SUPPORT_AGENT else "calendar.months")
