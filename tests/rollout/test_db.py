"""The UTC column type (aware in, aware UTC out, naive refused) and the migrated schema,
on both databases; on PostgreSQL, how the pool meets a connection the server dropped."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError, StatementError
from sqlalchemy.pool import NullPool

from rollout import db
from rollout.customers import Region
from rollout.schema import metadata


def test_aware_datetimes_come_back_as_the_same_instant_in_utc(session):
    paris_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    region = Region(slug="x", name="X", timezone="Europe/Paris", created_at=paris_noon)
    session.add(region)
    session.flush()
    session.expire_all()
    stored = session.get(Region, region.id).created_at
    assert stored == paris_noon and stored.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session):
    session.add(Region(slug="y", name="Y", timezone="UTC", created_at=datetime(2026, 7, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


# SQLite's reflection skips expression indexes (the ticket id's upper case), saying so;
# PostgreSQL's compares them.
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_migrations_build_exactly_the_schema_the_models_describe(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, metadata) == []


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT pg_backend_pid()"))


def _drop(url: str, backend: int) -> None:
    """The server ends one connection, as a restart or an operator would."""
    killer = create_engine(url, poolclass=NullPool)
    with killer.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    killer.dispose()


def test_a_connection_idle_past_the_ping_delay_is_pinged_and_replaced_if_dropped(
    postgres_url, monkeypatch
):
    engine = db.make_engine(postgres_url)
    try:
        dropped = _backend(engine)
        _drop(postgres_url, dropped)
        monkeypatch.setattr(db, "PING_IF_IDLE_SECONDS", 0.0)
        assert _backend(engine) != dropped  # no error: the ping found it dead
    finally:
        engine.dispose()


def test_a_connection_used_a_moment_ago_goes_unpinged_and_its_drop_discards_the_pool(
    postgres_url, monkeypatch
):
    monkeypatch.setattr(db, "PING_IF_IDLE_SECONDS", 3600.0)
    engine = db.make_engine(postgres_url)
    try:
        dropped = _backend(engine)
        _drop(postgres_url, dropped)
        with pytest.raises(OperationalError) as raised:  # the web app answers 503 for it
            _backend(engine)
        assert raised.value.connection_invalidated
        assert _backend(engine) != dropped
    finally:
        engine.dispose()
