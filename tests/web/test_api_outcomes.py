"""Outcomes through the API as a deploy pipeline reports them: the transitions the pages
offer are the ones the API takes, and a success before its window needs `early` and a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.web.test_api_releases import call, report
from web.api.openapi import document

PREVIEW_STARTS = datetime(2026, 12, 12, 14, tzinfo=UTC)  # us's second Saturday, 09:00 local


@pytest.fixture
def manager(session):
    make_region(session, "us")
    make_policy(session, "us")
    make_customer(session, "acme", "us")
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


@pytest.fixture
def planned(client, manager):
    call(client, "POST", "/api/v1/releases", manager, {"version": "2026.12", "title": "Dec"}, 201)
    call(client, "POST", "/api/v1/releases/2026.12/plan", manager)
    return "2026.12"


def acme_preview(client, manager):
    waves = call(client, "GET", "/api/v1/releases/2026.12/waves", manager)["items"]
    return next(d for w in waves for d in w["deployments"] if d["environment"] == "acme-preview")


def test_a_success_reported_days_before_its_window_is_refused_and_the_release_stays_scheduled(
    client, planned, manager
):
    refused = report(
        client,
        manager,
        409,
        environment="acme-preview",
        release="2026.12",
        status="succeeded",
    )

    assert refused["error"]["field"] == "early"
    assert "2026-12-12 14:00 UTC" in refused["error"]["message"]
    assert call(client, "GET", "/api/v1/releases/2026.12")["status"] == "scheduled"
    assert acme_preview(client, manager)["status"] == "scheduled"


@pytest.mark.parametrize("reason", [None, "", "two\nlines"])
def test_an_early_success_without_a_one_line_reason_is_refused_naming_the_reason(
    client, planned, manager, reason
):
    body = {"environment": "acme-preview", "release": "2026.12", "status": "succeeded"}
    refused = report(client, manager, 422, **body, early=True, early_reason=reason)

    assert refused["error"]["field"] == "early_reason"
    assert acme_preview(client, manager)["status"] == "scheduled"


def test_an_early_success_with_its_reason_is_recorded_and_kept_in_the_history(
    client, planned, manager, clock
):
    deployment = acme_preview(client, manager)
    done = call(
        client,
        "PATCH",
        f"/api/v1/deployments/{deployment['id']}",
        manager,
        {"status": "succeeded", "early": True, "early_reason": "Customer asked on Friday"},
    )
    assert done["status"] == "succeeded"
    clock.now = PREVIEW_STARTS
    call(
        client,
        "PATCH",
        f"/api/v1/deployments/{deployment['id']}",
        manager,
        {"status": "rolled_back", "note": "errors up"},
    )

    history = call(client, "GET", f"/api/v1/deployments/{deployment['id']}/history", manager)[
        "items"
    ]
    assert [(h["status"], h["early"], h["early_reason"], h["note"]) for h in history] == [
        ("succeeded", True, "Customer asked on Friday", ""),
        ("rolled_back", False, None, "errors up"),
    ]
    assert call(client, "GET", "/api/v1/releases/2026.12")["status"] == "rolling_out"


def test_an_outcome_the_current_one_cannot_lead_to_is_refused_in_plain_words(
    client, planned, manager, clock
):
    clock.now = PREVIEW_STARTS
    deployment = acme_preview(client, manager)
    url = f"/api/v1/deployments/{deployment['id']}"
    call(client, "PATCH", url, manager, {"status": "succeeded"})

    refused = call(client, "PATCH", url, manager, {"status": "in_progress"}, 409)

    assert refused["error"]["field"] == "status"
    assert refused["error"]["message"] == (
        "This deployment already succeeded; it can be rolled back but not restarted"
    )
    assert [h["status"] for h in call(client, "GET", f"{url}/history", manager)["items"]] == [
        "succeeded"
    ]


def test_the_document_names_early_and_its_reason_on_both_outcome_bodies():
    schemas = document()["components"]["schemas"]
    for body in ("DeploymentReport", "DeploymentPatch"):
        properties = schemas[body]["properties"]
        assert properties["early"]["type"] == "boolean"
        assert "409" in properties["early"]["description"]
        assert "422" in properties["early_reason"]["description"]
    history = document()["paths"]["/api/v1/deployments/{deployment_id}/history"]["get"]
    assert set(history["responses"]) >= {"200", "404"}
