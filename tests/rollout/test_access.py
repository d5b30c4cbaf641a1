"""Tokens and staff accounts: secrets are shown once and stored only as hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rollout import access
from rollout.errors import Conflict, Invalid
from tests.conftest import NOW
from tests.factories import make_customer, make_region


def test_token_is_stored_only_as_a_hash_and_authenticates(session):
    token, plaintext = access.create_token(
        session, name="pipeline", role="release_manager", now=NOW
    )
    assert plaintext not in token.token_hash and len(plaintext) >= 43
    assert access.authenticate_token(session, plaintext).id == token.id
    assert access.authenticate_token(session, plaintext + "x") is None


def test_revoked_token_no_longer_authenticates(session):
    token, plaintext = access.create_token(session, name="old", role="admin", now=NOW)
    token.revoked_at = NOW
    assert access.authenticate_token(session, plaintext) is None


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
