"""Contacts, webhook endpoints and the outbox over the API; one-click unsubscribe; the
customer admin's page and the operators' page."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest

from channels.config import NotifySettings
from rollout.notifications import Notification, NotificationStatus, notify
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_region, make_token
from tests.notifications.conftest import LOOPBACK
from tests.web.contacts import make_contact, sign_in_contact
from tests.web.test_openapi import response_validator
from tests.web.test_pages import csrf_token, sign_in


@pytest.fixture
def world(session, app):
    make_region(session, "us")
    acme = make_customer(session, "acme", "us")
    make_customer(session, "globex", "us")
    tokens = {
        "acme": bearer(make_token(session, "customer", customer="acme")),
        "globex": bearer(make_token(session, "customer", customer="globex")),
        "admin": bearer(make_token(session, "admin")),
    }
    session.commit()
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings, notifications=NotifySettings(allow_private=LOOPBACK)
    )
    return {"customer": acme, **tokens}


def contact_body(**overrides):
    return {"name": "Ada Ops", "email": "ops@acme.test"} | overrides


def test_a_customer_manages_its_own_contacts(client, world):
    made = client.post(
        "/api/v1/customers/acme/contacts",
        headers=world["acme"],
        json=contact_body(locale="fr", subscriptions=["maintenance"]),
    )
    assert made.status_code == 201, made.json
    contact = made.json
    assert contact["locale"] == "fr" and contact["timezone"] == "America/New_York"
    assert contact["subscriptions"] == ["maintenance"]
    assert "unsubscribe_token" not in contact
    changed = client.patch(
        f"/api/v1/customers/acme/contacts/{contact['id']}",
        headers=world["acme"],
        json={"subscriptions": ["maintenance", "hotfixes"], "version": contact["version"]},
    )
    assert changed.status_code == 200 and changed.json["subscriptions"] == [
        "maintenance",
        "hotfixes",
    ]
    listed = client.get("/api/v1/customers/acme/contacts", headers=world["acme"]).json
    assert [c["email"] for c in listed["items"]] == ["ops@acme.test"]
    gone = client.delete(f"/api/v1/customers/acme/contacts/{contact['id']}", headers=world["acme"])
    assert gone.status_code == 204
    assert client.get("/api/v1/customers/acme/contacts", headers=world["acme"]).json == {
        "items": []
    }


def test_a_customer_token_cannot_reach_another_customers_contacts_or_webhooks(client, world):
    for path in ("/api/v1/customers/acme/contacts", "/api/v1/customers/acme/webhooks"):
        answer = client.get(path, headers=world["globex"])
        assert answer.status_code == 403 and answer.json["error"]["field"] == "customer"
    made = client.post(
        "/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body()
    ).json
    answer = client.patch(
        f"/api/v1/customers/globex/contacts/{made['id']}",
        headers=world["globex"],
        json={"name": "x"},
    )
    assert answer.status_code == 404  # not globex's


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "a@b.test\r\nBcc: x@y.test"}, "email"),
        ({"name": "Eve\nBcc: victim@evil.test"}, "name"),
        ({"locale": "de"}, "locale"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"subscriptions": ["gossip"]}, "subscriptions.0"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_contact_input_is_refused_naming_the_field(client, world, fields, field):
    answer = client.post(
        "/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body(**fields)
    )
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["field"] == field


def test_the_same_email_twice_is_a_conflict(client, world):
    client.post("/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body())
    again = client.post(
        "/api/v1/customers/acme/contacts",
        headers=world["acme"],
        json=contact_body(email="OPS@ACME.TEST".lower()),
    )
    assert again.status_code == 409 and again.json["error"]["field"] == "email"


def test_a_webhook_secret_is_shown_once_and_rotation_keeps_the_old_one_a_while(
    client, world, clock
):
    made = client.post(
        "/api/v1/customers/acme/webhooks",
        headers=world["acme"],
        json={"url": "http://127.0.0.1:9/in", "topics": ["maintenance"]},
    )
    assert made.status_code == 201, made.json
    assert made.json["secret"].startswith("whsec_")
    listed = client.get("/api/v1/customers/acme/webhooks", headers=world["acme"]).json
    assert "secret" not in listed["items"][0]
    rotated = client.post(
        f"/api/v1/customers/acme/webhooks/{made.json['id']}/rotate",
        headers=world["acme"],
        json={"grace_hours": 12},
    )
    assert rotated.status_code == 200
    assert rotated.json["secret"] != made.json["secret"]
    assert rotated.json["previous_secret_expires_at"] == "2026-11-23T00:00:00Z"
    gone = client.delete(
        f"/api/v1/customers/acme/webhooks/{made.json['id']}", headers=world["acme"]
    )
    assert gone.status_code == 204


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/in", "private"),
        ("https://[::1]/in", "private"),
        ("ftp://127.0.0.1/in", "https"),
        ("not a url", "https"),
        ("https://[::1/x", "not a URL"),
        # IPv6 forms that reach loopback, the metadata service or a site through a translator
        ("https://[::127.0.0.1]/in", "private"),
        ("https://[64:ff9b::7f00:1]/in", "private"),
        ("https://[64:ff9b::a9fe:a9fe]/in", "private"),
        ("https://[2002:7f00:1::]/in", "private"),
        ("https://[2002:a9fe:a9fe::]/in", "private"),
        ("https://[::ffff:0:7f00:1]/in", "private"),
        ("https://[fec0::1]/in", "private"),
        ("https://[64:ff9b:1::808:808]/in", "private"),
    ],
)
def test_webhook_urls_that_are_not_https_or_are_private_are_refused(
    client, world, app, url, message
):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings, notifications=NotifySettings()
    )
    answer = client.post(
        "/api/v1/customers/acme/webhooks", headers=world["acme"], json={"url": url}
    )
    assert answer.status_code == 422
    assert answer.json["error"]["field"] == "url" and message in answer.json["error"]["message"]


def add_webhook(client, world, **fields) -> dict:
    made = client.post(
        "/api/v1/customers/acme/webhooks",
        headers=world["acme"],
        json={"url": "http://127.0.0.1:9/in"} | fields,
    )
    assert made.status_code == 201, made.json
    return made.json


def test_a_webhook_endpoint_is_changed_and_turned_off_and_on_again(client, world):
    made = add_webhook(client, world)
    path = f"/api/v1/customers/acme/webhooks/{made['id']}"
    changed = client.patch(
        path,
        headers=world["acme"],
        json={"url": "http://127.0.0.1:10/in", "topics": ["hotfixes"], "description": "Ops"},
    )
    assert changed.status_code == 200, changed.json
    response_validator("Webhook").validate(changed.json)
    assert (changed.json["url"], changed.json["topics"], changed.json["description"]) == (
        "http://127.0.0.1:10/in",
        ["hotfixes"],
        "Ops",
    )
    assert "secret" not in changed.json
    off = client.patch(path, headers=world["acme"], json={"enabled": False}).json
    assert off["enabled"] is False and off["disabled_at"] and off["disabled_reason"]
    on = client.patch(path, headers=world["acme"], json={"enabled": True}).json
    assert (on["enabled"], on["disabled_at"], on["disabled_reason"]) == (True, None, None)
    other = client.patch(
        f"/api/v1/customers/globex/webhooks/{made['id']}",
        headers=world["globex"],
        json={"enabled": True},
    )
    assert other.status_code == 404  # not globex's


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "https://127.0.0.1/in"}, "url", "private"),
        ({"url": "https://[::1/x"}, "url", "not a URL"),
        ({"url": "ftp://hooks.example.com/"}, "url", "https"),
        ({"topics": ["gossip"]}, "topics.0", ""),
        ({"enabled": "maybe"}, "enabled", ""),
    ],
)
def test_a_webhook_change_is_checked_like_a_new_endpoint(
    client, world, app, fields, field, message
):
    made = add_webhook(client, world)
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings, notifications=NotifySettings()
    )
    answer = client.patch(
        f"/api/v1/customers/acme/webhooks/{made['id']}", headers=world["acme"], json=fields
    )
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["field"] == field and message in answer.json["error"]["message"]


def test_a_bad_grace_period_is_refused(client, world):
    made = client.post(
        "/api/v1/customers/acme/webhooks",
        headers=world["acme"],
        json={"url": "http://127.0.0.1:9/in"},
    ).json
    answer = client.post(
        f"/api/v1/customers/acme/webhooks/{made['id']}/rotate",
        headers=world["acme"],
        json={"grace_hours": 1000},
    )
    assert answer.status_code == 422 and answer.json["error"]["field"] == "grace_hours"


def queue(session, world, status=NotificationStatus.FAILED, email="ops@acme.test"):
    from rollout.notifications import create_contact

    create_contact(session, world["customer"], name="Ops", email=email, now=NOW)
    notify(
        session,
        event="release.published",
        customers=[world["customer"]],
        topic="release_notes",
        payload={"release": {"version": "1", "title": "One"}},
        key=f"release:1:{email}",
        due_at=NOW,
        now=NOW,
    )
    row = session.query(Notification).filter_by(address=email).one()
    row.status, row.last_error = status, "550 5.1.1 no such mailbox"
    session.commit()
    return row


def test_staff_list_failed_notifications_with_counts_and_send_them_again(client, world, session):
    failed = queue(session, world)
    queue(session, world, NotificationStatus.DELIVERED, email="b@acme.test")
    listing = client.get("/api/v1/notifications?status=failed", headers=world["admin"])
    assert listing.status_code == 200
    assert listing.json["counts"]["failed"] == 1 and listing.json["counts"]["delivered"] == 1
    assert [n["id"] for n in listing.json["items"]] == [failed.id]
    assert listing.json["items"][0]["last_error"].startswith("550")
    retried = client.post(f"/api/v1/notifications/{failed.id}/retry", headers=world["admin"])
    assert retried.status_code == 200 and retried.json["status"] == "pending"
    assert retried.json["message_id"] == failed.message_id
    again = client.post(f"/api/v1/notifications/{failed.id}/retry", headers=world["admin"])
    assert again.status_code == 409
    assert client.get("/api/v1/notifications", headers=world["acme"]).status_code == 403
    bad = client.get("/api/v1/notifications?status=lost", headers=world["admin"])
    assert bad.status_code == 400 and bad.json["error"]["field"] == "status"


def test_the_failed_list_also_holds_the_dead_each_with_its_own_status(client, world, session):
    failed = queue(session, world)
    dead = queue(session, world, NotificationStatus.DEAD, email="b@acme.test")
    queue(session, world, NotificationStatus.DELIVERED, email="c@acme.test")
    listing = client.get("/api/v1/notifications?status=failed", headers=world["admin"]).json
    assert [(n["id"], n["status"]) for n in listing["items"]] == [
        (dead.id, "dead"),
        (failed.id, "failed"),
    ]
    assert (listing["counts"]["failed"], listing["counts"]["dead"]) == (1, 1)
    only_dead = client.get("/api/v1/notifications?status=dead", headers=world["admin"]).json
    assert [n["id"] for n in only_dead["items"]] == [dead.id]
    sign_in(client, session)
    page = client.get("/staff/notifications?status=failed").text
    assert f"#{failed.id} release.published" in page and f"#{dead.id} release.published" in page
    assert re.search(r'data-status="failed">1<', page) and re.search(r'data-status="dead">1<', page)


def test_one_click_unsubscribe_takes_effect_at_once_without_sign_in_or_redirect(
    client, world, session
):
    row = queue(session, world, NotificationStatus.PENDING)
    token = row.contact.unsubscribe_token
    confirm = client.get(f"/unsubscribe/{token}")
    assert confirm.status_code == 200 and "Unsubscribe?" in confirm.text
    assert row.contact.subscriptions  # a GET (a link preview) changes nothing
    done = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert done.headers["Referrer-Policy"] == "no-referrer"
    session.expire_all()
    assert session.get(Notification, row.id).status == NotificationStatus.CANCELLED
    assert session.get(Notification, row.id).contact.subscriptions == []
    assert client.post("/unsubscribe/nope", data={}).status_code == 404


def test_operators_see_failed_notifications_with_their_attempts(client, world, session):
    row = queue(session, world)
    sign_in(client, session)
    page = client.get("/staff/notifications?status=failed")
    assert page.status_code == 200
    assert f"#{row.id} release.published" in page.text and "550 5.1.1" in page.text
    assert re.search(r'data-status="failed">1<', page.text)
    sent = client.post(
        f"/staff/notifications/{row.id}/retry",
        data={"csrf_token": csrf_token(client, "/staff/notifications")},
    )
    assert sent.status_code == 303
    session.expire_all()
    assert session.get(Notification, row.id).status == NotificationStatus.PENDING


def test_a_customer_admin_signs_in_by_link_and_manages_its_contacts(client, world, session):
    assert client.get("/customers/acme/notifications").status_code == 302
    signed = sign_in_customer_admin(client, session)
    assert signed.headers["Location"] == "/customer"
    added = client.post(
        "/customers/acme/notifications/contacts",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "name": "Zoë, Ops",
            "email": "zoe@acme.test",
            "locale": "fr",
            "timezone": "Europe/Paris",
            "topics": ["maintenance", "hotfixes"],
        },
    )
    assert added.status_code == 303
    page = client.get("/customers/acme/notifications")
    assert "Zoë, Ops" in page.text and "zoe@acme.test" in page.text
    refused = client.post(
        "/customers/acme/notifications/contacts",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "name": "X",
            "email": "nope",
        },
    )
    assert refused.status_code == 422
    assert 'id="new-email-error">Not an email address' in refused.text
    hook = client.post(
        "/customers/acme/notifications/webhooks",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "url": "http://127.0.0.1:9/in",
            "topics": ["maintenance"],
        },
    )
    assert hook.status_code == 303 and "whsec_" not in hook.text
    assert "whsec_" in client.get("/customers/acme/notifications").text
    assert "whsec_" not in client.get("/customers/acme/notifications").text
    assert client.get("/customers/globex/notifications").status_code == 403


def test_a_customer_admin_re_enables_an_endpoint_and_is_told_which_field_is_wrong(
    client, world, session
):
    from rollout.notifications import WebhookEndpoint

    made = add_webhook(client, world)
    endpoint = session.get(WebhookEndpoint, made["id"])
    endpoint.disabled_at, endpoint.disabled_reason = NOW, "410 gone: endpoint disabled"
    sign_in_customer_admin(client, session)
    page = client.get("/customers/acme/notifications").text
    assert "Disabled: 410 gone" in page and "Re-enable" in page
    enabled = client.post(
        f"/customers/acme/notifications/webhooks/{made['id']}/enable",
        data={"csrf_token": csrf_token(client, "/customers/acme/notifications")},
    )
    assert enabled.status_code == 303
    page = client.get("/customers/acme/notifications").text
    assert "Disabled:" not in page and "Re-enable" not in page
    session.expire_all()
    assert session.get(WebhookEndpoint, made["id"]).disabled_at is None
    malformed = client.post(
        "/customers/acme/notifications/webhooks",
        data={
            "csrf_token": csrf_token(client, "/customers/acme/notifications"),
            "url": "https://[::1/x",
            "topics": ["maintenance"],
        },
    )
    assert malformed.status_code == 422 and 'id="new-url-error">Not a URL' in malformed.text


def test_a_webhook_edit_made_from_a_stale_version_is_refused_naming_version(client, world):
    made = add_webhook(client, world)
    assert made["version"] == 1
    path = f"/api/v1/customers/acme/webhooks/{made['id']}"
    first = client.patch(path, headers=world["acme"], json={"description": "A", "version": 1})
    assert first.status_code == 200 and first.json["version"] == 2
    response_validator("Webhook").validate(first.json)
    stale = client.patch(path, headers=world["acme"], json={"description": "B", "version": 1})
    assert stale.status_code == 409 and stale.json["error"]["field"] == "version"
    [kept] = client.get("/api/v1/customers/acme/webhooks", headers=world["acme"]).json["items"]
    assert (kept["description"], kept["version"]) == ("A", 2)


def test_rotating_and_turning_a_webhook_off_and_on_each_make_a_new_version(client, world):
    made = add_webhook(client, world)
    path = f"/api/v1/customers/acme/webhooks/{made['id']}"
    rotated = client.post(f"{path}/rotate", headers=world["acme"], json={"version": 1}).json
    off = client.patch(path, headers=world["acme"], json={"enabled": False}).json
    on = client.patch(path, headers=world["acme"], json={"enabled": True, "version": 3}).json
    assert [rotated["version"], off["version"], on["version"]] == [2, 3, 4]
    stale = client.post(f"{path}/rotate", headers=world["acme"], json={"version": 1})
    assert stale.status_code == 409 and stale.json["error"]["field"] == "version"


def sign_in_customer_admin(client, session):
    """Sign in as Zed, an admin contact of acme: listed after the tests' own contacts."""
    make_contact(session, email="zed@acme.test", name="Zed Admin", role="admin")
    session.commit()
    return sign_in_contact(client, session, "zed@acme.test")


def rendered_versions(page: str) -> list[int]:
    return [int(v) for v in re.findall(r'name="version"[^>]*value="(\d+)"', page)]


def test_a_form_on_the_customer_page_saved_after_someone_else_changed_the_row_is_refused(
    client, world, session
):
    from rollout.notifications import Contact, WebhookEndpoint

    contact = client.post(
        "/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body()
    ).json
    hook = add_webhook(client, world)
    sign_in_customer_admin(client, session)
    page = client.get("/customers/acme/notifications").text
    # The contact's form, the admin's own, then the rotation's.
    assert rendered_versions(page) == [1, 1, 1]
    client.patch(
        f"/api/v1/customers/acme/contacts/{contact['id']}",
        headers=world["acme"],
        json={"subscriptions": ["hotfixes"]},
    )
    client.patch(
        f"/api/v1/customers/acme/webhooks/{hook['id']}",
        headers=world["acme"],
        json={"description": "Ops"},
    )
    token = csrf_token(client, "/customers/acme/notifications")
    saved = client.post(
        f"/customers/acme/notifications/contacts/{contact['id']}",
        data={"csrf_token": token, "version": "1", "topics": ["maintenance"]},
    )
    rotated = client.post(
        f"/customers/acme/notifications/webhooks/{hook['id']}/rotate",
        data={"csrf_token": token, "version": "1"},
    )
    for answer in (saved, rotated):
        assert answer.status_code == 409
        assert "Someone changed this since you opened the page" in answer.text
    assert "whsec_" not in rotated.text
    session.expire_all()
    assert session.get(Contact, contact["id"]).subscriptions == ["hotfixes"]
    assert session.get(WebhookEndpoint, hook["id"]).previous_secret is None
    fresh = client.post(
        f"/customers/acme/notifications/webhooks/{hook['id']}/rotate",
        data={"csrf_token": token, "version": "2"},
    )
    assert fresh.status_code == 303
    assert "whsec_" in client.get("/customers/acme/notifications").text


def test_re_enabling_from_a_page_read_before_the_endpoint_changed_is_refused(
    client, world, session
):
    from rollout.notifications import WebhookEndpoint

    hook = add_webhook(client, world)
    path = f"/api/v1/customers/acme/webhooks/{hook['id']}"
    client.patch(path, headers=world["acme"], json={"enabled": False})
    sign_in_customer_admin(client, session)
    page = client.get("/customers/acme/notifications").text
    assert "Re-enable" in page and rendered_versions(page) == [1, 2, 2]  # the admin, the hook
    client.patch(path, headers=world["acme"], json={"url": "http://127.0.0.1:10/in"})
    enabled = client.post(
        f"/customers/acme/notifications/webhooks/{hook['id']}/enable",
        data={"csrf_token": csrf_token(client, "/customers/acme/notifications"), "version": "2"},
    )
    assert enabled.status_code == 409 and "Someone changed this" in enabled.text
    assert "127.0.0.1:10" in enabled.text  # the endpoint as it is now
    session.expire_all()
    assert session.get(WebhookEndpoint, hook["id"]).disabled_at is not None


# Sending again: only what is still wanted.


def retry(client, world, row):
    return client.post(f"/api/v1/notifications/{row.id}/retry", headers=world["admin"])


def refused(answer, field: str, message: str) -> bool:
    error = answer.json["error"]
    return answer.status_code == 409 and error["field"] == field and message in error["message"]


def test_a_dead_notification_is_sent_again(client, world, session):
    dead = queue(session, world, NotificationStatus.DEAD)
    answer = retry(client, world, dead)
    assert answer.status_code == 200 and answer.json["status"] == "pending"
    response_validator("Notification").validate(answer.json)


def test_notices_cancelled_because_a_later_change_replaced_them_are_not_sent_again(
    client, world, session
):
    from tests.notifications.test_triggers import change, make_window, rows

    client.post("/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body())
    window = make_window(session)
    change(session, window, "announce")
    change(session, window, "move", starts_at=window.starts_at + timedelta(days=1), reason="x")
    change(session, window, "cancel", reason="not needed after all")
    session.commit()
    announcement = rows(session, event="window.announced")[0]
    old_reminder = rows(session, event="window.reminder")[0]
    assert announcement.last_error == "superseded"
    assert old_reminder.last_error == "superseded by revision 2"
    assert refused(
        retry(client, world, old_reminder),
        "status",
        "superseded by revision 2: a newer notice replaced it",
    )
    assert refused(
        retry(client, world, announcement),
        "status",
        "superseded: a later change made it unnecessary",
    )


@pytest.mark.parametrize(
    "status", [NotificationStatus.FAILED, NotificationStatus.DEAD, NotificationStatus.CANCELLED]
)
def test_a_notification_past_its_expiry_is_never_sent_again(client, world, session, status):
    row = queue(session, world, status)
    row.expires_at, row.last_error = NOW - timedelta(minutes=1), "expired: too late to be useful"
    session.commit()
    assert refused(retry(client, world, row), "expires_at", "too late to be useful")


def test_a_failed_notification_keeps_its_expiry_when_sent_again(client, world, session):
    row = queue(session, world)
    row.expires_at = NOW + timedelta(hours=1)
    session.commit()
    answer = retry(client, world, row)
    assert answer.status_code == 200 and answer.json["expires_at"] == "2026-11-22T13:00:00Z"


def test_mail_cancelled_by_unsubscribing_goes_again_only_once_the_contact_subscribes_again(
    client, world, session
):
    row = queue(session, world, NotificationStatus.PENDING)
    client.post(f"/unsubscribe/{row.contact.unsubscribe_token}")
    session.expire_all()
    assert (row.status, row.last_error) == ("cancelled", "unsubscribed")
    assert refused(retry(client, world, row), "contact", "unsubscribed from release_notes")
    client.patch(
        f"/api/v1/customers/acme/contacts/{row.contact_id}",
        headers=world["acme"],
        json={"subscriptions": ["release_notes"]},
    )
    answer = retry(client, world, row)
    assert answer.status_code == 200 and answer.json["status"] == "pending"


def test_a_failed_email_to_a_contact_who_since_unsubscribed_is_not_sent_again(
    client, world, session
):
    row = queue(session, world)
    client.patch(
        f"/api/v1/customers/acme/contacts/{row.contact_id}",
        headers=world["acme"],
        json={"subscriptions": ["maintenance"]},
    )
    assert refused(retry(client, world, row), "contact", "unsubscribed from release_notes")


@pytest.mark.parametrize(
    ("recipients", "channel", "cause"),
    [("contacts", "email", "contact removed"), ("webhooks", "webhook", "endpoint removed")],
)
def test_a_notification_whose_recipient_was_removed_is_not_sent_again(
    client, world, session, recipients, channel, cause
):
    add_webhook(client, world, topics=["release_notes"])
    queue(session, world, NotificationStatus.PENDING)
    row = session.query(Notification).filter_by(channel=channel).one()
    recipient_id = row.contact_id or row.endpoint_id
    client.delete(f"/api/v1/customers/acme/{recipients}/{recipient_id}", headers=world["acme"])
    session.expire_all()
    assert (row.status, row.last_error) == ("cancelled", cause)
    assert refused(retry(client, world, row), "status", "its recipient was removed")


@pytest.mark.parametrize("version", ["²", "1.0", "-1", "one"])
def test_a_damaged_version_in_a_page_form_is_refused_not_a_crash(client, world, session, version):
    contact = client.post(
        "/api/v1/customers/acme/contacts", headers=world["acme"], json=contact_body()
    ).json
    sign_in_customer_admin(client, session)
    token = csrf_token(client, "/customers/acme/notifications")
    saved = client.post(
        f"/customers/acme/notifications/contacts/{contact['id']}",
        data={"csrf_token": token, "version": version, "topics": ["maintenance"]},
    )
    assert saved.status_code == 422 and "reload the page" in saved.text
