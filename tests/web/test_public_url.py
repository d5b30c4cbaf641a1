"""Links and calendar UIDs come from one configured address, never from the Host header; in
production that address must be given before anything is served or sent."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from tests.conftest import settings_from_env
from tests.factories import make_policy, make_region
from web import create_app
from web.cli import cli
from web.settings import Settings, SettingsError
from web.worker import build_worker


def from_env(tmp_path, **env) -> Settings:
    return settings_from_env(tmp_path, env)


def test_production_without_public_url_leaves_it_unset_and_names_it_when_needed(tmp_path):
    settings = from_env(tmp_path)
    assert settings.environment == "production" and settings.public_url is None
    with pytest.raises(SettingsError, match="PUBLIC_URL is not set"):
        settings.require_public_url()


def test_development_links_to_where_make_run_serves(tmp_path):
    assert from_env(tmp_path, ROLLOUT_ENV="development").public_url == "http://127.0.0.1:5000"
    moved = from_env(tmp_path, ROLLOUT_ENV="development", PORT="8080")
    assert moved.public_url == "http://127.0.0.1:8080"
    given = from_env(tmp_path, ROLLOUT_ENV="development", PUBLIC_URL="https://r.example/")
    assert given.public_url == "https://r.example" and given.https
    secure = create_app(given, instance_path=tmp_path / "instance").config
    assert secure["SESSION_COOKIE_SECURE"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ROLLOUT_ENV": "staging"}, "ROLLOUT_ENV"),
        ({"PUBLIC_URL": "rollout.example.com"}, "PUBLIC_URL"),
        ({"PUBLIC_URL": "ftp://rollout.example.com"}, "PUBLIC_URL"),
        ({"MAX_BODY_BYTES": "1MB"}, "MAX_BODY_BYTES"),
        ({"HOOK_MAX_BODY_BYTES": "-1"}, "HOOK_MAX_BODY_BYTES"),
        ({"ROLLOUT_ENV": "development", "PORT": "http"}, "PORT"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(tmp_path, env, named):
    with pytest.raises(SettingsError, match=named):
        from_env(tmp_path, **env)


def test_body_caps_are_configurable(tmp_path):
    settings = from_env(tmp_path, MAX_BODY_BYTES="2048", HOOK_MAX_BODY_BYTES="1024")
    assert (settings.max_body_bytes, settings.hook_max_body_bytes) == (2048, 1024)
    defaults = from_env(tmp_path)
    assert (defaults.max_body_bytes, defaults.hook_max_body_bytes) == (1024 * 1024, 512 * 1024)


# ---- the Host header changes nothing --------------------------------------------------------


@pytest.fixture
def development_app(session_factory, clock, tmp_path):
    """The app as `make run` builds it: development, no PUBLIC_URL."""
    settings = from_env(tmp_path, ROLLOUT_ENV="development")
    return create_app(
        settings, session_factory=session_factory, clock=clock, instance_path=tmp_path / "i"
    )


def test_feed_uids_and_links_ignore_the_host_header(development_app, session):
    make_region(session, "us")
    make_policy(session, "us")
    session.commit()
    client = development_app.test_client()
    answers = [
        client.get("/calendars/regions/us.ics", headers={"Host": host})
        for host in ("evil.example", "localhost:5000", "127.0.0.1:5000")
    ]
    assert all(a.status_code == 200 for a in answers)
    assert answers[0].data == answers[1].data == answers[2].data
    assert b"evil.example" not in answers[0].data and b"localhost" not in answers[0].data
    event = Calendar.from_ical(answers[0].data).walk("VEVENT")[0]
    assert str(event["UID"]).endswith("@127.0.0.1")
    assert str(event["URL"]).startswith("http://127.0.0.1:5000/maintenance/windows/")
    atom = client.get("/releases.atom", headers={"Host": "evil.example"})
    assert b"evil.example" not in atom.data and b"http://127.0.0.1:5000/releases" in atom.data


# ---- serving and the worker refuse to start without it --------------------------------------


@pytest.mark.parametrize("command", [["serve", "--port", "5999"], ["worker", "--once"]])
def test_serve_and_worker_refuse_to_start_in_production_without_public_url(
    fresh_database_url, command
):
    env = {"DATABASE_URL": fresh_database_url, "SECRET_KEY": "s", "PUBLIC_URL": ""}
    result = CliRunner().invoke(cli, command, env=env | {"ROLLOUT_ENV": "production"})
    assert result.exit_code == 1
    assert "Error: PUBLIC_URL is not set" in result.output
    assert "ROLLOUT_ENV=development" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_bad_setting_stops_a_command_with_its_name_not_a_traceback(fresh_database_url):
    env = {"DATABASE_URL": fresh_database_url, "SECRET_KEY": "s"}
    result = CliRunner().invoke(cli, ["init"], env=env | {"SMTP_HOST": "mx", "SMTP_PORT": "smtp"})
    assert result.exit_code == 1 and "Error: SMTP_PORT must be a port number" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_worker_is_not_built_without_an_address_to_link_to(app):
    settings = app.extensions["rollout.settings"]
    app.extensions["rollout.settings"] = dataclasses.replace(settings, public_url=None)
    with pytest.raises(SettingsError, match="PUBLIC_URL"):
        build_worker(app)


def test_an_app_served_by_any_wsgi_server_refuses_to_start_without_public_url(
    tmp_path, monkeypatch
):
    for name in ("PUBLIC_URL", "ROLLOUT_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'rollout.db'}")
    with pytest.raises(SettingsError, match="PUBLIC_URL is not set"):
        create_app(instance_path=tmp_path / "instance")
    # The CLI's commands that answer no customer build it all the same.
    assert create_app(instance_path=tmp_path / "instance", serving=False)
