"""Tokens, staff accounts and sign-in sessions: secrets are shown once and stored only as
hashes, and a session ends when its user signs out or is changed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from rollout import access
from rollout.errors import Conflict, Invalid, NotFound
from tests.conftest import NOW
from tests.factories import make_customer, make_region


def test_token_is_stored_only_as_a_hash_and_authenticates(session):
    token, plaintext = access.create_token(
        session, name="pipeline", role="release_manager", now=NOW
    )
    assert plaintext not in token.token_hash and len(plaintext) >= 43
    assert access.find_token(session, plaintext).id == token.id
    assert access.find_token(session, plaintext + "x") is None


def test_customer_token_belongs_to_exactly_one_customer(session):
    make_region(session, "us")
    make_customer(session, "acme")
    token, _ = access.create_token(session, name="acme", role="customer", customer="acme", now=NOW)
    assert token.customer.slug == "acme"
    with pytest.raises(Invalid) as staff_with_customer:
        access.create_token(session, name="x", role="admin", customer="acme", now=NOW)
    assert staff_with_customer.value.field == "customer"


def test_password_is_salted_and_checked(session):
    user = access.create_user(
        session,
        email="RM@Example.com",
        name="RM",
        role="release_manager",
        password="correct horse",
        now=NOW,
    )
    other = access.create_user(
        session,
        email="rm2@example.com",
        name="RM2",
        role="release_manager",
        password="correct horse",
        now=NOW,
    )
    assert user.password_hash != other.password_hash
    assert "correct horse" not in user.password_hash
    assert access.authenticate_user(session, "rm@example.com", "correct horse").id == user.id
    assert access.authenticate_user(session, "rm@example.com", "wrong horse!") is None
    assert access.authenticate_user(session, "nobody@example.com", "correct horse") is None


def test_duplicate_or_weak_staff_accounts_are_refused(session):
    access.create_user(
        session, email="a@example.com", name="A", role="admin", password="long enough", now=NOW
    )
    with pytest.raises(Conflict):
        access.create_user(
            session, email="A@example.com", name="A", role="admin", password="long enough", now=NOW
        )
    with pytest.raises(Invalid) as weak:
        access.create_user(
            session, email="b@example.com", name="B", role="admin", password="short", now=NOW
        )
    assert weak.value.field == "password"
    assert session.scalars(select(access.StaffUser.email)).all() == ["a@example.com"]


def staff_user(session, email="rm@example.com", role="release_manager"):
    return access.create_user(
        session, email=email, name="Rita", role=role, password="long enough", now=NOW
    )


def test_a_session_id_is_stored_only_as_a_hash_and_ends_when_ended(session):
    sid = access.start_session(session, user=staff_user(session), now=NOW)
    found = access.find_session(session, sid, now=NOW)
    assert found.user.email == "rm@example.com" and sid not in found.id_hash
    access.end_session(session, sid)
    assert access.find_session(session, sid, now=NOW) is None
    access.end_session(session, sid)  # twice is fine


def test_a_new_password_ends_every_session_but_the_one_kept(session):
    user, other = staff_user(session), staff_user(session, "other@example.com")
    kept, dropped = (access.start_session(session, user=user, now=NOW) for _ in range(2))
    bystander = access.start_session(session, user=other, now=NOW)

    access.set_password(session, email="RM@example.com", password="a brand new secret", keep=kept)

    assert access.find_session(session, kept, now=NOW) is not None
    assert access.find_session(session, dropped, now=NOW) is None
    assert access.find_session(session, bystander, now=NOW) is not None
    assert access.authenticate_user(session, "rm@example.com", "a brand new secret") == user


def test_a_role_change_ends_the_users_sessions_and_refuses_customer(session):
    user = staff_user(session)
    sid = access.start_session(session, user=user, now=NOW)
    with pytest.raises(Invalid) as customer:
        access.set_role(session, email="rm@example.com", role="customer")
    assert customer.value.field == "role" and access.find_session(session, sid, now=NOW) is not None

    access.set_role(session, email="rm@example.com", role="admin")

    assert user.role == "admin" and access.find_session(session, sid, now=NOW) is None


def test_changing_an_unknown_user_or_to_a_weak_password_is_refused(session):
    staff_user(session)
    with pytest.raises(NotFound) as unknown:
        access.set_role(session, email="nobody@example.com", role="admin")
    assert unknown.value.field == "email"
    with pytest.raises(Invalid) as weak:
        access.set_password(session, email="rm@example.com", password="short")
    assert weak.value.field == "password"


def test_a_sign_in_lapses_after_its_lifetime_and_a_new_one_tidies_lapsed_ones(session):
    user = access.create_user(
        session, email="b@example.com", name="B", role="admin", password="long enough", now=NOW
    )
    old = access.start_session(session, user=user, now=NOW)
    later = NOW + access.SESSION_LIFETIME
    assert access.find_session(session, old, now=later - timedelta(minutes=1)) is not None
    assert access.find_session(session, old, now=later) is None
    fresh = access.start_session(session, user=user, now=later)
    assert session.scalars(select(access.SigninSession)).all() == [
        access.find_session(session, fresh, now=later)
    ]
