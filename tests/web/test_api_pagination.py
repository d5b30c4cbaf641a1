"""The API's lists a page at a time: `limit` and `cursor`, the answer's `next_cursor` leading
to the rest without repeats or gaps, in a number of statements that does not grow with the
page; a bad cursor or limit is a 400 naming it; no cursor is the first page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from rollout.customers import Customer, Environment, get_region
from rollout.notifications.models import Notification
from rollout.support.models import Ticket
from tests.conftest import NOW
from tests.factories import bearer, make_customer, make_policy, make_region, make_token
from tests.statements import statements


def add_customers(session, count: int, *, prefix: str = "c") -> None:
    """`count` customers in us, with both environments, inserted in bulk."""
    region = get_region(session, "us")
    session.execute(
        sa.insert(Customer),
        [
            {
                "slug": f"{prefix}{n:04d}",
                "name": f"Customer {n}",
                "region_id": region.id,
                "tier": "standard",
                "timezone": "UTC",
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(count)
        ],
    )
    ids = session.scalars(sa.select(Customer.id).where(Customer.slug.like(f"{prefix}%")))
    session.execute(
        sa.insert(Environment),
        [
            {"customer_id": cid, "kind": kind, "name": f"{cid}-{kind}"}
            for cid in ids
            for kind in ("preview", "production")
        ],
    )
    session.commit()


def walk(client, path: str, headers: dict, cursor: str = "") -> tuple[list[dict], int]:
    """Every item of a list from `cursor` on, following next_cursor; and how many pages."""
    items, pages = [], 0
    while True:
        separator = "&" if "?" in path else "?"
        answer = client.get(f"{path}{separator}cursor={cursor}", headers=headers)
        assert answer.status_code == 200, answer.text
        body = answer.get_json()
        items += body["items"]
        pages += 1
        if body["next_cursor"] is None:
            return items, pages
        cursor = body["next_cursor"]


@pytest.fixture
def admin(session):
    make_region(session, "us")
    headers = bearer(make_token(session))
    session.commit()
    return headers


def test_500_customers_answer_their_first_page_in_a_few_statements_and_the_cursor_leads_on(
    client, session, connection, admin
):
    add_customers(session, 501)
    client.get("/api/v1/customers?limit=5", headers=admin)  # warms what is read once

    with statements(connection) as few:
        small = client.get("/api/v1/customers?limit=5", headers=admin)
    with statements(connection) as sent:
        first = client.get("/api/v1/customers", headers=admin)

    assert small.status_code == first.status_code == 200
    body = first.get_json()
    assert len(body["items"]) == 500, "the default page is 500 customers"
    assert [e["kind"] for e in body["items"][0]["environments"]] == ["preview", "production"]
    # environments are read 500 customers at a time: the one past the page may cost one more
    assert len(sent) <= len(few) + 1 <= 6, "\n".join(sent)
    rest = client.get(f"/api/v1/customers?cursor={body['next_cursor']}", headers=admin)
    assert [c["slug"] for c in rest.get_json()["items"]] == ["c0500"]
    assert rest.get_json()["next_cursor"] is None


def test_customers_walked_a_page_at_a_time_are_every_customer_once_in_slug_order(
    client, session, admin
):
    add_customers(session, 23)

    items, pages = walk(client, "/api/v1/customers?limit=5", admin)

    slugs = [c["slug"] for c in items]
    assert slugs == sorted(session.scalars(sa.select(Customer.slug)))
    assert pages == 5


def test_a_customer_added_between_pages_after_the_cursor_is_met_and_none_repeats(
    client, session, admin
):
    add_customers(session, 10)
    first = client.get("/api/v1/customers?limit=5", headers=admin).get_json()
    make_customer(session, "a-early")  # sorts before the cursor: on a page already read
    make_customer(session, "z-late")
    session.commit()

    rest, _ = walk(client, "/api/v1/customers?limit=5", admin, first["next_cursor"])

    slugs = [c["slug"] for c in first["items"] + rest]
    assert len(slugs) == len(set(slugs)) == 11
    assert slugs[-1] == "z-late"


def add_tickets(session, count: int) -> None:
    customer = make_customer(session, "acme")
    session.execute(
        sa.insert(Ticket),
        [
            {
                "external_id": f"T-{n}",
                "url": f"https://help.example.com/{n}",
                "customer_id": customer.id,
                "requester_name": "Ada",
                "requester_email": "ada@acme.test",
                "subject": "Broken",
                "sla_level": 2,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(count)
        ],
    )
    session.commit()


def test_tickets_come_newest_first_a_page_at_a_time_in_the_same_statements_for_any_page(
    client, session, connection, admin
):
    add_tickets(session, 120)
    client.get("/api/v1/tickets?limit=1", headers=admin)

    with statements(connection) as one:
        client.get("/api/v1/tickets?limit=1", headers=admin)
    with statements(connection) as hundred:
        first = client.get("/api/v1/tickets", headers=admin).get_json()
    items, pages = walk(client, "/api/v1/tickets?limit=50", admin)

    assert len(first["items"]) == 100, "the default page is 100 tickets"
    assert len(hundred) == len(one), "\n".join(hundred)
    assert [t["external_id"] for t in items] == [f"T-{n}" for n in reversed(range(120))]
    assert pages == 3
    other = client.get("/api/v1/tickets?customer=acme&limit=500", headers=admin).get_json()
    assert len(other["items"]) == 120 and other["next_cursor"] is None


def test_the_outbox_pages_on_from_its_newest_without_repeats(client, session, admin):
    customer = make_customer(session, "acme")
    session.execute(
        sa.insert(Notification),
        [
            {
                "message_id": f"m{n}@rollout.test",
                "event": "window.announced",
                "topic": "maintenance",
                "channel": "email",
                "customer_id": customer.id,
                "recipient": "contact:1",
                "address": "ada@acme.test",
                "dedupe_key": f"k{n}",
                "payload": {},
                "status": "delivered" if n % 3 else "pending",
                "due_at": NOW,
                "next_attempt_at": NOW,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for n in range(30)
        ],
    )
    session.commit()

    items, pages = walk(client, "/api/v1/notifications?limit=7", admin)
    pending, _ = walk(client, "/api/v1/notifications?limit=4&status=pending", admin)

    ids = [n["id"] for n in items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 30
    assert pages == 5
    assert len(pending) == 10


def test_windows_walked_a_page_at_a_time_are_the_whole_list_projected_ones_included(
    client, session, admin
):
    # Two regions on the same zone and rule: their projected windows share each start.
    make_policy(session, "us")
    make_region(session, "us-2", timezone="America/New_York")
    make_policy(session, "us-2")
    make_customer(session, "acme")
    session.commit()
    period = f"from={NOW:%Y-%m-%d}&to={NOW + timedelta(days=3 * 365):%Y-%m-%d}"

    whole = client.get(f"/api/v1/windows?{period}&limit=1000", headers=admin).get_json()
    paged, pages = walk(client, f"/api/v1/windows?{period}&limit=7", admin)

    assert whole["next_cursor"] is None
    assert any(w["projected"] for w in whole["items"]), "the period reaches past the horizon"
    assert paged == whole["items"]
    assert pages == -(-len(whole["items"]) // 7)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/customers?cursor=abc", "cursor"),
        ("/api/v1/customers?cursor=1.2", "cursor"),
        ("/api/v1/customers?limit=0", "limit"),
        ("/api/v1/customers?limit=1001", "limit"),
        ("/api/v1/tickets?cursor=-1", "cursor"),
        ("/api/v1/tickets?cursor=9112668472", "cursor"),  # past any row id
        ("/api/v1/tickets?limit=501", "limit"),
        ("/api/v1/notifications?cursor=1e3", "cursor"),
        ("/api/v1/windows?cursor=12", "cursor"),
        ("/api/v1/windows?cursor=999999999999999999.1.1", "cursor"),
        ("/api/v1/windows?cursor=1.9112668472.1", "cursor"),
        ("/api/v1/windows?limit=%EF%BC%91", "limit"),
        ("/api/v1/audit?cursor=1.1", "cursor"),
    ],
)
def test_a_bad_cursor_or_limit_is_a_400_naming_it(client, admin, path, field):
    answer = client.get(path, headers=admin)

    assert answer.status_code == 400, answer.text
    assert answer.get_json()["error"]["field"] == field
