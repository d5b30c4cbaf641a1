"""Configuration, read once from environment variables when the app is built."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from jira_sync.config import JiraSettings
from rollout.throttle import SigninLimits
from web.channels.config import NotifySettings


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    # Where customers reach us; None means "the host each request came in on".
    public_url: str | None
    # Lets a staff sign-in cookie travel only over HTTPS when served behind it.
    secure_cookies: bool
    # How long a public feed's ETag is trusted without asking the database: a change reaches
    # pollers this much later, and a 304 costs about what a static file does.
    feed_freshness_seconds: int = 10
    # Jira: credentials, projects, webhook secret and field mapping (empty: not set up).
    jira: JiraSettings = field(default_factory=JiraSettings)
    # SMTP, the webhook allow-list and the notification policy (web/channels/config.py).
    notifications: NotifySettings = field(default_factory=NotifySettings)
    # Shared secret the help desk signs POST /hooks/helpdesk with (None: the hook is off).
    helpdesk_webhook_secret: str | None = field(default=None, repr=False)
    # Failed sign-ins allowed per account and per client address before a pause.
    signin_limits: SigninLimits = field(default_factory=SigninLimits)
    # How many reverse proxies in front append to X-Forwarded-For; 0 trusts no such header,
    # since any client can send one to dodge the per-client sign-in limit.
    trusted_proxies: int = 0

    @classmethod
    def from_env(cls, instance_path: Path, environ: dict[str, str] | None = None) -> Settings:
        """Settings from `environ` (default os.environ), with SQLite in the instance folder."""
        env = os.environ if environ is None else environ
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'rollout.db'}"
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        public_url = env.get("PUBLIC_URL") or None
        return cls(
            database_url=database_url,
            secret_key=env.get("SECRET_KEY") or _instance_secret(instance_path),
            public_url=public_url.rstrip("/") if public_url else None,
            secure_cookies=bool(public_url and public_url.startswith("https://")),
            feed_freshness_seconds=_whole_seconds(env, "FEED_FRESHNESS_SECONDS", 10),
            jira=JiraSettings.from_env(env),
            notifications=NotifySettings.from_env(env),
            helpdesk_webhook_secret=env.get("HELPDESK_WEBHOOK_SECRET") or None,
            signin_limits=SigninLimits(
                per_account=_whole_number(env, "SIGNIN_ACCOUNT_LIMIT", 5, least=1),
                per_client=_whole_number(env, "SIGNIN_CLIENT_LIMIT", 20, least=1),
                window=timedelta(seconds=_whole_number(env, "SIGNIN_WINDOW_SECONDS", 900, least=1)),
            ),
            trusted_proxies=_whole_number(env, "TRUSTED_PROXIES", 0, least=0),
        )


def _whole_seconds(env, name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number of seconds, not {raw!r}")
    return int(raw)


def _whole_number(env, name: str, default: int, *, least: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {raw!r}")
    return int(raw)


def _instance_secret(instance_path: Path) -> str:
    # No built-in default: each installation makes its own key once and keeps it private.
    path = instance_path / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
