"""Fixtures: every database test runs on SQLite and on PostgreSQL, each in a rolled-back
transaction; the app and CLI share that transaction; live servers get a fresh database."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from rollout import audit, events, handlers
from rollout.db import make_engine, make_session_factory
from rollout.schema import migrate
from rollout.support.waiting import keep_waiting_sums
from tests.answers import check_answers
from tests.pgserver import find_pg_bin, throwaway_postgres
from tests.url_builders import compile_each_builder_once
from web import create_app
from web.settings import Settings

# The tests call use cases without an app: they hand over the event table as the app does.
events.use_handlers(handlers.HANDLERS)
audit.record_writes()
keep_waiting_sums()
compile_each_builder_once()

IN_CI = os.environ.get("CI") == "true"
DATABASES = [d.strip() for d in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",")]
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SECRET_KEY = "test-secret"


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by their fixtures
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first: xdist hands tests out one at a time (pyproject.toml),
    so each long one starts while short ones are left to fill in beside it, and no worker
    ends the run alone with a minute-long test."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def missing(what: str) -> None:
    """Under CI a missing part fails the run; elsewhere the test is skipped with a hint."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI", pytrace=False)
    pytest.skip(what)


@pytest.fixture(scope="session")
def postgres_url(worker_id) -> Iterator[str]:
    if url := os.environ.get("TEST_POSTGRES_URL"):
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        if worker_id == "master":
            yield url
        else:  # parallel workers share the server, each with a database of its own
            yield from _database_on(url, f"rollout_{worker_id}_{uuid.uuid4().hex[:8]}")
        return
    if find_pg_bin() is None:
        missing("PostgreSQL server binaries (apt-get install postgresql)")
    with throwaway_postgres() as url:
        yield url


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'rollout.db'}"
    if request.param == "postgresql":
        return request.getfixturevalue("postgres_url")
    raise ValueError(f"unknown TEST_DATABASES entry {request.param!r}")


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def session_factory(connection):
    # Commits inside the code under test release a SAVEPOINT; the outer rollback undoes all.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory):
    with session_factory() as session:
        yield session


@dataclass
class Clock:
    """A clock tests move by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def settings_from_env(tmp_path, env: dict[str, str]) -> Settings:
    """Settings read from `env` alone, as the app reads them from the environment."""
    return Settings.from_env(tmp_path / "instance", {"SECRET_KEY": "s", **env})


def test_settings(database_url: str = "sqlite://") -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        public_url="http://rollout.test",
        feed_freshness_seconds=0,
    )


@pytest.fixture
def app(session_factory, clock, tmp_path):
    app = create_app(
        test_settings(),
        session_factory=session_factory,
        clock=clock,
        instance_path=tmp_path / "instance",
    )
    app.config.update(TESTING=True)
    check_answers(app)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fresh_database_url(request, database_url, tmp_path) -> Iterator[str]:
    """An empty, migrated database of the current kind that commits for real."""
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'live.db'}"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "live.db")
        yield url
    else:
        yield from _copy_on(database_url, request.getfixturevalue("postgres_template"))


@pytest.fixture
def fresh_postgres_url(postgres_url, postgres_template) -> Iterator[str]:
    """An empty, migrated PostgreSQL database, for what only PostgreSQL does (row locks that
    several workers skip); such tests run once, not once per database."""
    yield from _copy_on(postgres_url, postgres_template)


# A fresh database is a copy of one migrated once per test process: a file copy, or
# PostgreSQL's CREATE DATABASE ... TEMPLATE, costs a fraction of running every migration.
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """The file of a migrated SQLite database, never opened again once made."""
    path = tmp_path_factory.mktemp("template") / "rollout.db"
    _migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_template(postgres_url) -> Iterator[str]:
    """The name of a migrated database beside `postgres_url`, nobody connected to it."""
    for url in _database_on(postgres_url, f"template_{uuid.uuid4().hex[:12]}"):
        _migrate(url)
        yield sa.make_url(url).database


def _copy_on(server_url: str, template: str) -> Iterator[str]:
    yield from _database_on(server_url, f"live_{uuid.uuid4().hex[:12]}", template=template)


def _migrate(url: str) -> None:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()


def _database_on(server_url: str, name: str, *, template: str | None = None) -> Iterator[str]:
    """A new database `name` on the server of `server_url` (empty, or a copy of the database
    `template`), dropped afterwards."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class LiveServer:
    url: str
    sessions: sessionmaker


@pytest.fixture
def live_server(fresh_database_url, tmp_path) -> Iterator[LiveServer]:
    """The real app on a loopback port over its own committed database."""
    engine = make_engine(fresh_database_url)
    sessions = make_session_factory(engine)
    app = create_app(
        test_settings(fresh_database_url),
        session_factory=sessions,
        instance_path=tmp_path / "live-instance",
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", sessions=sessions)
    server.shutdown()
    thread.join(timeout=10)
    engine.dispose()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        missing("Chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
