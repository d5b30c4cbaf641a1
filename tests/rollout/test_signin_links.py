"""The emailed sign-in link: once, within 15 minutes, kept only as a hash, asked for no more
often than the sign-in limits allow, whether or not the address is known."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout import access, notifications
from rollout.db import make_engine, make_session_factory
from rollout.errors import Conflict, Invalid, NotFound, TooManyAttempts
from rollout.signin_links import (
    SigninLink,
    check_signin_link,
    consume_signin_link,
    link_email,
    may_manage,
    request_signin_links,
)
from rollout.throttle import SigninLimits
from tests.conftest import NOW
from tests.factories import make_customer, make_region
from tests.web.contacts import make_contact

LIMITS = SigninLimits()


def ask(session, email="ada@acme.test", *, client="198.51.100.7", now=NOW):
    return request_signin_links(session, email=email, client=client, limits=LIMITS, now=now)


@pytest.fixture
def ada(session):
    make_region(session, "us")
    make_customer(session, "acme", "us")
    return make_contact(session)


def test_a_link_signs_its_contact_in_once(session, ada):
    [link] = ask(session)
    assert consume_signin_link(session, link.secret, now=NOW + timedelta(minutes=1)) == ada
    with pytest.raises(Conflict, match="already been used"):
        consume_signin_link(session, link.secret, now=NOW + timedelta(minutes=2))


def test_a_link_works_for_fifteen_minutes_and_not_a_moment_longer(session, ada):
    first, second = ask(session)[0], ask(session)[0]
    late = NOW + timedelta(minutes=15)
    assert consume_signin_link(session, first.secret, now=late - timedelta(seconds=1)) == ada
    with pytest.raises(Invalid, match="expired"):
        consume_signin_link(session, second.secret, now=late)
    with pytest.raises(Invalid, match="expired"):
        check_signin_link(session, second.secret, now=late)


def test_a_secret_we_never_sent_is_not_a_link(session, ada):
    ask(session)
    with pytest.raises(NotFound, match="not one we sent"):
        consume_signin_link(session, "made-up", now=NOW)


def test_only_a_hash_of_the_secret_is_stored(session, ada):
    [link] = ask(session)
    stored = session.scalars(select(SigninLink)).one()
    assert stored.secret_hash == hashlib.sha256(link.secret.encode()).hexdigest()
    assert link.secret not in {stored.secret_hash, str(stored.id)}
    assert stored.expires_at == NOW + timedelta(minutes=15)


def test_an_address_gets_a_link_for_each_customer_it_is_a_contact_of_in_any_case(session, ada):
    make_customer(session, "globex", "us")
    make_contact(session, "globex", email="Ada@ACME.test")
    links = ask(session, "ADA@acme.TEST")
    assert sorted(link.contact.customer.slug for link in links) == ["acme", "globex"]


def test_an_unknown_address_gets_no_link_but_counts_against_the_limits_as_a_known_one(session, ada):
    for _ in range(LIMITS.per_account):
        assert ask(session, "nobody@acme.test") == []
        assert len(ask(session)) == 1
    for email in ("nobody@acme.test", "ada@acme.test"):
        with pytest.raises(TooManyAttempts):
            ask(session, email, client="203.0.113.9")
    assert len(ask(session, now=NOW + LIMITS.window)) == 1


def test_one_client_asking_for_many_addresses_is_paused(session, ada):
    for n in range(LIMITS.per_client):
        ask(session, f"someone{n}@acme.test")
    with pytest.raises(TooManyAttempts):
        ask(session, client="198.51.100.7")
    assert len(ask(session, client="198.51.100.8")) == 1


def test_a_removed_contact_can_no_longer_sign_in_and_its_sessions_end(session, ada):
    [link] = ask(session)
    cookie = access.start_session(session, contact=ada, now=NOW)
    notifications.delete_contact(session, ada.customer, ada.id, now=NOW)
    session.expire_all()
    with pytest.raises(NotFound):
        consume_signin_link(session, link.secret, now=NOW)
    assert access.find_session(session, cookie, now=NOW) is None


@pytest.mark.parametrize(
    ("role", "manages"), [("admin", True), (" Admin ", True), ("ADMIN", True), ("ops", False)]
)
def test_contacts_whose_role_reads_admin_manage_the_customer(role, manages):
    assert may_manage(role) is manages


def test_the_email_names_each_customer_beside_its_link():
    email = link_email("Ada", [("Acme", "https://r.test/a"), ("Globex", "https://r.test/g")])
    assert "Acme:\nhttps://r.test/a" in email.text and "Globex:\nhttps://r.test/g" in email.text
    assert "15 minutes" in email.text


def test_two_presses_of_one_link_at_once_on_postgresql_sign_in_only_one(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    sessions = make_session_factory(engine)
    with sessions() as session:
        make_region(session, "us")
        make_customer(session, "acme", "us")
        make_contact(session)
        [link] = ask(session)
        session.commit()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def press() -> None:
        with sessions() as session:
            start.wait()
            try:
                contact = consume_signin_link(session, link.secret, now=NOW)
                session.commit()
                outcomes.append(contact.email)
            except Conflict as exc:
                session.rollback()
                outcomes.append(exc.message)

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    engine.dispose()
    assert sorted(outcomes) == [
        "This sign-in link has already been used: each link works only once.",
        "ada@acme.test",
    ]
