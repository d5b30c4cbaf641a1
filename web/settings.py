"""Configuration, read once from environment variables when the app is built."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from channels.config import NotifySettings
from jira_sync.config import JiraSettings
from rollout.throttle import SigninLimits

ENVIRONMENTS = ("production", "development")
SECONDS, BYTES = "a whole number of seconds", "a whole number of bytes"
COUNT = "a whole number"


class SettingsError(ValueError):
    """An environment variable is missing or holds a value Rollout cannot use; the message
    names it, and the command stops with it instead of a traceback."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    # Where customers reach us: every link and calendar UID is built from it, never from the
    # Host header a request came with. None only in production before PUBLIC_URL is set, when
    # serving and the worker refuse to start (require_public_url).
    public_url: str | None
    # How long a public feed's ETag is trusted without asking the database: a change reaches
    # pollers this much later, and a 304 costs about what a static file does.
    feed_freshness_seconds: int = 10
    # Jira: credentials, projects, webhook secret and field mapping (empty: not set up).
    jira: JiraSettings = field(default_factory=JiraSettings)
    # SMTP, the webhook allow-list and the notification policy (channels/config.py).
    notifications: NotifySettings = field(default_factory=NotifySettings)
    # Shared secret the help desk signs POST /hooks/helpdesk with (None: the hook is off).
    helpdesk_webhook_secret: str | None = field(default=None, repr=False)
    # Failed sign-ins allowed per account and per client address before a pause.
    signin_limits: SigninLimits = field(default_factory=SigninLimits)
    # How many reverse proxies in front append to X-Forwarded-For; 0 trusts no such header,
    # since any client can send one to dodge the per-client sign-in limit.
    trusted_proxies: int = 0
    # The largest request body read, in bytes; a bigger one is answered 413 unread. Forms and
    # API calls are a few KB; a release's notes or a bulk plan well under this.
    max_body_bytes: int = 1024 * 1024
    # The same for /hooks/*: reachable by anyone who can reach the server, and read whole
    # before the signature can be checked. A Jira issue event carries the whole issue (its
    # fields, description and a changelog), typically tens of KB: this leaves room for long
    # descriptions and many custom fields, and HOOK_MAX_BODY_BYTES raises it.
    hook_max_body_bytes: int = 512 * 1024
    # "development" (make run) or "production"; only PUBLIC_URL's default differs.
    environment: str = "production"

    @classmethod
    def from_env(cls, instance_path: Path, environ: dict[str, str] | None = None) -> Settings:
        """Settings from `environ` (default os.environ), with SQLite in the instance folder;
        a bad value raises SettingsError naming the variable."""
        env = os.environ if environ is None else environ
        try:
            return cls._from_env(instance_path, env)
        except SettingsError:
            raise
        except ValueError as exc:  # the notification and Jira settings name the variable
            raise SettingsError(str(exc)) from None

    @classmethod
    def _from_env(cls, instance_path: Path, env) -> Settings:
        instance_path.mkdir(parents=True, exist_ok=True)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'rollout.db'}"
        if database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
        environment = _environment(env)
        public_url = _public_url(env, environment)
        return cls(
            database_url=database_url,
            secret_key=env.get("SECRET_KEY") or _instance_secret(instance_path),
            public_url=public_url,
            feed_freshness_seconds=_whole_number(env, "FEED_FRESHNESS_SECONDS", 10, SECONDS),
            jira=JiraSettings.from_env(env),
            notifications=NotifySettings.from_env(env),
            helpdesk_webhook_secret=env.get("HELPDESK_WEBHOOK_SECRET") or None,
            signin_limits=SigninLimits(
                per_account=_whole_number(env, "SIGNIN_ACCOUNT_LIMIT", 5, COUNT, least=1),
                per_client=_whole_number(env, "SIGNIN_CLIENT_LIMIT", 20, COUNT, least=1),
                window=timedelta(
                    seconds=_whole_number(env, "SIGNIN_WINDOW_SECONDS", 900, SECONDS, least=1)
                ),
            ),
            trusted_proxies=_whole_number(env, "TRUSTED_PROXIES", 0, COUNT),
            max_body_bytes=_whole_number(env, "MAX_BODY_BYTES", cls.max_body_bytes, BYTES, least=1),
            hook_max_body_bytes=_whole_number(
                env, "HOOK_MAX_BODY_BYTES", cls.hook_max_body_bytes, BYTES
            ),
            environment=environment,
        )

    @property
    def https(self) -> bool:
        """Whether customers reach us over HTTPS only (PUBLIC_URL is https): then sign-in
        cookies travel only over it, and browsers are told so (HSTS)."""
        return bool(self.public_url and self.public_url.startswith("https://"))

    def require_public_url(self) -> str:
        """PUBLIC_URL; serving requests and running the worker need it (SettingsError)."""
        if self.public_url is None:
            raise SettingsError(
                "PUBLIC_URL is not set: set it to the address customers reach, e.g. "
                "https://rollout.example.com (links and calendar UIDs are built from it), "
                "or ROLLOUT_ENV=development for a local demo"
            )
        return self.public_url


def _environment(env) -> str:
    raw = (env.get("ROLLOUT_ENV") or "production").strip().lower()
    if raw not in ENVIRONMENTS:
        raise SettingsError(f"ROLLOUT_ENV must be production or development, not {raw!r}")
    return raw


def _public_url(env, environment: str) -> str | None:
    raw = (env.get("PUBLIC_URL") or "").strip()
    if not raw:
        if environment == "development":  # where `make run` serves, on the port it was given
            return f"http://127.0.0.1:{_whole_number(env, 'PORT', 5000, 'a port number')}"
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise SettingsError(
            f"PUBLIC_URL must be an http:// or https:// address such as "
            f"https://rollout.example.com, not {raw!r}"
        )
    return raw.rstrip("/")


def _whole_number(env, name: str, default: int, what: str, *, least: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < least:
        at_least = f" of at least {least}" if least else ""
        raise SettingsError(f"{name} must be {what}{at_least}, not {raw!r}")
    return int(raw)


def _instance_secret(instance_path: Path) -> str:
    # No built-in default: each installation makes its own key once and keeps it private.
    path = instance_path / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
