"""The UTC column type (aware in, aware UTC out, naive refused) and the migrated schema,
on both databases."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import StatementError

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


def test_migrations_build_exactly_the_schema_the_models_describe(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, metadata) == []
