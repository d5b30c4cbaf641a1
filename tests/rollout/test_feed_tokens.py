"""Private feed tokens: derived from SECRET_KEY and a stored nonce, so a copy of the database
alone reveals no address, while the key's holder can show it again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rollout import feeds
from rollout.feeds import FeedToken
from tests.conftest import NOW
from tests.factories import make_customer, make_region

KEY = "a secret key"


@pytest.fixture
def acme(session):
    make_region(session, "us")
    return make_customer(session, "acme", "us")


def test_the_stored_row_holds_no_token_text(session, acme):
    token, plaintext = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    session.expire_all()
    row = session.execute(select(FeedToken.__table__).where(FeedToken.id == token.id)).one()
    assert len(plaintext) >= 43  # 256 bits, url-safe base64
    assert all(plaintext not in str(value) for value in row)


def test_the_key_it_was_made_with_shows_the_token_again_and_it_finds_its_customer(session, acme):
    token, plaintext = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    assert feeds.feed_token_text(token, KEY) == plaintext
    assert feeds.customer_for_feed_token(session, plaintext) == acme


def test_after_the_key_changes_the_token_cannot_be_shown_but_still_works(session, acme):
    token, plaintext = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    assert feeds.feed_token_text(token, "another key") is None
    assert feeds.customer_for_feed_token(session, plaintext) == acme


def test_a_token_made_before_its_nonce_was_kept_cannot_be_shown_but_still_works(session, acme):
    token, plaintext = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    token.nonce = None
    session.flush()
    assert feeds.feed_token_text(token, KEY) is None
    assert feeds.customer_for_feed_token(session, plaintext) == acme


def test_rotating_revokes_the_old_token_at_once(session, acme):
    _, old = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    new_token, new = feeds.rotate_feed_token(session, "acme", now=NOW, key=KEY)
    assert feeds.customer_for_feed_token(session, old) is None
    assert feeds.customer_for_feed_token(session, new) == acme
    assert feeds.live_feed_token(session, acme) == new_token
