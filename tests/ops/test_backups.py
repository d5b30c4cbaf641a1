"""Backups as the README tells them: a PostgreSQL dump (`pg_dump -Fc`, `pg_restore`) or a
SQLite online backup, restored into a fresh database, needs nothing from `rollout init` and
serves the same feeds, with the same ETags, and the same API answers, byte for byte."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from rollout import access, feeds
from rollout.db import make_engine, make_session_factory
from rollout.demo import load_demo
from rollout.windows import Window
from tests.conftest import missing
from tests.conftest import test_settings as settings_for
from tests.factories import CONTEXT
from tests.pgserver import find_pg_bin
from web import create_app
from web.cli import cli

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
PASSWORD = "backup-check-password"


def load_demo_data(url: str) -> dict[str, str]:
    """The demo, an admin token and Acme's private feed; returns the secrets to read with."""
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        load_demo(session, now=NOW, context=CONTEXT, password=PASSWORD)
        _, token = access.create_token(session, name="backup check", role="admin", now=NOW)
        _, feed = feeds.rotate_feed_token(session, "acme", now=NOW, key=settings_for().secret_key)
        windows = session.scalars(sa.select(Window.id).order_by(Window.id).limit(3)).all()
        session.commit()
    engine.dispose()
    return {"token": token, "feed": feed, "windows": windows}


def readings(url: str, secrets: dict) -> dict[str, tuple]:
    """What customers and operators read from the database at `url`, with the clock pinned:
    each answer's status, validators, type and body."""
    app = create_app(settings_for(url), clock=lambda: NOW)
    client = app.test_client()
    staff = {"Authorization": f"Bearer {secrets['token']}"}
    public = [
        "/calendars/maintenance.ics",
        "/calendars/regions/us.ics",
        "/calendars/regions/apac.ics",
        f"/calendars/customers/{secrets['feed']}.ics",
        *(f"/calendars/windows/{id}.ics" for id in secrets["windows"]),
        "/releases.atom",
        "/api/v1/regions",
        "/api/v1/windows?region=eu&from=2026-01-01&to=2028-01-01",
        "/api/v1/releases",
    ]
    api = [
        "/api/v1/customers",
        "/api/v1/customers/wayne/environments",
        "/api/v1/hotfixes",
        "/api/v1/policies",
        "/api/v1/freezes",
        "/api/v1/bugs",
        "/api/v1/triage",
        "/api/v1/fix-status?ticket=ZD-4130",
        "/api/v1/notifications",
        *(f"/api/v1/windows/{id}/history" for id in secrets["windows"]),
    ]
    answers = {}
    for path, headers in [*((p, {}) for p in public), *((p, staff) for p in api)]:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        answers[path] = (
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.content_type,
            response.get_data(),
        )
    versions = answers["/api/v1/releases"][3]
    for version in (r["version"] for r in app.json.loads(versions)["items"]):
        answers[version] = client.get(f"/api/v1/releases/{version}", headers=staff).get_data()
    app.extensions["rollout.engine"].dispose()
    return answers


def rollout_init(url: str) -> str:
    result = CliRunner().invoke(
        cli, ["init"], env={"DATABASE_URL": url, "SECRET_KEY": settings_for().secret_key}
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.long
def test_a_postgresql_dump_restored_into_a_fresh_database_serves_the_same_answers(
    fresh_postgres_url, postgres_url, tmp_path
):
    bin_dir = find_pg_bin()
    if bin_dir is None or not (bin_dir / "pg_restore").exists():
        missing("PostgreSQL client binaries pg_dump and pg_restore (apt-get install postgresql)")
    secrets = load_demo_data(fresh_postgres_url)
    before = readings(fresh_postgres_url, secrets)

    dump = tmp_path / "rollout.dump"
    pg = dict(check=True, capture_output=True, text=True, timeout=120)
    source = fresh_postgres_url.replace("+psycopg", "")  # libpq's URL, not SQLAlchemy's
    subprocess.run([bin_dir / "pg_dump", "-Fc", "-f", dump, source], **pg)
    with empty_database(postgres_url) as restored:
        target = restored.replace("+psycopg", "")
        subprocess.run(
            [bin_dir / "pg_restore", "--no-owner", "--exit-on-error", "-d", target, dump], **pg
        )
        # A fixed key for the \\restrict lines, which are otherwise random per dump.
        as_sql = [bin_dir / "pg_dump", "--no-owner", "--restrict-key=backup", target]
        as_restored = subprocess.run(as_sql, **pg).stdout

        assert "database ready" in rollout_init(restored)
        assert subprocess.run(as_sql, **pg).stdout == as_restored, "init changed something"
        assert readings(restored, secrets) == before


@pytest.mark.long
def test_a_sqlite_online_backup_serves_the_same_answers(tmp_path):
    original, copy = tmp_path / "rollout.db", tmp_path / "backup.db"
    url = f"sqlite:///{original}"
    rollout_init(url)
    secrets = load_demo_data(url)
    before = readings(url, secrets)

    # The online backup API, as `sqlite3 rollout.db ".backup backup.db"` uses it.
    with sqlite3.connect(original) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    as_restored = _sql_text(copy)

    assert "database ready" in rollout_init(f"sqlite:///{copy}")
    assert _sql_text(copy) == as_restored, "init changed something"
    assert readings(f"sqlite:///{copy}", secrets) == before


def _sql_text(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


@contextlib.contextmanager
def empty_database(server_url: str) -> Iterator[str]:
    """A new database with nothing in it, where a dump is restored; dropped afterwards."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"restored_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()
