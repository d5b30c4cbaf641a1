"""Health and readiness, and what clients get while the database is away: a 503 with
Retry-After (never a 500), public feeds from their last good body, recovery without a restart."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import select

from rollout.db import make_engine, make_session_factory
from rollout.schema import alembic_config, migrate
from rollout.windows import Window
from tests import conftest
from tests.factories import make_policy, make_region
from tests.pgserver import find_pg_bin, throwaway_postgres_server
from web import create_app

UNREACHABLE = {
    "sqlite": "sqlite:////nonexistent-directory/rollout.db",
    "postgresql": "postgresql+psycopg://rollout:s3cret-password@127.0.0.1:1/rollout",
}


@pytest.fixture
def client_on(tmp_path):
    """A test client of the whole app over the database at a URL; its engine closed after."""
    apps = []

    def client(url: str):
        app = create_app(conftest.test_settings(url), instance_path=tmp_path / "instance")
        app.config.update(TESTING=True)
        apps.append(app)
        return app.test_client()

    yield client
    for app in apps:
        app.extensions["rollout.engine"].dispose()


@pytest.fixture(params=UNREACHABLE)
def stranded(request, client_on):
    """The app over a database it cannot reach."""
    return client_on(UNREACHABLE[request.param])


def test_healthz_answers_without_touching_the_database(stranded):
    response = stranded.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_says_the_database_does_not_answer_and_gives_away_no_secret(stranded):
    response = stranded.get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json == {"status": "unavailable", "reason": "the database does not answer"}
    assert "s3cret" not in response.text and "127.0.0.1" not in response.text


@pytest.mark.parametrize("path", ["/api/v1/windows", "/api/v1/releases"])
def test_the_api_answers_503_with_retry_after_while_the_database_is_away(stranded, path):
    response = stranded.get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json["error"]["code"] == "unavailable"
    assert "try again" in response.json["error"]["message"]


@pytest.mark.parametrize("path", ["/maintenance", "/releases", "/releases/upcoming"])
def test_pages_answer_a_plain_503_while_the_database_is_away(stranded, path):
    response = stranded.get(path)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Briefly unavailable" in response.text
    assert "Traceback" not in response.text and "OperationalError" not in response.text


def test_readyz_is_ready_on_a_migrated_database(fresh_database_url, client_on):
    response = client_on(fresh_database_url).get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_readyz_names_a_database_never_migrated_and_logs_nothing_of_alembic(
    client_on, tmp_path, caplog
):
    with caplog.at_level(logging.INFO):
        response = client_on(f"sqlite:///{tmp_path / 'empty.db'}").get("/readyz")
    assert response.status_code == 503
    assert response.json["reason"].startswith("the database schema is at none, not ")
    assert [r for r in caplog.records if r.name.startswith("alembic")] == []


def test_readyz_names_a_schema_behind_the_code_and_how_to_migrate(fresh_database_url, client_on):
    command.downgrade(alembic_config(fresh_database_url), "-1")
    response = client_on(fresh_database_url).get("/readyz")
    assert response.status_code == 503
    assert "the database schema is at" in response.json["reason"]
    assert "rollout init" in response.json["reason"]


def test_an_outage_keeps_public_feeds_and_recovers_without_a_restart(client_on):
    """PostgreSQL stopped under a running app, then started again on the same port."""
    if find_pg_bin() is None:
        conftest.missing("PostgreSQL server binaries (apt-get install postgresql)")
    with throwaway_postgres_server() as server:
        engine = make_engine(server.url)
        migrate(engine)
        with make_session_factory(engine)() as session:
            make_region(session)
            make_policy(session, now=datetime.now(UTC))
            session.commit()
            assert session.scalar(select(Window.id).limit(1)) is not None
        engine.dispose()
        client = client_on(server.url)
        feed = client.get("/calendars/maintenance.ics")
        assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.data

        server.stop(mode="fast")
        during = client.get("/calendars/maintenance.ics")
        assert during.status_code == 200
        assert during.data == feed.data and during.headers["ETag"] == feed.headers["ETag"]
        revalidated = client.get(
            "/calendars/maintenance.ics", headers={"If-None-Match": feed.headers["ETag"]}
        )
        assert revalidated.status_code == 304
        assert client.get("/maintenance").status_code == 503
        assert client.get("/readyz").status_code == 503
        # A feed this process never rendered has no good body to fall back on.
        assert client.get("/calendars/regions/us.ics").status_code == 503

        server.start()
        assert client.get("/readyz").status_code == 200
        assert client.get("/maintenance").status_code == 200
        assert client.get("/calendars/regions/us.ics").status_code == 200
