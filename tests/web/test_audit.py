"""The audit trail as an admin reads it: each kind of record changed through the API, the CLI
or the worker says who, what and each field before and after; a refused change leaves no
entry; secrets never appear; the API's filters and pages."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import timedelta
from html import unescape

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from channels.config import NotifySettings
from rollout import access
from rollout.audit import AuditEntry
from rollout.feeds import FeedToken
from rollout.notifications import Contact
from tests.conftest import NOW
from tests.factories import CONTEXT, bearer, make_customer, make_policy, make_region, make_token
from tests.notifications.conftest import LOOPBACK
from tests.web.test_pages import sign_in
from web import cli as rollout_cli
from web.worker import CalendarPass, Worker


@pytest.fixture
def world(session):
    """Region us on the monthly policy with customer acme; an admin and a release manager."""
    make_region(session, "us")
    make_policy(session, "us")
    make_customer(session, "acme", "us")
    tokens = {role: make_token(session, role) for role in ("admin", "release_manager")}
    session.commit()
    return {
        role: {"headers": bearer(plain), "ref": f"token:{token_id(session, plain)}"}
        for role, plain in tokens.items()
    }


def token_id(session, plaintext: str) -> int:
    return access.find_token(session, plaintext).id


def call(client, method, path, who, body=None, status=200):
    answer = client.open(path, method=method, headers=who["headers"], json=body)
    assert answer.status_code == status, answer.text
    return answer.json


def audit(client, world, **filters) -> list[dict]:
    """The admin's audit, newest first."""
    answer = client.get("/api/v1/audit", headers=world["admin"]["headers"], query_string=filters)
    assert answer.status_code == 200, answer.text
    return answer.json["items"]


def fields(entry: dict) -> dict:
    """What changed, as a person reads it: field -> (before, after), or "secret"."""
    return {
        c["field"]: "secret" if c.get("secret") else (c.get("before"), c.get("after"))
        for c in entry["changes"]
    }


def test_a_freeze_made_and_lifted_says_which_token_did_it_and_what_it_was(client, world):
    body = {
        "title": "Payroll run",
        "region": "us",
        "starts_at": "2026-12-20T00:00:00Z",
        "ends_at": "2026-12-21T00:00:00Z",
    }
    freeze = call(client, "POST", "/api/v1/freezes", world["release_manager"], body, 201)
    call(client, "DELETE", f"/api/v1/freezes/{freeze['id']}", world["release_manager"], None, 204)

    lifted, made = audit(client, world, entity=f"freeze:{freeze['id']}")
    assert (made["action"], lifted["action"]) == ("created", "deleted")
    assert {made["actor"], lifted["actor"]} == {world["release_manager"]["ref"]}
    assert made["label"] == "Payroll run" and made["at"] == "2026-11-22T12:00:00Z"
    assert fields(made)["title"] == (None, "Payroll run")
    assert fields(made)["starts_at"] == (None, "2026-12-20T00:00:00Z")
    assert fields(lifted)["title"] == ("Payroll run", None)


def test_a_policy_edit_records_the_old_and_new_title_but_not_its_counter(client, world, session):
    policy = call(client, "GET", "/api/v1/policies", world["admin"])["items"][0]
    body = {"title": "Second Saturday", "revision": policy["revision"]}
    call(client, "PATCH", f"/api/v1/policies/{policy['id']}", world["admin"], body)

    [edit] = audit(client, world, entity=f"policy:{policy['id']}", actor=world["admin"]["ref"])
    assert edit["action"] == "changed"
    assert fields(edit) == {"title": ("Monthly maintenance", "Second Saturday")}


def test_a_moved_window_records_its_start_and_end_before_and_after(client, world):
    body = {
        "title": "Disk swap",
        "region": "us",
        "starts_at": "2026-12-02T03:00:00Z",
        "ends_at": "2026-12-02T04:00:00Z",
    }
    made = call(client, "POST", "/api/v1/windows", world["release_manager"], body, 201)
    move = {
        "action": "move",
        "revision": made["revision"],
        "starts_at": "2026-12-03T03:00:00Z",
        "ends_at": "2026-12-03T04:00:00Z",
        "reason": "vendor late",
    }
    call(client, "PATCH", f"/api/v1/windows/{made['id']}", world["release_manager"], move)

    moved, created = audit(client, world, entity=f"window:{made['id']}")
    assert created["action"] == "created" and fields(created)["kind"] == (None, "ad_hoc")
    assert moved["actor"] == world["release_manager"]["ref"]
    assert fields(moved)["starts_at"] == ("2026-12-02T03:00:00Z", "2026-12-03T03:00:00Z")
    assert fields(moved)["ends_at"] == ("2026-12-02T04:00:00Z", "2026-12-03T04:00:00Z")
    assert "sequence" not in fields(moved)


def test_a_release_its_item_waves_and_a_deployment_each_record_their_changes(client, world):
    manager = world["release_manager"]
    release = call(
        client, "POST", "/api/v1/releases", manager, {"version": "2026.12", "title": "Dec"}, 201
    )
    item = {"kind": "fix", "summary": "Fix the export", "jira_key": "OPS-1"}
    made_item = call(client, "POST", "/api/v1/releases/2026.12/items", manager, item, 201)
    call(client, "POST", "/api/v1/releases/2026.12/plan", manager)
    renamed = {"title": "December", "revision": release["revision"] + 1}
    call(client, "PATCH", "/api/v1/releases/2026.12", manager, renamed)
    waves = call(client, "GET", "/api/v1/releases/2026.12/waves", manager)["items"]
    deployment = waves[0]["deployments"][0]
    started = {"status": "in_progress", "note": "started by hand"}
    call(client, "PATCH", f"/api/v1/deployments/{deployment['id']}", manager, started)

    releases = [fields(e) for e in audit(client, world, entity=f"release:{release['id']}")]
    assert releases[-1]["version"] == (None, "2026.12")
    assert {"status": ("draft", "scheduled")} in releases
    assert {"title": ("Dec", "December")} in releases
    assert releases[0] == {"status": ("scheduled", "rolling_out")}  # the deployment's start
    [item_made] = audit(client, world, entity="release_item")
    assert item_made["entity_id"] == made_item["id"] and item_made["label"] == "Fix the export"
    assert fields(item_made)["jira_key"] == (None, "OPS-1")
    planned = audit(client, world, entity="wave")
    assert sorted(w["label"] for w in planned) == sorted(w["name"] for w in waves)
    assert {w["action"] for w in planned} == {"created"}
    [report] = audit(client, world, entity=f"deployment:{deployment['id']}")
    assert report["actor"] == manager["ref"]
    assert fields(report)["status"] == ("scheduled", "in_progress")
    assert fields(report)["note"] == ("", "started by hand")


def test_a_patch_for_one_customer_records_that_customer(client, world):
    body = {"title": "Export fix for Acme", "urgency": "normal", "customers": ["acme"]}
    made = call(client, "POST", "/api/v1/hotfixes", world["release_manager"], body, 201)

    scheduled, requested = audit(client, world, entity=f"hotfix:{made['id']}")
    assert {scheduled["actor"], requested["actor"]} == {world["release_manager"]["ref"]}
    assert fields(requested)["customers"] == ([], ["acme"])
    assert fields(scheduled) == {"status": ("awaiting_approval", "scheduled")}


def test_a_customer_and_its_environments_are_recorded_as_made_then_edited(client, world):
    admin = world["admin"]
    body = {"slug": "globex", "name": "Globex", "region": "us", "tier": "gold"}
    made = call(client, "POST", "/api/v1/customers", admin, body, 201)
    edit = {"name": "Globex Corp", "revision": made["revision"]}
    call(client, "PATCH", "/api/v1/customers/globex", admin, edit)

    edited, created = audit(client, world, entity="customer", actor=admin["ref"])
    assert fields(created)["slug"] == (None, "globex")
    assert fields(edited) == {"name": ("Globex", "Globex Corp")}
    environments = audit(client, world, entity="environment", actor=admin["ref"])
    assert sorted(fields(e)["kind"][1] for e in environments) == ["preview", "production"]


def test_a_customer_contact_is_recorded_as_its_token_changed_it_without_its_unsubscribe_token(
    client, world, session
):
    acme = make_token(session, "customer", "acme")
    session.commit()
    who = {"headers": bearer(acme), "ref": f"token:{token_id(session, acme)}"}
    base = "/api/v1/customers/acme/contacts"
    made = call(client, "POST", base, who, {"name": "Ada Ops", "email": "ops@acme.test"}, 201)
    change = {"subscriptions": ["maintenance"], "revision": made["revision"]}
    call(client, "PATCH", f"{base}/{made['id']}", who, change)
    call(client, "DELETE", f"{base}/{made['id']}", who, None, 204)

    gone, changed, created = audit(client, world, entity=f"contact:{made['id']}")
    assert {gone["actor"], changed["actor"], created["actor"]} == {who["ref"]}
    assert fields(created)["unsubscribe_token"] == "secret"
    assert fields(changed)["subscriptions"][1] == ["maintenance"]
    assert fields(gone)["email"] == ("ops@acme.test", None)


def test_a_webhook_rotation_says_the_secret_changed_and_never_what_it_is(client, world, app):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(
        settings, notifications=NotifySettings(allow_private=LOOPBACK)
    )
    admin = world["admin"]
    base = "/api/v1/customers/acme/webhooks"
    made = call(client, "POST", base, admin, {"url": "http://127.0.0.1:9/in"}, 201)
    rotated = call(client, "POST", f"{base}/{made['id']}/rotate", admin, {"revision": 1})

    rotation, created = audit(client, world, entity=f"webhook:{made['id']}")
    assert fields(created)["secret"] == "secret"
    assert fields(rotation)["secret"] == "secret"
    assert fields(rotation)["previous_secret"] == "secret"
    written = json.dumps([rotation, created])
    assert made["secret"] not in written and rotated["secret"] not in written


def test_a_private_feed_made_keeps_neither_its_hash_nor_its_nonce(client, world):
    call(client, "POST", "/api/v1/customers/acme/feed-token", world["admin"], None, 201)

    [made] = audit(client, world, entity="feed_token")
    assert fields(made)["token_hash"] == "secret" and fields(made)["nonce"] == "secret"


@pytest.fixture
def run_cli(app, monkeypatch):
    """`rollout ...` in this process, on the test's database."""
    monkeypatch.setattr(rollout_cli, "create_app", lambda **_: app)

    def run(*args: str, **env: str):
        result = CliRunner().invoke(rollout_cli.cli, list(args), env=env)
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_users_and_tokens_made_from_the_cli_are_the_clis_and_keep_no_password_or_hash(
    client, world, run_cli, session
):
    run_cli("user", "create", "--email", "ops@example.com", "--name", "Ops", "--role", "admin",
            ROLLOUT_PASSWORD="correct horse battery")  # fmt: skip
    run_cli("user", "set-password", "--email", "ops@example.com",
            ROLLOUT_PASSWORD="another horse battery")  # fmt: skip
    printed = run_cli("token", "create", "--role", "support_agent", "--name", "Help desk")
    plaintext = printed.split()[-1]

    changed, created = audit(client, world, entity="staff_user")
    assert {changed["actor"], created["actor"]} == {"cli"}
    assert fields(created)["email"] == (None, "ops@example.com")
    assert fields(created)["password_hash"] == "secret"
    assert fields(changed) == {"password_hash": "secret"}
    [token] = audit(client, world, entity="api_token", actor="cli")
    assert fields(token)["name"] == (None, "Help desk")
    assert fields(token)["token_hash"] == "secret"
    stored = json.dumps([e.changes for e in session.scalars(select(AuditEntry))])
    user = access.get_user(session, "ops@example.com")
    for secret in ("correct horse", "another horse", user.password_hash, plaintext):
        assert secret not in stored
    assert access.hash_token(plaintext) not in stored


def test_a_revoked_token_and_a_disabled_user_say_who_did_it_and_when_it_took_effect(
    client, world, run_cli, clock
):
    run_cli("user", "create", "--email", "ops@example.com", "--name", "Ops",
            ROLLOUT_PASSWORD="correct horse battery")  # fmt: skip
    made = call(client, "POST", "/api/v1/tokens", world["admin"],
                {"name": "Help desk", "role": "support_agent"}, 201)  # fmt: skip
    call(client, "DELETE", f"/api/v1/tokens/{made['id']}", world["admin"])
    call(client, "DELETE", f"/api/v1/tokens/{made['id']}", world["admin"])  # changes nothing
    run_cli("user", "disable", "ops@example.com")

    revoked, created = audit(client, world, entity=f"api_token:{made['id']}")
    assert revoked["actor"] == created["actor"] == world["admin"]["ref"]
    assert fields(revoked) == {"revoked_at": (None, f"{clock():%Y-%m-%dT%H:%M:%SZ}")}
    [disabled, _] = audit(client, world, entity="staff_user")
    assert disabled["actor"] == "cli" and fields(disabled)["disabled_at"][0] is None


def test_no_secret_of_any_row_appears_in_any_audit_entry(client, world, session, app):
    app.extensions["rollout.settings"] = dataclasses.replace(
        app.extensions["rollout.settings"], notifications=NotifySettings(allow_private=LOOPBACK)
    )
    admin = world["admin"]
    base = "/api/v1/customers/acme"
    contact = {"name": "Ada Ops", "email": "ops@acme.test"}
    made = call(client, "POST", f"{base}/contacts", admin, contact, 201)
    unsubscribe = session.scalar(select(Contact.unsubscribe_token).where(Contact.id == made["id"]))
    call(client, "DELETE", f"{base}/contacts/{made['id']}", admin, None, 204)
    hook = call(client, "POST", f"{base}/webhooks", admin, {"url": "http://127.0.0.1:9/in"}, 201)
    call(client, "POST", f"{base}/webhooks/{hook['id']}/rotate", admin, {"revision": 1})
    call(client, "POST", f"{base}/feed-token", admin, None, 201)
    feed = call(client, "POST", f"{base}/feed-token", admin, None, 201)
    user = access.create_user(
        session, email="ops@example.com", name="Ops", role="admin", password="p" * 12, now=NOW
    )
    access.set_password(session, email="ops@example.com", password="q" * 12)
    session.commit()

    stored = json.dumps([[e.label, e.changes] for e in session.scalars(select(AuditEntry))])
    secrets = [
        hook["secret"],
        feed["url"].rsplit("/", 1)[-1].removesuffix(".ics"),
        unsubscribe,
        user.password_hash,
        "p" * 12,
        "q" * 12,
        *(f"{t.token_hash}" for t in session.scalars(select(access.ApiToken))),
        *(f"{t.token_hash} {t.nonce}" for t in session.scalars(select(FeedToken))),
    ]
    for secret in secrets:
        for part in secret.split():
            assert part not in stored


def test_windows_the_worker_plans_are_recorded_as_that_workers(client, world, session_factory):
    worker = Worker(
        sessions=session_factory, clock=lambda: NOW + timedelta(days=400), base_url="x", name="w1"
    )
    planned = CalendarPass(None, CONTEXT)(worker)

    made = audit(client, world, entity="window", actor="worker", limit=500)
    assert planned > 0 and len(made) == planned
    assert {e["actor"] for e in made} == {"worker:w1"}


def test_a_refused_change_leaves_no_entry_though_it_was_written_before_the_refusal(client, world):
    manager = world["release_manager"]
    call(client, "POST", "/api/v1/releases", manager, {"version": "2026.12", "title": "Dec"}, 201)
    waves = call(client, "POST", "/api/v1/releases/2026.12/plan", manager)["items"]
    window = call(client, "GET", f"/api/v1/windows/{waves[0]['window']['id']}", manager)
    before = audit(client, world, limit=500)

    # The window is cancelled and flushed, then follow_window refuses: a wave waits in it.
    cancel = {"action": "cancel", "revision": window["revision"], "reason": "no staff"}
    call(client, "PATCH", f"/api/v1/windows/{window['id']}", manager, cancel, 409)
    stale = {"title": "Late", "revision": 1}
    call(client, "PATCH", "/api/v1/releases/2026.12", manager, stale, 409)

    assert audit(client, world, limit=500) == before


def test_the_audit_filters_by_actor_prefix_and_time_and_pages_with_a_cursor(client, world, clock):
    admin = world["admin"]
    for n in range(5):
        clock.advance(hours=1)
        body = {"version": f"2026.{n + 1}", "title": f"Release {n + 1}"}
        call(client, "POST", "/api/v1/releases", admin, body, 201)

    first = client.get("/api/v1/audit?entity=release&limit=2", headers=admin["headers"]).json
    assert [e["label"] for e in first["items"]] == ["2026.5", "2026.4"]
    second = client.get(
        f"/api/v1/audit?entity=release&limit=2&cursor={first['next_cursor']}",
        headers=admin["headers"],
    ).json
    assert [e["label"] for e in second["items"]] == ["2026.3", "2026.2"]
    last = client.get(
        f"/api/v1/audit?entity=release&limit=2&cursor={second['next_cursor']}",
        headers=admin["headers"],
    ).json
    assert [e["label"] for e in last["items"]] == ["2026.1"] and last["next_cursor"] is None

    window = {"from": "2026-11-22T14:00:00Z", "to": "2026-11-22T16:00:00Z"}
    assert [e["label"] for e in audit(client, world, entity="release", **window)] == [
        "2026.3",
        "2026.2",
    ]
    assert len(audit(client, world, actor="token")) == 5
    assert audit(client, world, actor="tok") == []
    assert audit(client, world, actor="user") == []


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("entity=releases", "entity", "kind of record"),
        ("entity=release:twelve", "entity", "release:12"),
        ("entity=release:0", "entity", "release:12"),
        ("cursor=abc", "cursor", "next_cursor"),
        ("limit=0", "limit", "1 to 500"),
        ("limit=501", "limit", "1 to 500"),
        ("from=yesterday", "from", "ISO 8601"),
        ("from=2026-11-22&to=2026-11-21", "to", "must be after from"),
        ("actor=" + "x" * 201, "actor", "200 characters"),
    ],
)
def test_a_bad_filter_is_refused_naming_it(client, world, query, field, words):
    refused = client.get(f"/api/v1/audit?{query}", headers=world["admin"]["headers"])

    assert refused.status_code == 400
    assert refused.json["error"]["field"] == field
    assert words in refused.json["error"]["message"]


def test_only_admins_read_the_audit(client, world):
    assert client.get("/api/v1/audit").status_code == 401
    manager = client.get("/api/v1/audit", headers=world["release_manager"]["headers"])
    assert manager.status_code == 403


def text_of(html: str) -> str:
    """A page's text as a person reads it: tags dropped, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_the_audit_page_shows_an_admin_who_did_what_by_name_with_before_and_after(
    client, world, session
):
    sign_in(client, session, role="admin", email="ada@example.com")
    manager = world["release_manager"]
    body = {"version": "2026.12", "title": "Dec"}
    made = call(client, "POST", "/api/v1/releases", manager, body, 201)
    call(client, "PATCH", "/api/v1/releases/2026.12", manager, {"title": "Later", "revision": 1})

    page = client.get(f"/staff/audit?kind=release&row={made['id']}")

    assert page.status_code == 200
    assert 'aria-current="page">Audit</a>' in page.text
    assert '<option value="release" selected>' in page.text
    rows = [text_of(row) for row in re.findall(r"<tr id=\"entry-.*?</tr>", page.text, re.S)]
    assert len(rows) == 2
    assert rows[0].startswith("2026-11-22 12:00 UTC token “release_manager token")
    assert f"changed release #{made['id']}: 2026.12 title: Dec → Later" in rows[0]
    assert "created release" in rows[1] and "version: 2026.12" in rows[1]


def test_the_audit_page_pages_back_with_the_filters_kept(client, world, session):
    sign_in(client, session, role="admin", email="ada@example.com")
    for n in range(26):  # with acme's, 54 environments
        make_customer(session, f"customer-{n}", "us")
    session.commit()

    first = client.get("/staff/audit?kind=environment").text
    assert first.count('<tr id="entry-') == 50
    older = unescape(re.search(r'<a href="([^"]+)" rel="next">Older entries', first).group(1))
    assert "kind=environment" in older
    second = client.get(older).text
    assert second.count('<tr id="entry-') == 4
    assert "Older entries" not in second and ">Newest</a>" in second


def test_a_bad_filter_on_the_page_is_said_beside_its_field(client, world, session):
    sign_in(client, session, role="admin", email="ada@example.com")

    page = client.get("/staff/audit?kind=release&row=twelve")

    assert page.status_code == 400
    error = re.search(r'<p class="error" id="filter-row-error"[^>]*>(.*?)</p>', page.text, re.S)
    assert "The record id is a whole number, such as 12." in unescape(error.group(1))
    assert 'name="row" value="twelve"' in page.text and 'aria-invalid="true"' in page.text


def test_only_admins_see_the_audit_page_and_its_link(client, world, session):
    assert client.get("/staff/audit").status_code == 302
    sign_in(client, session, role="release_manager")
    assert client.get("/staff/audit").status_code == 403
    assert "/staff/audit" not in client.get("/staff/releases").text
