"""Requests racing through a real server: each check-then-write has one winner, the others
answer 409 or the same idempotent answer, nothing is stored twice and nothing answers 500.
They run on PostgreSQL (row locks) and on a SQLite file (writers queue, never "locked")."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from rollout import releases
from rollout.customers import Customer
from rollout.feeds import FeedToken
from rollout.jira.bugs import upsert_bug
from rollout.jira.models import JiraPush
from rollout.notifications import Contact, Notification, create_contact
from rollout.releases import Deployment, Hotfix, Wave
from rollout.support.models import TicketBug
from rollout.support.tickets import create_ticket
from rollout.windows import Window, WindowKind
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.support.test_fix_status_use_cases import bug_record

RACERS = 10
# The live server runs on the real clock: windows are made this far ahead of it.
SOON = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)


def race(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Every call at the same moment, each on its own thread and connection."""
    start = threading.Barrier(len(calls))
    answers: list[requests.Response | None] = [None] * len(calls)

    def run(n: int) -> None:
        start.wait()
        answers[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(a is not None for a in answers), "a racer never got an answer"
    return answers


def statuses(answers: list[requests.Response]) -> Counter:
    return Counter(a.status_code for a in answers)


def conflict_fields(answers: list[requests.Response]) -> set[str]:
    return {a.json()["error"]["field"] for a in answers if a.status_code == 409}


def post(url: str, token: str, body: dict | None = None) -> Callable[[], requests.Response]:
    return lambda: requests.post(url, json=body or {}, headers=bearer(token), timeout=60)


def seed(live_server, build: Callable) -> dict:
    """Whatever `build(session)` makes, committed; it answers what the test needs."""
    with live_server.sessions() as session:
        made = build(session)
        session.commit()
    return made


def count(live_server, query) -> int:
    with live_server.sessions() as session:
        return session.scalar(query)


def customers_in_three_regions(session) -> None:
    for region in ("us", "eu", "apac"):
        make_region(session, region)
        for name in (f"{region}-one", f"{region}-two"):
            make_customer(session, name, region)


def test_racing_approvals_of_a_zero_day_approve_it_once(live_server):
    def build(session):
        customers_in_three_regions(session)
        for customer in session.scalars(select(Customer)):
            create_contact(
                session, customer, name="Ops", email=f"ops@{customer.slug}.test", now=SOON
            )
        hotfix = releases.request_hotfix(
            session,
            title="Close the hole",
            urgency="zero_day",
            justification="CVE-2026-9999 exploited in the wild",
            actor="requester",
            now=datetime.now(UTC),
        )
        approvers = [make_token(session, "release_manager") for _ in range(2 * RACERS)]
        return {"hotfix": hotfix.id, "approvers": approvers}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/hotfixes/{made['hotfix']}/approve"
    answers = race([post(url, token) for token in made["approvers"]])

    assert statuses(answers) == {200: 1, 409: 2 * RACERS - 1}
    assert conflict_fields(answers) == {"status"}
    emergency = select(func.count(Window.id)).where(Window.kind == WindowKind.EMERGENCY)
    assert count(live_server, emergency) == 3  # one per region
    deployments = select(func.count(Deployment.id)).where(Deployment.hotfix_id == made["hotfix"])
    assert count(live_server, deployments) == 12  # six customers, two environments each
    with live_server.sessions() as session:
        hotfix = session.get(Hotfix, made["hotfix"])
        winner = next(a for a in answers if a.status_code == 200)
        assert hotfix.approved_by == winner.json()["approved_by"]
        notices = Counter(
            session.scalars(
                select(Notification.contact_id).where(Notification.event == "hotfix.scheduled")
            )
        )
    assert len(notices) == 6 and set(notices.values()) == {1}  # one email per contact


def test_overlapping_windows_made_at_once_for_a_customer_and_its_region_leave_one(live_server):
    def build(session):
        make_region(session, "us")
        make_customer(session, "acme", "us")
        return {"token": make_token(session, "release_manager")}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/windows"
    bodies = [
        {
            "title": f"Racer {n}",
            # Half ask for acme alone, half for its whole region: they clash just the same.
            **({"customer": "acme"} if n % 2 else {"region": "us"}),
            "starts_at": (SOON + timedelta(minutes=n)).isoformat(),
            "ends_at": (SOON + timedelta(hours=2)).isoformat(),
        }
        for n in range(RACERS)
    ]
    answers = race([post(url, made["token"], body) for body in bodies])

    assert statuses(answers) == {201: 1, 409: RACERS - 1}
    assert conflict_fields(answers) == {"starts_at"}
    assert count(live_server, select(func.count(Window.id))) == 1


def test_racing_feed_token_rotations_leave_one_live_token_and_one_working_url(live_server):
    def build(session):
        make_region(session, "us")
        make_customer(session, "acme", "us")
        return {"token": make_token(session, "customer", customer="acme")}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/customers/acme/feed-token"
    answers = race([post(url, made["token"]) for _ in range(RACERS)])

    # Rotations queue: each is answered, and each one revokes the one before it.
    assert statuses(answers) == {201: RACERS}
    live = select(func.count(FeedToken.id)).where(FeedToken.revoked_at.is_(None))
    assert count(live_server, live) == 1
    feeds = [
        requests.get(a.json()["url"].replace("http://rollout.test", live_server.url), timeout=10)
        for a in answers
    ]
    assert sorted(f.status_code for f in feeds) == [200] + [404] * (RACERS - 1)


def test_racing_links_of_one_bug_to_one_ticket_make_one_link(live_server):
    def build(session):
        make_region(session, "us")
        make_customer(session, "acme", "us")
        upsert_bug(session, bug_record("OPS-1"), now=SOON)
        create_ticket(
            session,
            external_id="ZD-1",
            url="https://help.example.com/tickets/1",
            customer="acme",
            requester_name="Dana",
            requester_email="dana@acme.example",
            subject="Exports time out",
            sla_level=2,
            now=SOON,
        )
        return {"token": make_token(session, "support_agent")}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/tickets/ZD-1/links"
    answers = race([post(url, made["token"], {"bug": "OPS-1"}) for _ in range(2 * RACERS)])

    # Linking is idempotent: every caller gets the ticket with its one link.
    assert statuses(answers) == {201: 2 * RACERS}
    assert {tuple(bug["key"] for bug in a.json()["bugs"]) for a in answers} == {("OPS-1",)}
    assert count(live_server, select(func.count(TicketBug.id))) == 1
    remote_links = select(func.count(JiraPush.id)).where(JiraPush.action == "remote_link")
    assert count(live_server, remote_links) == 1


def test_racing_plans_of_one_release_leave_one_set_of_waves(live_server):
    def build(session):
        for region in ("us", "eu"):
            make_region(session, region)
            make_policy(session, region, now=datetime.now(UTC))
            make_customer(session, f"{region}-one", region)
        releases.create_release(session, version="2026.12", title="December", now=SOON)
        return {"token": make_token(session, "release_manager")}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/releases/2026.12/plan"
    answers = race([post(url, made["token"]) for _ in range(RACERS)])

    # A plan replaces the one before: every caller gets the same waves, stored once.
    assert statuses(answers) == {200: RACERS}
    plans = {tuple(w["name"] for w in a.json()["items"]) for a in answers}
    assert len(plans) == 1
    assert count(live_server, select(func.count(Wave.id))) == len(plans.pop())
    deployments = select(
        func.count(Deployment.id), func.count(Deployment.environment_id.distinct())
    )
    with live_server.sessions() as session:
        assert tuple(session.execute(deployments).one()) == (4, 4)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/regions", {"slug": "apac", "name": "APAC", "timezone": "UTC"}, "slug"),
        (
            "/api/v1/customers",
            {"slug": "initech", "name": "I", "region": "us", "tier": "gold"},
            "slug",
        ),
        ("/api/v1/customers/acme/contacts", {"name": "Ops", "email": "ops@acme.test"}, "email"),
    ],
)
def test_the_same_name_created_twice_at_once_is_created_once(live_server, path, body, field):
    def build(session):
        make_region(session, "us")
        make_customer(session, "acme", "us")
        return {"token": make_token(session, "admin")}

    made = seed(live_server, build)
    answers = race([post(live_server.url + path, made["token"], body) for _ in range(RACERS)])

    assert statuses(answers) == {201: 1, 409: RACERS - 1}
    assert conflict_fields(answers) == {field}
    listed = requests.get(live_server.url + path, headers=bearer(made["token"]), timeout=10)
    assert sum(item.get(field) == body[field] for item in listed.json()["items"]) == 1


def test_contacts_renamed_to_one_email_at_once_leave_one_with_it(live_server):
    def build(session):
        make_region(session, "us")
        acme = make_customer(session, "acme", "us")
        ids = [
            create_contact(session, acme, name=f"Ops {n}", email=f"ops{n}@acme.test", now=SOON).id
            for n in range(RACERS)
        ]
        return {"token": make_token(session, "admin"), "contacts": ids}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/customers/acme/contacts"
    answers = race(
        [
            lambda n=n: requests.patch(
                f"{url}/{n}",
                json={"email": "ops@acme.test"},
                headers=bearer(made["token"]),
                timeout=60,
            )
            for n in made["contacts"]
        ]
    )

    assert statuses(answers) == {200: 1, 409: RACERS - 1}
    assert conflict_fields(answers) == {"email"}
    taken = select(func.count(Contact.id)).where(Contact.email == "ops@acme.test")
    assert count(live_server, taken) == 1


def test_writers_at_the_same_moment_queue_and_all_succeed(live_server):
    def build(session):
        make_region(session, "us")
        make_customer(session, "acme", "us")
        return {"token": make_token(session, "admin")}

    made = seed(live_server, build)
    url = f"{live_server.url}/api/v1/customers/acme/contacts"
    bodies = [{"name": f"Ops {n}", "email": f"ops{n}@acme.test"} for n in range(RACERS)]
    answers = race([post(url, made["token"], body) for body in bodies])

    assert statuses(answers) == {201: RACERS}
    assert count(live_server, select(func.count(Contact.id))) == RACERS


def test_reads_go_on_while_a_writer_holds_the_database(live_server):
    seed(live_server, lambda session: make_region(session, "us"))
    with live_server.sessions() as writer:
        make_region(writer, "eu")  # written, not yet committed: on SQLite the write lock is held
        # A reader queued behind the writer would wait out the whole busy timeout.
        answer = requests.get(f"{live_server.url}/api/v1/regions", timeout=10)
        writer.rollback()

    assert answer.status_code == 200
    assert [r["slug"] for r in answer.json()["items"]] == ["us"]
