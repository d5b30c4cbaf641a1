"""Policies, freezes, customers and the deploy check through the API."""

from __future__ import annotations

import pytest

from tests.factories import bearer, make_customer, make_policy, make_region, make_token


@pytest.fixture
def world(session):
    for slug in ("us", "eu", "apac"):
        make_region(session, slug)
    make_customer(session, "acme", "us", tier="gold")
    make_customer(session, "initech", "eu", tier="platinum", timezone="Europe/Paris")
    session.commit()


@pytest.fixture
def manager(session):
    token = make_token(session, "release_manager")
    session.commit()
    return bearer(token)


def test_regions_are_public(client, world):
    response = client.get("/api/v1/regions")
    assert [r["slug"] for r in response.json["items"]] == ["apac", "eu", "us"]


def test_policy_is_created_and_its_windows_planned(client, world, manager):
    response = client.post(
        "/api/v1/policies",
        headers=manager,
        json={"region": "eu", "title": "Monthly", "cron": "0 9 * * 6#2", "duration_minutes": 120},
    )
    assert response.status_code == 201, response.json
    assert response.json["timezone"] == "Europe/Dublin"
    windows = client.get("/api/v1/windows?region=eu&from=2027-03-01&to=2027-05-01").json["items"]
    assert [w["local_start"] for w in windows] == [
        "2027-03-13T09:00:00+00:00",
        "2027-04-10T09:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cron": "0 9 * *"}, "cron"),
        ({"cron": "61 9 * * *"}, "cron"),
        ({"cron": "0 9 30 2 *"}, "cron"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": -30}, "duration_minutes"),
        ({"duration_minutes": "two hours"}, "duration_minutes"),
        ({"region": "mars"}, "region"),
        ({"active_from": "2027-02-01", "active_until": "2027-01-01"}, "active_until"),
    ],
)
def test_bad_policies_are_refused_naming_the_field(client, world, manager, change, field):
    policy = {"region": "us", "title": "Monthly", "cron": "0 9 * * 6#2", "duration_minutes": 120}
    response = client.post("/api/v1/policies", headers=manager, json=policy | change)
    assert response.status_code in (404, 422), response.json
    assert response.json["error"]["field"] == field
    assert client.get("/api/v1/policies", headers=manager).json["items"] == []
    assert client.get("/api/v1/windows?to=2027-12-01").json["items"] == []


def test_editing_a_policy_replans_the_same_windows(client, world, manager, session):
    policy = make_policy(session, "us")
    session.commit()
    before = client.get("/api/v1/windows?region=us&to=2027-06-01").json["items"]
    response = client.patch(
        f"/api/v1/policies/{policy.id}",
        headers=manager,
        json={"version": policy.version, "cron": "0 10 * * 6#2"},
    )
    assert response.status_code == 200, response.json
    after = client.get("/api/v1/windows?region=us&to=2027-06-01").json["items"]
    assert [w["id"] for w in after] == [w["id"] for w in before]
    assert all(w["local_start"][11:16] == "10:00" and w["sequence"] == 1 for w in after)


def test_a_stale_policy_edit_is_refused(client, world, manager, session):
    policy = make_policy(session, "us")
    session.commit()
    url = f"/api/v1/policies/{policy.id}"
    client.patch(url, headers=manager, json={"version": 1, "title": "A"})
    response = client.patch(url, headers=manager, json={"version": 1, "title": "B"})
    assert response.status_code == 409 and response.json["error"]["field"] == "version"


def test_freeze_for_a_customer_is_an_event_plan(client, world, manager):
    response = client.post(
        "/api/v1/freezes",
        headers=manager,
        json={
            "title": "Launch",
            "customer": "initech",
            "starts_at": "2027-01-10T00:00:00Z",
            "ends_at": "2027-01-12T00:00:00Z",
        },
    )
    assert response.status_code == 201
    assert (response.json["scope"], response.json["kind"]) == ("customer", "event_plan")
    listed = client.get("/api/v1/freezes?customer=initech", headers=manager).json["items"]
    assert [f["title"] for f in listed] == ["Launch"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"ends_at": "2027-01-01T00:00:00Z"}, "ends_at"),
        ({"starts_at": "2027-01-10T00:00:00"}, "starts_at"),
        ({"region": "us", "customer": "acme"}, "customer"),
        ({"customer": "nobody"}, "customer"),
        ({"kind": "party"}, "kind"),
    ],
)
def test_bad_freezes_are_refused_naming_the_field(client, world, manager, change, field):
    freeze = {"title": "F", "starts_at": "2027-01-10T00:00:00Z", "ends_at": "2027-01-12T00:00:00Z"}
    response = client.post("/api/v1/freezes", headers=manager, json=freeze | change)
    assert response.status_code in (404, 422)
    assert response.json["error"]["field"] == field


def test_customers_are_created_with_preview_and_production(client, world, manager):
    response = client.post(
        "/api/v1/customers",
        headers=manager,
        json={"slug": "hooli", "name": "Hooli", "region": "apac", "tier": "silver"},
    )
    assert response.status_code == 201
    assert response.json["timezone"] == "Australia/Sydney"
    assert [e["kind"] for e in response.json["environments"]] == ["preview", "production"]


@pytest.mark.parametrize(
    ("change", "field", "status"),
    [
        ({"slug": "Not A Slug"}, "slug", 422),
        ({"slug": "acme"}, "slug", 409),
        ({"tier": "diamond"}, "tier", 422),
        ({"region": "mars"}, "region", 404),
        ({"timezone": "Nowhere/Town"}, "timezone", 422),
    ],
)
def test_bad_customers_are_refused_naming_the_field(client, world, manager, change, field, status):
    customer = {"slug": "hooli", "name": "Hooli", "region": "apac"}
    response = client.post("/api/v1/customers", headers=manager, json=customer | change)
    assert response.status_code == status
    assert response.json["error"]["field"] == field


def test_customer_patch_moves_region_and_checks_version(client, world, manager):
    ok = client.patch(
        "/api/v1/customers/acme",
        headers=manager,
        json={"version": 1, "region": "eu", "tier": "platinum"},
    )
    assert ok.status_code == 200 and ok.json["region"] == "eu" and ok.json["version"] == 2
    stale = client.patch(
        "/api/v1/customers/acme", headers=manager, json={"version": 1, "tier": "standard"}
    )
    assert stale.status_code == 409


def test_customer_token_sees_only_its_own_customer(client, world, session):
    acme = bearer(make_token(session, "customer", "acme"))
    session.commit()
    assert client.get("/api/v1/customers/acme", headers=acme).status_code == 200
    other = client.get("/api/v1/customers/initech", headers=acme)
    assert other.status_code == 403 and "acme" in other.json["error"]["message"]
    assert client.get("/api/v1/customers", headers=acme).status_code == 403
    assert client.get("/api/v1/deploy-check?customer=initech", headers=acme).status_code == 403


def test_deploy_check_inside_a_window_is_allowed(client, world, manager, session):
    make_policy(session, "us")
    session.commit()
    response = client.get(
        "/api/v1/deploy-check?customer=acme&at=2026-12-12T09:30:00-05:00", headers=manager
    )
    assert response.json["allowed"] is True
    assert response.json["window"]["local_start"] == "2026-12-12T09:00:00-05:00"


def test_deploy_check_outside_a_window_names_the_next_one(client, world, manager, session):
    make_policy(session, "us")
    session.commit()
    response = client.get(
        "/api/v1/deploy-check?region=us&at=2026-12-01T12:00:00Z", headers=manager
    ).json
    assert response["allowed"] is False
    assert response["reasons"] == ["not inside a maintenance window"]
    assert response["next_allowed_window"]["starts_at"] == "2026-12-12T14:00:00Z"


def test_deploy_check_refuses_a_customer_in_its_event_plan(client, world, manager, session):
    make_policy(session, "eu")
    session.commit()
    client.post(
        "/api/v1/freezes",
        headers=manager,
        json={
            "title": "Initech launch",
            "customer": "initech",
            "starts_at": "2026-12-11T00:00:00Z",
            "ends_at": "2026-12-14T00:00:00Z",
        },
    )
    at = "2026-12-12T09:30:00Z"
    initech = client.get(f"/api/v1/deploy-check?customer=initech&at={at}", headers=manager).json
    region = client.get(f"/api/v1/deploy-check?region=eu&at={at}", headers=manager).json
    assert initech["allowed"] is False and region["allowed"] is True
    assert any("Initech launch" in reason for reason in initech["reasons"])
    assert initech["next_allowed_window"]["starts_at"] == "2027-01-09T09:00:00Z"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "region"),
        ("region=mars", "region"),
        ("customer=nobody", "customer"),
        ("region=eu&customer=acme", "region"),
        ("region=us&at=noon", "at"),
    ],
)
def test_bad_deploy_checks_name_the_parameter(client, world, manager, query, field):
    response = client.get(f"/api/v1/deploy-check?{query}", headers=manager)
    assert 400 <= response.status_code < 500
    assert response.json["error"]["field"] == field


def test_deploy_check_needs_a_token(client, world):
    assert client.get("/api/v1/deploy-check?region=us").status_code == 401
