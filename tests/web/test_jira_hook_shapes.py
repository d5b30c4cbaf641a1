"""POST /hooks/jira with signed bodies that are not Jira's shape: a 4xx naming the field (Jira
retries only 5xx), and nothing stored; text Jira sends is kept without control characters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rollout.jira.bugs import get_bug
from rollout.jira.models import Bug
from tests.web.test_jira_hooks import app, deliver, event, updated  # noqa: F401  (app: fixture)


def shaped(change) -> dict:
    body = event("jira:issue_updated", updated(0))
    change(body)
    return body


WRONG_SHAPES = {
    "priority": lambda b: b["issue"]["fields"].update(priority="High"),
    "statusCategory": lambda b: b["issue"]["fields"]["status"].update(statusCategory="done"),
    "webhookEvent": lambda b: b.update(webhookEvent=["jira:issue_updated"]),
    "project": lambda b: b["issue"]["fields"].update(project="X"),
    "issue.key": lambda b: b["issue"].update(key="ED-" + "1" * 10_000),
    "resolution": lambda b: b["issue"]["fields"].update(resolution=["Fixed"]),
    "updated": lambda b: b["issue"]["fields"].update(updated="9999-12-31T23:59:59.000-1400"),
}


@pytest.mark.parametrize("field", WRONG_SHAPES)
def test_a_signed_body_of_the_wrong_shape_is_refused_with_the_field_named(client, session, field):
    response = deliver(client, shaped(WRONG_SHAPES[field]), identifier=f"shape-{field}")
    assert response.status_code == 400, response.json
    assert response.json["error"]["field"] == field
    assert session.scalar(select(func.count(Bug.id))) == 0


def test_a_deletion_with_a_timestamp_past_the_calendar_is_refused(client, session):
    body = event("jira:issue_deleted", updated(0))
    body["timestamp"] = 10**20
    response = deliver(client, body)
    assert response.status_code == 400
    assert response.json["error"]["field"] == "timestamp"


def test_control_characters_from_jira_are_dropped_not_stored(client, session):
    issue = updated(0, summary="Export\x01 fails\x0b", note="Fixed\x00 now")
    issue["fields"]["status"]["name"] = "In\x1f review"
    response = deliver(client, event("jira:issue_created", issue))
    assert response.status_code == 200, response.json
    bug = get_bug(session, "ED-1")
    assert (bug.summary, bug.status, bug.public_note) == ("Export fails", "In review", "Fixed now")
