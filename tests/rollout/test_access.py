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


def test_a_token_expires_at_its_time_and_refuses_an_expiry_already_past(session):
    token, _ = access.create_token(
        session, name="ci", role="admin", expires_at=NOW + timedelta(days=1), now=NOW
    )
    assert token.status(NOW) == access.TokenStatus.ACTIVE
    assert token.status(NOW + timedelta(days=1)) == access.TokenStatus.EXPIRED
    for past in (NOW, NOW - timedelta(days=1)):
        with pytest.raises(Invalid) as refused:
            access.create_token(session, name="x", role="admin", expires_at=past, now=NOW)
        assert refused.value.field == "expires_at"


def test_listing_leaves_out_revoked_and_expired_tokens_unless_asked(session):
    live, _ = access.create_token(session, name="live", role="admin", now=NOW)
    lapsing, _ = access.create_token(
        session, name="lapsing", role="admin", expires_at=NOW + timedelta(hours=1), now=NOW
    )
    revoked, _ = access.create_token(session, name="revoked", role="admin", now=NOW)
    access.revoke_token(session, revoked.id, now=NOW)
    later = NOW + timedelta(hours=1)
    assert access.list_tokens(session, now=NOW) == [live, lapsing]
    assert access.list_tokens(session, now=later) == [live]
    assert access.list_tokens(session, everything=True, now=later) == [live, lapsing, revoked]


def test_revoking_again_keeps_the_first_time_and_an_unknown_token_is_not_found(session):
    token, _ = access.create_token(session, name="old", role="admin", now=NOW)
    access.revoke_token(session, token.id, now=NOW)
    again = access.revoke_token(session, token.id, now=NOW + timedelta(hours=1))
    assert again.revoked_at == NOW and again.status(NOW) == access.TokenStatus.REVOKED
    with pytest.raises(NotFound) as unknown:
        access.revoke_token(session, token.id + 1, now=NOW)
    assert unknown.value.field == "token"


def test_a_tokens_use_is_written_at_most_once_a_minute(session):
    token, _ = access.create_token(session, name="busy", role="admin", now=NOW)
    assert token.use_is_due(NOW)
    assert access.record_token_use(session, token.id, now=NOW)
    soon = NOW + access.LAST_USED_EVERY - timedelta(seconds=1)
    assert not access.record_token_use(session, token.id, now=soon)
    session.refresh(token)
    assert token.last_used_at == NOW and not token.use_is_due(soon)
    assert access.record_token_use(session, token.id, now=NOW + access.LAST_USED_EVERY)


def test_disabling_a_user_ends_their_sessions_and_enabling_lets_them_back(session):
    staff_user(session, "admin@example.com", role="admin")
    user = staff_user(session)
    sid = access.start_session(session, user=user, now=NOW)

    access.disable_user(session, email="RM@example.com", now=NOW)

    assert user.disabled_at == NOW and access.find_session(session, sid, now=NOW) is None
    assert [u.email for u in access.list_users(session)] == ["admin@example.com", user.email]
    # A session started as the user was being disabled is dead too.
    late = access.start_session(session, user=user, now=NOW)
    assert access.find_session(session, late, now=NOW) is None
    access.enable_user(session, email="rm@example.com")
    assert user.disabled_at is None and access.find_session(session, late, now=NOW) is not None


def test_the_last_enabled_admin_can_be_neither_disabled_nor_demoted(session):
    first = staff_user(session, "first@example.com", role="admin")
    staff_user(session, "second@example.com", role="admin")
    access.disable_user(session, email="second@example.com", now=NOW)
    for change in (
        lambda: access.disable_user(session, email="first@example.com", now=NOW),
        lambda: access.set_role(session, email="first@example.com", role="release_manager"),
    ):
        with pytest.raises(Conflict, match="last enabled admin") as refused:
            change()
        assert refused.value.field == "email"
    assert first.role == "admin" and first.disabled_at is None
    access.enable_user(session, email="second@example.com")
    access.set_role(session, email="first@example.com", role="release_manager")
    assert first.role == "release_manager"
