"""Bugs mirrored from Jira, for staff: list with filters, and one bug with the tickets it
holds up, what carries its fix, and where that fix is live.

Customer tokens get 403: a bug's summary and status are internal (Jira's words); customers
learn where their fix stands from the fix status, written for them.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from rollout.jira import bugs
from web.api import responses as r
from web.api.queries import BugQuery
from web.database import db

blueprint = Blueprint("bugs_api", __name__, url_prefix="/api/v1")


def list_bugs(args: BugQuery):
    found = bugs.list_bugs(db(), status=args.status, release=args.release, customer=args.customer)
    jira_url = _jira_url()
    return [r.Bug.of(b, jira_url=jira_url) for b in found]


def get_bug(key: str):
    session = db()
    found = bugs.get_bug(session, key, field="key")
    return r.BugDetail.of(
        found,
        jira_url=_jira_url(),
        tickets=[r.BugTicket.of(link) for link in bugs.ticket_links(session, found)],
        releases=[
            r.BugRelease.read(release, via=_via(release, found))
            for release in bugs.releases_carrying(session, found)
        ],
        hotfixes=[r.BugHotfix.read(h) for h in bugs.hotfixes_carrying(session, found)],
        deployed_to=[r.Environment.read(e) for e in bugs.environments_with_bug_fix(session, found)],
    )


def _via(release, bug) -> str:
    """A release item names the bug, or the bug's Jira fix version names the release."""
    return "item" if any(i.jira_key == bug.key for i in release.items) else "fix_version"


def _jira_url() -> str | None:
    return current_app.extensions["rollout.settings"].jira.url
