"""The public maintenance schedule: upcoming windows per region, with their changes."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, redirect, render_template, url_for

from rollout import windows
from rollout.customers import list_regions
from rollout.errors import NotFound
from web.database import db, now

blueprint = Blueprint("maintenance", __name__)

AHEAD = timedelta(days=183)


@blueprint.get("/")
def home():
    """The schedule is the front page."""
    return redirect(url_for("maintenance.schedule"))


@blueprint.get("/maintenance")
def schedule():
    """Each region's windows for the next six months, public ones only."""
    start = now()
    regions = [
        (
            region,
            windows.list_windows(
                db(), start=start, end=start + AHEAD, audience=windows.PUBLIC, region=region
            ),
        )
        for region in list_regions(db())
    ]
    return render_template("maintenance/schedule.html", regions=regions, until=start + AHEAD)


@blueprint.get("/maintenance/windows/<int:window_id>")
def window(window_id: int):
    """One public window with its whole public history; a customer's own window is 404."""
    found = windows.get_window(db(), window_id)
    if not windows.PUBLIC.may_see(found):
        # The same answer as for an unknown id, so ids do not reveal customers' windows.
        raise NotFound(f"no window #{window_id}", field="id")
    return render_template("maintenance/window.html", window=found)
