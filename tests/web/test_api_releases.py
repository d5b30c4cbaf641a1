"""Releases, waves, deployments, hotfixes and environments as a release manager, a deploy
pipeline and customers use them through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from rollout import access
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.web.test_openapi import response_validator


@pytest.fixture
def world(session):
    """Three regions with monthly windows on the second Saturday; four customers."""
    for slug in ("us", "eu", "apac"):
        make_region(session, slug)
        make_policy(session, slug)
    for slug, region in (("acme", "us"), ("hooli", "us"), ("globex", "eu"), ("initech", "apac")):
        make_customer(session, slug, region)
    session.commit()


@pytest.fixture
def manager(session):
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


@pytest.fixture
def second_manager(session):
    _, token = access.create_token(
        session, name="second release manager", role="release_manager", now=NOW
    )
    session.commit()
    return bearer(token)


@pytest.fixture
def customer_tokens(session, world):
    tokens = {slug: bearer(make_token(session, "customer", slug)) for slug in ("acme", "globex")}
    session.commit()
    return tokens


def call(client, method, url, headers=None, body=None, status=200):
    response = client.open(url, method=method, headers=headers, json=body)
    assert response.status_code == status, response.json
    return response.json


def environments(client, headers, customer="acme"):
    items = call(client, "GET", f"/api/v1/customers/{customer}/environments", headers)["items"]
    validator = response_validator("EnvironmentState")
    for item in items:
        validator.validate(item)
    return {e["kind"]: e for e in items}


def current(client, headers, customer="acme"):
    """Which release each of the customer's environments runs, by kind."""
    return {
        kind: (e["current_release"] or {}).get("version")
        for kind, e in environments(client, headers, customer).items()
    }


def report(client, headers, expect=200, **outcome):
    """POST an outcome to /deployments; the answer."""
    return call(client, "POST", "/api/v1/deployments", headers, outcome, expect)


def release_status(client, version):
    return call(client, "GET", f"/api/v1/releases/{version}")["status"]


def ship(client, manager, clock, version, fix):
    """Create, plan and report every wave of a release as succeeded once its window is over,
    the clock moved along; its waves."""
    call(client, "POST", "/api/v1/releases", manager, {"version": version, "title": version}, 201)
    item = {"kind": "fix", "jira_key": fix, "summary": "internal", "public_note": "Fixed."}
    call(client, "POST", f"/api/v1/releases/{version}/items", manager, item, 201)
    waves = call(client, "POST", f"/api/v1/releases/{version}/plan", manager)["items"]
    for wave in sorted(waves, key=lambda w: w["window"]["ends_at"]):
        clock.now = max(clock.now, datetime.fromisoformat(wave["window"]["ends_at"]))
        report(client, manager, wave=wave["id"], status="succeeded")
    assert release_status(client, version) == "completed"
    return waves


def test_a_release_manager_takes_a_release_from_draft_to_completed_through_the_api(
    client, world, manager, clock
):
    release = call(
        client,
        "POST",
        "/api/v1/releases",
        manager,
        {"version": "2026.12", "title": "December release", "soak_days": 7},
        201,
    )
    assert (release["status"], release["soak_days"], release["revision"]) == ("draft", 7, 1)
    response_validator("Release").validate(release)

    items = [
        {
            "kind": "feature",
            "summary": "Exporter rewrite (internal)",
            "public_note": "Export to **CSV**<script>alert(1)</script>",
        },
        {
            "kind": "security",
            "jira_key": "SEC-7",
            "summary": "RCE in the upload handler",
            "public_note": "Closes a hole in uploads.",
        },
        {"kind": "fix", "jira_key": "OPS-123", "summary": "NPE", "public_note": "Reports load."},
    ]
    added = [call(client, "POST", "/api/v1/releases/2026.12/items", manager, i, 201) for i in items]
    assert "<strong>CSV</strong>" in added[0]["public_html"]
    assert "<script" not in added[0]["public_html"]

    public = call(client, "GET", "/api/v1/releases/2026.12")
    assert [i["kind"] for i in public["items"]] == ["feature", "fix"]
    for leak in ("summary", "jira_key", "RCE", "internal", "<script"):
        assert leak not in json.dumps(public)
    assert len(call(client, "GET", "/api/v1/releases/2026.12", manager)["items"]) == 3
    assert current(client, manager) == {"preview": None, "production": None}

    # Hooli launches over the weekend of the January window.
    freeze = {
        "title": "Hooli launch",
        "customer": "hooli",
        "starts_at": "2027-01-09T00:00:00Z",
        "ends_at": "2027-01-11T00:00:00Z",
    }
    call(client, "POST", "/api/v1/freezes", manager, freeze, 201)

    waves = call(client, "POST", "/api/v1/releases/2026.12/plan", manager)["items"]
    assert waves == call(client, "GET", "/api/v1/releases/2026.12/waves", manager)["items"]
    for wave in waves:
        response_validator("Wave").validate(wave)
    planned = [
        (w["kind"], w["window"]["region"], [d["customer"] for d in w["deployments"]]) for w in waves
    ]
    assert planned == [
        ("preview", "apac", ["initech"]),
        ("preview", "eu", ["globex"]),
        ("preview", "us", ["acme", "hooli"]),
        ("production", "apac", ["initech"]),
        ("production", "eu", ["globex"]),
        ("production", "us", ["acme"]),
        ("production", "us", ["hooli"]),
    ]
    # Every region's wave is at 09:00 local on its second Saturday, production a soak later.
    starts = [w["window"]["local_start"] for w in waves]
    assert starts == [
        "2026-12-12T09:00:00+11:00",
        "2026-12-12T09:00:00+00:00",
        "2026-12-12T09:00:00-05:00",
        "2027-01-09T09:00:00+11:00",
        "2027-01-09T09:00:00+00:00",
        "2027-01-09T09:00:00-05:00",
        "2027-02-13T09:00:00-05:00",
    ]
    for production in waves[3:]:
        preview = next(
            w for w in waves[:3] if w["window"]["region"] == production["window"]["region"]
        )
        soaked = datetime.fromisoformat(preview["window"]["ends_at"]) + timedelta(days=7)
        assert datetime.fromisoformat(production["window"]["starts_at"]) >= soaked
    assert "hooli" in waves[6]["note"] and "Hooli launch" in waves[6]["note"]
    assert waves[5]["note"] == ""
    assert release_status(client, "2026.12") == "scheduled"

    # Production in the same window as its preview breaks the soak time.
    us_preview, us_production = waves[2], waves[5]
    refused = call(
        client,
        "PATCH",
        f"/api/v1/waves/{us_production['id']}",
        manager,
        {"window": us_preview["window"]["id"]},
        409,
    )
    assert refused["error"]["field"] == "window"
    assert "7 days after its preview" in refused["error"]["message"]
    refused = call(
        client,
        "PATCH",
        f"/api/v1/waves/{us_production['id']}",
        manager,
        {"window": waves[4]["window"]["id"]},
        422,
    )
    assert refused["error"]["field"] == "window"

    acme = environments(client, manager)
    assert acme["preview"]["upcoming"][0]["release"] == "2026.12"
    assert acme["preview"]["upcoming"][0]["window"]["local_start"] == "2026-12-12T09:00:00-05:00"

    clock.now = datetime(2026, 12, 13, tzinfo=UTC)
    report(client, manager, wave=us_preview["id"], status="in_progress")
    assert release_status(client, "2026.12") == "rolling_out"
    for wave in waves[:3]:
        report(client, manager, wave=wave["id"], status="succeeded")
    assert current(client, manager) == {"preview": "2026.12", "production": None}
    assert environments(client, manager)["production"]["upcoming"][0]["scheduled_for"] == (
        "2027-01-09T14:00:00Z"
    )

    refused = report(
        client,
        manager,
        422,
        environment="acme-production",
        release="2026.12",
        wave=us_preview["id"],
        status="succeeded",
    )
    assert refused["error"]["field"] == "environment"

    clock.now = datetime(2027, 1, 10, tzinfo=UTC)
    reported = report(
        client,
        manager,
        environment="acme-production",
        release="2026.12",
        status="succeeded",
        note="pipeline #42",
    )["items"]
    assert [(d["environment"], d["status"], d["note"]) for d in reported] == [
        ("acme-production", "succeeded", "pipeline #42")
    ]
    assert current(client, manager) == {"preview": "2026.12", "production": "2026.12"}
    for wave in waves[3:5]:
        report(client, manager, wave=wave["id"], status="succeeded")
    assert release_status(client, "2026.12") == "rolling_out"
    assert [i["kind"] for i in call(client, "GET", "/api/v1/releases/2026.12")["items"]] == [
        "feature",
        "fix",
    ]
    assert current(client, manager, "hooli") == {"preview": "2026.12", "production": None}

    clock.now = datetime(2027, 2, 14, tzinfo=UTC)
    report(client, manager, wave=waves[6]["id"], status="succeeded")
    public = call(client, "GET", "/api/v1/releases/2026.12")
    assert (public["status"], public["completed_at"]) == ("completed", "2027-02-14T00:00:00Z")
    assert [i["kind"] for i in public["items"]] == ["feature", "security", "fix"]
    assert "RCE" not in json.dumps(public)
    assert current(client, manager, "hooli") == {"preview": "2026.12", "production": "2026.12"}
    with_fix = call(client, "GET", "/api/v1/environments?fix=OPS-123", manager)["items"]
    assert len(with_fix) == 8


def test_rolling_back_one_production_deployment_puts_that_environment_back_a_release(
    client, world, manager, clock
):
    ship(client, manager, clock, "2026.12", "OPS-1")
    clock.now = datetime(2027, 1, 20, tzinfo=UTC)
    waves = ship(client, manager, clock, "2027.01", "OPS-2")
    assert current(client, manager) == {"preview": "2027.01", "production": "2027.01"}
    acme_production = next(
        d for w in waves for d in w["deployments"] if d["environment"] == "acme-production"
    )

    rolled_back = call(
        client,
        "PATCH",
        f"/api/v1/deployments/{acme_production['id']}",
        manager,
        {"status": "rolled_back", "note": "error rate up"},
    )
    assert (rolled_back["status"], rolled_back["note"]) == ("rolled_back", "error rate up")
    assert current(client, manager) == {"preview": "2027.01", "production": "2026.12"}
    assert current(client, manager, "hooli") == {"preview": "2027.01", "production": "2027.01"}
    history = environments(client, manager)["production"]["history"]
    assert [(d["release"], d["status"]) for d in history] == [
        ("2026.12", "succeeded"),
        ("2027.01", "rolled_back"),
    ]
    with_fix = call(client, "GET", "/api/v1/environments?fix=OPS-2", manager)["items"]
    assert "acme-production" not in [e["name"] for e in with_fix]
    assert len(with_fix) == 7
    twice = call(
        client,
        "PATCH",
        f"/api/v1/deployments/{acme_production['id']}",
        manager,
        {"status": "rolled_back"},
        409,
    )
    assert twice["error"]["field"] == "status"
    redeployed = call(
        client,
        "PATCH",
        f"/api/v1/deployments/{acme_production['id']}",
        manager,
        {"status": "succeeded"},
    )
    assert redeployed["status"] == "succeeded"
    with_fix = call(client, "GET", "/api/v1/environments?fix=OPS-2", manager)["items"]
    assert "acme-production" in [e["name"] for e in with_fix]


def test_a_zero_day_needs_a_justification_and_another_release_manager_to_approve_it(
    client, world, manager, second_manager, customer_tokens, clock
):
    zero_day = {
        "title": "Upload hardening",
        "urgency": "zero_day",
        "jira_key": "SEC-9",
        "summary": "RCE via crafted multipart",
        "public_note": "Hardens uploads.",
    }
    refused = call(client, "POST", "/api/v1/hotfixes", manager, zero_day, 422)
    assert refused["error"]["field"] == "justification"
    assert call(client, "GET", "/api/v1/hotfixes", manager)["items"] == []

    zero_day["justification"] = "Exploited in the wild"
    hotfix = call(client, "POST", "/api/v1/hotfixes", manager, zero_day, 201)
    assert (hotfix["status"], hotfix["deployments"]) == ("awaiting_approval", [])

    own = call(client, "POST", f"/api/v1/hotfixes/{hotfix['id']}/approve", manager, status=403)
    assert own["error"]["code"] == "forbidden"
    approved = call(client, "POST", f"/api/v1/hotfixes/{hotfix['id']}/approve", second_manager)
    response_validator("Hotfix").validate(approved)
    assert approved["status"] == "scheduled"
    assert approved["approved_by"] == "token:second release manager"
    assert {d["status"] for d in approved["deployments"]} == {"scheduled"}
    assert len(approved["deployments"]) == 8

    planned = call(client, "GET", "/api/v1/windows?status=planned&to=2026-11-23")["items"]
    emergencies = [w for w in planned if w["kind"] == "emergency"]
    assert sorted(w["region"] for w in emergencies) == ["apac", "eu", "us"]
    assert {w["starts_at"] for w in emergencies} == {"2026-11-22T12:30:00Z"}
    assert {d["scheduled_for"] for d in approved["deployments"]} == {"2026-11-22T12:30:00Z"}

    # Customers hear of it, but not the internals nor, until it is applied, the hole it closes.
    seen = call(client, "GET", "/api/v1/hotfixes", customer_tokens["acme"])["items"]
    assert [(h["title"], h["public_html"]) for h in seen] == [("Upload hardening", "")]
    assert "RCE" not in json.dumps(seen) and "Exploited" not in json.dumps(seen)
    clock.now = datetime(2026, 11, 22, 13, 30, tzinfo=UTC)  # in the emergency window
    for environment in ("acme-preview", "acme-production"):
        report(client, manager, environment=environment, hotfix=hotfix["id"], status="succeeded")
    acme = environments(client, customer_tokens["acme"])
    assert [h["title"] for h in acme["production"]["hotfixes"]] == ["Upload hardening"]


def test_a_per_customer_patch_is_seen_only_by_its_customer(client, world, manager, customer_tokens):
    patch = {
        "title": "Faster exports for Acme",
        "urgency": "normal",
        "summary": "Acme's 2 GB export times out",
        "customers": ["acme"],
    }
    created = call(client, "POST", "/api/v1/hotfixes", manager, patch, 201)
    assert (created["status"], created["customers"]) == ("scheduled", ["acme"])
    assert {d["scheduled_for"] for d in created["deployments"]} == {"2026-12-12T14:00:00Z"}
    for_all = {"title": "Login fix", "urgency": "normal", "summary": "cookie path"}
    call(client, "POST", "/api/v1/hotfixes", manager, for_all, 201)

    acme_sees = call(client, "GET", "/api/v1/hotfixes", customer_tokens["acme"])["items"]
    assert [(h["title"], h["patch"]) for h in acme_sees] == [
        ("Login fix", False),
        ("Faster exports for Acme", True),
    ]
    for hotfix in acme_sees:
        assert not {"summary", "justification", "customers", "deployments"} & set(hotfix)
    globex_sees = call(client, "GET", "/api/v1/hotfixes", customer_tokens["globex"])["items"]
    assert [h["title"] for h in globex_sees] == ["Login fix"]

    def upcoming(customer):
        states = environments(client, customer_tokens[customer], customer)
        return {d["title"] for e in states.values() for d in e["upcoming"]}

    assert upcoming("acme") == {"Login fix", "Faster exports for Acme"}
    assert upcoming("globex") == {"Login fix"}
    refused = call(
        client, "GET", "/api/v1/customers/acme/environments", customer_tokens["globex"], status=403
    )
    assert refused["error"]["field"] == "customer"


@pytest.mark.parametrize(
    ("method", "url", "payload", "status", "field"),
    [
        ("POST", "/api/v1/releases", {"version": "2026.11", "title": "Again"}, 409, "version"),
        ("POST", "/api/v1/releases", {"version": "december", "title": "X"}, 422, "version"),
        (
            "POST",
            "/api/v1/releases",
            {"version": "2027.1", "title": "X", "colour": 1},
            422,
            "colour",
        ),
        (
            "POST",
            "/api/v1/releases",
            {"version": "2027.1", "title": "X", "soak_days": 99},
            422,
            "soak_days",
        ),
        ("POST", "/api/v1/releases/9.9/items", {"kind": "fix", "summary": "x"}, 404, "release"),
        ("POST", "/api/v1/releases/2026.11/items", {"kind": "bug", "summary": "x"}, 422, "kind"),
        (
            "POST",
            "/api/v1/releases/2026.11/items",
            {"kind": "fix", "summary": "x", "jira_key": "ops 1"},
            422,
            "jira_key",
        ),
        ("PATCH", "/api/v1/releases/2026.11", {"revision": 0, "title": "Renamed"}, 409, "revision"),
        ("PATCH", "/api/v1/releases/2026.11", {"status": "completed"}, 422, "status"),
        ("GET", "/api/v1/releases/9.9", None, 404, "version"),
        ("POST", "/api/v1/deployments", {"status": "succeeded"}, 422, "environment"),
        (
            "POST",
            "/api/v1/deployments",
            {"environment": "acme-preview", "release": "2026.11", "status": "succeeded"},
            422,
            "environment",
        ),
        (
            "POST",
            "/api/v1/deployments",
            {"wave": 1, "release": "2026.11", "status": "succeeded"},
            422,
            "release",
        ),
        (
            "POST",
            "/api/v1/hotfixes",
            {"title": "X", "urgency": "normal", "customers": ["nobody"]},
            404,
            "customers",
        ),
        ("GET", "/api/v1/environments", None, 422, "fix"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    client, world, manager, method, url, payload, status, field
):
    call(client, "POST", "/api/v1/releases", manager, {"version": "2026.11", "title": "Nov"}, 201)
    refused = call(client, method, url, manager, payload, status)
    assert refused["error"]["field"] == field
    release = call(client, "GET", "/api/v1/releases/2026.11", manager)
    assert (release["title"], release["revision"], release["items"]) == ("Nov", 1, [])
    assert [r["version"] for r in call(client, "GET", "/api/v1/releases")["items"]] == ["2026.11"]
    assert call(client, "GET", "/api/v1/hotfixes", manager)["items"] == []


def test_customers_read_public_notes_but_cannot_change_releases(client, world, customer_tokens):
    acme = customer_tokens["acme"]
    refused = call(client, "POST", "/api/v1/releases", acme, {"version": "1.0", "title": "X"}, 403)
    assert refused["error"]["code"] == "forbidden"
    call(client, "GET", "/api/v1/releases/2026.12/waves", acme, status=403)
    call(client, "GET", "/api/v1/environments?fix=OPS-1", acme, status=403)
    assert call(client, "GET", "/api/v1/releases", acme)["items"] == []


def test_an_approver_previews_then_chooses_emergency_starts_through_the_api(
    client, world, manager, second_manager, clock
):
    clock.now = datetime(2026, 11, 23, 13, 50, tzinfo=UTC)  # Monday 08:50 in New York
    hotfix = call(
        client,
        "POST",
        "/api/v1/hotfixes",
        manager,
        {
            "title": "Upload hardening",
            "urgency": "zero_day",
            "justification": "Exploited in the wild",
            "emergency_starts": {"apac": "2026-11-24T15:00:00Z"},
        },
        201,
    )
    assert hotfix["emergency_starts"] == {"apac": "2026-11-24T15:00:00+00:00"}
    url = f"/api/v1/hotfixes/{hotfix['id']}"

    preview = call(client, "POST", f"{url}/approval-preview", second_manager)["items"]
    for slot in preview:
        response_validator("EmergencySlot").validate(slot)
    assert [(s["region"], s["local_start"], s["chosen"]) for s in preview] == [
        ("apac", "2026-11-25T02:00:00+11:00", True),
        ("eu", "2026-11-23T17:00:00+00:00", False),
        ("us", "2026-11-23T17:00:00-05:00", False),
    ]
    assert call(client, "GET", "/api/v1/hotfixes", manager)["items"][0]["deployments"] == []

    refused = call(
        client,
        "POST",
        f"{url}/approve",
        second_manager,
        {"starts": {"us": "2026-11-01T00:00Z"}},
        422,
    )
    assert refused["error"]["field"] == "starts.us"
    approved = call(
        client, "POST", f"{url}/approve", second_manager, {"starts": {"eu": "2026-11-23T20:00Z"}}
    )
    starts = {d["scheduled_for"] for d in approved["deployments"]}
    assert starts == {"2026-11-24T15:00:00Z", "2026-11-23T20:00:00Z", "2026-11-23T22:00:00Z"}


def test_a_regions_business_hours_are_set_through_the_api(client, world, manager):
    region = call(
        client,
        "PATCH",
        "/api/v1/regions/us",
        manager,
        {"business_opens": "07:30", "business_days": "123456"},
    )
    response_validator("Region").validate(region)
    assert (region["business_opens"], region["business_closes"], region["business_days"]) == (
        "07:30",
        "17:00",
        "123456",
    )
    refused = call(
        client, "PATCH", "/api/v1/regions/us", manager, {"business_closes": "06:00"}, 422
    )
    assert refused["error"]["field"] == "business_closes"
    created = call(
        client,
        "POST",
        "/api/v1/regions",
        manager,
        {"slug": "latam", "name": "Latin America", "timezone": "America/Sao_Paulo"},
        201,
    )
    assert (created["business_opens"], created["business_days"]) == ("09:00", "12345")
