"""API tokens managed through the API by admins: listed without secrets, created with the
secret shown once, revoked for every process at once; expired ones refused saying when; a
token's last use noted at most once a minute without writing in a reading request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rollout import access
from tests import conftest
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_region, make_token
from web import create_app


@pytest.fixture
def admin(session):
    token = make_token(session, "admin")
    session.commit()
    return bearer(token)


def token_count(session) -> int:
    return session.scalar(select(func.count()).select_from(access.ApiToken))


def last_used(session, plaintext: str):
    session.expire_all()
    return access.find_token(session, plaintext).last_used_at


def test_an_admin_creates_lists_and_revokes_a_token_whose_secret_is_shown_once(client, admin):
    made = client.post(
        "/api/v1/tokens",
        headers=admin,
        json={"name": "deploy pipeline", "role": "release_manager"},
    )
    assert made.status_code == 201, made.json
    secret, token_id = made.json["token"], made.json["id"]
    assert secret.startswith("rol_") and made.json["status"] == "active"
    assert client.get("/api/v1/deploy-check?region=x", headers=bearer(secret)).status_code != 401

    listed = client.get("/api/v1/tokens", headers=admin)
    assert [t["name"] for t in listed.json["items"]][-1] == "deploy pipeline"
    assert secret not in listed.text and access.hash_token(secret) not in listed.text
    assert all("token" not in t and "token_hash" not in t for t in listed.json["items"])

    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    refused = client.get("/api/v1/customers", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "unknown or revoked token"
    again = client.delete(f"/api/v1/tokens/{token_id}", headers=admin)
    assert again.status_code == 200 and again.json["revoked_at"] == revoked.json["revoked_at"]
    assert token_id not in [
        t["id"] for t in client.get("/api/v1/tokens", headers=admin).json["items"]
    ]
    everything = client.get("/api/v1/tokens?all=true", headers=admin).json["items"]
    assert {t["id"]: t["status"] for t in everything}[token_id] == "revoked"


def test_a_customer_token_is_listed_with_its_customer_and_expiry(client, session, admin):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    session.commit()
    made = client.post(
        "/api/v1/tokens",
        headers=admin,
        json={
            "name": "Acme's bot",
            "role": "customer",
            "customer": "acme",
            "expires_at": "2027-01-31T00:00:00Z",
        },
    )
    assert made.status_code == 201, made.json
    [listed] = [
        t for t in client.get("/api/v1/tokens", headers=admin).json["items"] if t["customer"]
    ]
    assert listed["customer"] == "acme" and listed["expires_at"] == "2027-01-31T00:00:00Z"
    assert listed["last_used_at"] is None and listed["created_at"] == "2026-11-22T12:00:00Z"


@pytest.mark.parametrize("role", ["release_manager", "support_agent"])
def test_only_admins_manage_tokens(client, session, role):
    other = bearer(make_token(session, role))
    session.commit()
    assert client.get("/api/v1/tokens", headers=other).status_code == 403
    assert client.post("/api/v1/tokens", headers=other, json={}).status_code == 403
    assert client.delete("/api/v1/tokens/1", headers=other).status_code == 403
    assert client.get("/api/v1/tokens").status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "role": "admin", "expires_at": "2026-11-22T11:00:00Z"}, "expires_at"),
        ({"name": "x", "role": "admin", "expires_at": "next week"}, "expires_at"),
        ({"name": "x", "role": "admin", "expires_at": "2027-01-01T00:00:00"}, "expires_at"),
        ({"name": "x", "role": "wizard"}, "role"),
        ({"name": "x", "role": "customer"}, "customer"),
        ({"name": "x", "role": "customer", "customer": "nobody"}, "customer"),
        ({"name": " ", "role": "admin"}, "name"),
        ({"name": "x", "role": "admin", "token_hash": "0" * 64}, "token_hash"),
    ],
)
def test_a_bad_token_request_is_refused_naming_the_field_and_writes_nothing(
    client, session, admin, body, field
):
    before = token_count(session)
    refused = client.post("/api/v1/tokens", headers=admin, json=body)
    assert refused.status_code in (404, 422), refused.json
    assert field in refused.json["error"]["field"]
    assert token_count(session) == before


def test_revoking_an_unknown_token_is_not_found_and_a_bad_id_or_flag_is_refused(client, admin):
    unknown = client.delete("/api/v1/tokens/999999", headers=admin)
    assert unknown.status_code == 404 and unknown.json["error"]["field"] == "token"
    assert client.delete("/api/v1/tokens/abc", headers=admin).status_code == 400
    assert client.delete("/api/v1/tokens/99999999999", headers=admin).status_code == 404
    flag = client.get("/api/v1/tokens?all=maybe", headers=admin)
    assert flag.status_code == 400 and flag.json["error"]["field"] == "all"


def test_an_expired_token_is_refused_saying_when_it_expired(client, session, clock):
    _, secret = access.create_token(
        session, name="ci", role="admin", expires_at=NOW + timedelta(hours=1), now=NOW
    )
    session.commit()
    assert client.get("/api/v1/tokens", headers=bearer(secret)).status_code == 200
    clock.advance(hours=1)
    refused = client.get("/api/v1/tokens", headers=bearer(secret))
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "token expired at 2026-11-22 13:00 UTC"


def test_a_tokens_last_use_is_noted_at_most_once_a_minute_even_on_reading_requests(
    client, session, clock, admin
):
    secret = admin["Authorization"].removeprefix("Bearer ")
    assert client.get("/api/v1/customers", headers=admin).status_code == 200
    assert last_used(session, secret) == NOW
    clock.advance(seconds=59)
    client.get("/api/v1/customers", headers=admin)
    assert last_used(session, secret) == NOW
    clock.advance(seconds=1)
    client.post(
        "/api/v1/regions", headers=admin, json={"slug": "us", "name": "US", "timezone": "UTC"}
    )
    assert last_used(session, secret) == NOW + timedelta(minutes=1)


@pytest.fixture
def two_processes(fresh_database_url, tmp_path):
    """Two apps, each with its own engine and connections, over one committed database: as
    two `rollout serve` processes behind one proxy."""
    apps = [
        create_app(
            conftest.test_settings(fresh_database_url), instance_path=tmp_path / f"instance-{n}"
        )
        for n in range(2)
    ]
    yield [app.test_client() for app in apps]
    for app in apps:
        app.extensions["rollout.engine"].dispose()


def test_a_token_revoked_through_one_process_is_refused_by_the_other_on_its_next_call(
    two_processes, fresh_database_url
):
    first, second = two_processes
    with first.application.extensions["rollout.sessions"]() as session:
        admin = bearer(make_token(session, "admin"))
        pipeline = bearer(make_token(session, "release_manager", name="pipeline"))
        session.commit()
    assert second.get("/api/v1/customers", headers=pipeline).status_code == 200
    [row] = [
        t
        for t in first.get("/api/v1/tokens", headers=admin).json["items"]
        if t["name"] == "pipeline"
    ]

    assert first.delete(f"/api/v1/tokens/{row['id']}", headers=admin).status_code == 200

    assert second.get("/api/v1/customers", headers=pipeline).status_code == 401
    assert second.get("/api/v1/tokens", headers=admin).status_code == 200


def test_a_writing_request_notes_its_tokens_use_without_waiting_on_its_own_transaction(
    two_processes,
):
    # On SQLite a writing request holds the database until it ends: noting the use inside it
    # from a second connection would wait for itself.
    first, _ = two_processes
    with first.application.extensions["rollout.sessions"]() as session:
        secret = make_token(session, "admin")
        session.commit()
    made = first.post(
        "/api/v1/regions",
        headers=bearer(secret),
        json={"slug": "us", "name": "US", "timezone": "UTC"},
    )
    assert made.status_code == 201, made.json
    with first.application.extensions["rollout.sessions"]() as session:
        assert access.find_token(session, secret).last_used_at is not None
