"""The API's reads on PostgreSQL run outside a transaction (no BEGIN, no ROLLBACK: two round
trips of a short request), refuse to write, and still refuse a revoked or expired token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import event, update

from rollout.access import ApiToken, revoke_token
from rollout.customers import Region
from rollout.db import WriteRefused, make_engine, make_session_factory, reads_outside_a_transaction
from rollout.jira.bugs import upsert_bug
from rollout.support.tickets import create_ticket, link_bug
from tests import conftest
from tests.factories import bearer, make_customer, make_region, make_token
from tests.web.test_api_tickets import record
from web import create_app


@pytest.fixture
def live(fresh_postgres_url, tmp_path):
    """An app over a PostgreSQL database it commits to, a ticket ZD-1 linked to OPS-1, and a
    support agent's token; yields (client, sessions, headers, what each statement saw)."""
    engine = make_engine(fresh_postgres_url)
    sessions = make_session_factory(engine)
    now = datetime.now(UTC)
    with sessions() as session:
        make_region(session)
        make_customer(session, "acme")
        upsert_bug(session, record("OPS-1"), now=now)
        create_ticket(
            session,
            external_id="ZD-1",
            url="https://help.example.com/t/1",
            customer="acme",
            requester_name="Ann",
            requester_email="ann@example.com",
            subject="Broken",
            sla_level=2,
            now=now,
        )
        link_bug(session, "ZD-1", "OPS-1", lookup=None, actor="agent", now=now)
        headers = bearer(make_token(session, "support_agent"))
        session.commit()
    app = create_app(conftest.test_settings(fresh_postgres_url), instance_path=tmp_path / "i")
    seen: list[tuple[str, bool, bool]] = []  # (verb, autocommit, no transaction open)

    def note(connection, _cursor, sql, *_):
        dbapi = connection.connection.dbapi_connection
        idle = dbapi.info.transaction_status == TransactionStatus.IDLE
        seen.append((sql.split()[0].upper(), dbapi.autocommit, idle))

    event.listen(app.extensions["rollout.engine"], "before_cursor_execute", note)
    yield app.test_client(), sessions, headers, seen
    app.extensions["rollout.engine"].dispose()
    engine.dispose()


def test_an_api_read_sends_its_selects_outside_a_transaction_and_answers_the_same(live):
    client, _, headers, seen = live
    response = client.get("/api/v1/fix-status?ticket=ZD-1", headers=headers)
    assert response.status_code == 200
    assert [item["bug"] for item in response.json["items"]] == ["OPS-1"]
    selects = [(autocommit, idle) for verb, autocommit, idle in seen if verb == "SELECT"]
    # No BEGIN before any of them: in a transaction, the second would find one open.
    assert len(selects) >= 2 and all(a and idle for a, idle in selects), seen
    # The token's last use is written after, in a transaction of its own.
    assert [autocommit for verb, autocommit, _ in seen if verb == "UPDATE"] == [False]


def test_a_token_revoked_or_expired_between_two_reads_is_refused_at_once(live):
    client, sessions, headers, _ = live
    assert client.get("/api/v1/fix-status?ticket=ZD-1", headers=headers).status_code == 200
    with sessions() as session:
        session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(1)))
        session.commit()
    expired = client.get("/api/v1/fix-status?ticket=ZD-1", headers=headers)
    assert expired.status_code == 401 and "expired" in expired.json["error"]["message"]
    with sessions() as session:
        session.execute(update(ApiToken).values(expires_at=None))
        revoke_token(session, session.query(ApiToken.id).scalar(), now=datetime.now(UTC))
        session.commit()
    revoked = client.get("/api/v1/fix-status?ticket=ZD-1", headers=headers)
    assert revoked.status_code == 401 and "revoked" in revoked.json["error"]["message"]


def test_a_session_outside_a_transaction_refuses_to_write(fresh_postgres_url):
    engine = make_engine(fresh_postgres_url)
    try:
        with make_session_factory(engine)() as session:
            reads_outside_a_transaction(session)
            with pytest.raises(WriteRefused):
                session.execute(update(Region).values(name="Renamed"))
            session.add(Region(slug="xx", name="X", timezone="UTC"))
            with pytest.raises(WriteRefused):
                session.flush()
    finally:
        engine.dispose()
