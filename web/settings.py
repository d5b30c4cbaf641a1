"""Configuration: every environment variable Rollout reads, checked once by pydantic-settings
when the app is built, and the typed settings the rest of the code reads from then on."""

# No `from __future__ import annotations`: the field types below are built by calls
# (whole_number(...)), which pydantic must see as values.

import os
import re
import secrets
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from channels.config import SECURITY_PORTS, NotifySettings, SmtpSettings
from jira_sync.config import JiraSettings
from rollout.customers import Tier
from rollout.errors import Invalid
from rollout.jira.models import StatusCategory
from rollout.notifications import DEFAULT_POLICY, NotificationPolicy
from rollout.notifications.addresses import IPNetwork, parse_allow_list
from rollout.scheduling import parse_zone
from rollout.throttle import SigninLimits
from rollout.validation import is_whole_number

ENVIRONMENTS = ("production", "development")


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
    # How `rollout serve` and `rollout worker` write their logs: "text" or "json" lines.
    log_format: str = "text"
    # The bearer token GET /metrics asks for (None: /metrics is not served on the main port).
    metrics_token: str | None = field(default=None, repr=False)
    # Where the processes on this host keep their metrics, summed when scraped
    # (PROMETHEUS_MULTIPROC_DIR; None: each process reports only itself).
    metrics_dir: Path | None = None

    @classmethod
    def from_env(cls, instance_path: Path, environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `environ` (default os.environ), with SQLite in the instance folder;
        a bad value raises SettingsError naming the variable."""
        try:
            # pydantic-settings reads os.environ; a mapping given (tests) meets the same fields.
            variables = (
                Environment() if environ is None else Environment.model_validate(dict(environ))
            )
        except ValidationError as exc:
            raise SettingsError(_messages(exc)[0]) from None
        return variables.settings(instance_path)

    @staticmethod
    def problems(environ: Mapping[str, str] | None = None) -> list[str]:
        """Every variable `environ` (default os.environ) holds wrongly, each in a sentence
        naming it; empty when all are usable. Variables that go together are judged once
        each alone is right."""
        try:
            Environment() if environ is None else Environment.model_validate(dict(environ))
        except ValidationError as exc:
            return _messages(exc)
        return []

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


# ---- how one variable is read ----------------------------------------------------------------


def _reader(parse: Callable[[str, str], Any], *, strip: bool = True) -> BeforeValidator:
    """A variable unset or blank reads as None (the typed settings' default applies); any
    other text goes to `parse(text, name)`, which raises ValueError naming the variable."""

    def read(raw: str | None, info: ValidationInfo) -> Any:
        text = raw.strip() if strip and raw is not None else raw
        return parse(text, info.field_name) if text else None

    return BeforeValidator(read)


def _as_is(text: str, name: str) -> str:
    return text


def whole_number(what: str = "a whole number", *, least: int = 0) -> Any:
    """The type of a variable holding ASCII digits, at least `least`."""

    def parse(text: str, name: str) -> int:
        if not is_whole_number(text) or int(text) < least:
            at_least = f" of at least {least}" if least else ""
            raise ValueError(f"{name} must be {what}{at_least}, not {text!r}")
        return int(text)

    return Annotated[int | None, _reader(parse)]


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def _flag(text: str, name: str) -> bool:
    # One rule for every on/off variable, case-insensitive; anything else is a typo to report.
    if text.lower() in TRUE:
        return True
    if text.lower() in FALSE:
        return False
    raise ValueError(f"{name} must be true or false (or 1/0, yes/no, on/off), not {text!r}")


def _port(text: str, name: str) -> int:
    if not (is_whole_number(text) and 0 < int(text) < 65536):
        raise ValueError(f"{name} must be a port number, not {text!r}")
    return int(text)


def _web_address(text: str, name: str) -> str:
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed [ around an IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ValueError(
            f"{name} must be an http:// or https:// address such as https://host.example.com, "
            f"not {text!r}"
        )
    return text.rstrip("/")


def _database(text: str, name: str) -> str:
    try:
        drivername = make_url(text).drivername
    except ArgumentError:
        drivername = ""
    if drivername.partition("+")[0] not in ("postgresql", "sqlite"):
        # Not repeated back: the address may hold the database password.
        raise ValueError(
            f"{name} must be a PostgreSQL or SQLite address, e.g. "
            "postgresql://rollout:password@db.example.com:5432/rollout or "
            "sqlite:////var/lib/rollout/rollout.db"
        )
    return text


def _environment(text: str, name: str) -> str:
    if text.lower() not in ENVIRONMENTS:
        raise ValueError(f"{name} must be production or development, not {text.lower()!r}")
    return text.lower()


LOG_FORMATS = ("text", "json")


def _log_format(text: str, name: str) -> str:
    if text.lower() not in LOG_FORMATS:
        raise ValueError(f"{name} must be text or json, not {text.lower()!r}")
    return text.lower()


# Anything shorter is guessable by whoever can reach the port.
METRICS_TOKEN_LENGTH = 16


def _metrics_token(text: str, name: str) -> str:
    if len(text) < METRICS_TOKEN_LENGTH:
        raise ValueError(f"{name} must be at least {METRICS_TOKEN_LENGTH} characters long")
    return text


def _metrics_dir(text: str, name: str) -> Path:
    # prometheus_client reads the same variable when it loads and writes there on the first
    # count: a wrong path stops start-up here instead.
    path = Path(text).absolute()
    if not (path.is_dir() and os.access(path, os.W_OK | os.X_OK)):
        raise ValueError(f"{name} must be an existing directory Rollout can write to, not {text!r}")
    return path


def _smtp_security(text: str, name: str) -> str:
    if text.lower() not in SECURITY_PORTS:
        raise ValueError(f"{name} must be starttls, tls or none, not {text.lower()!r}")
    return text.lower()


SMTP_FROM_NEEDED = "SMTP_FROM must be an address, e.g. 'Rollout <ops@example.com>'"


def _mail_address(text: str, name: str) -> str:
    if "@" not in parseaddr(text)[1] or any(c in text for c in "\r\n"):
        raise ValueError(SMTP_FROM_NEEDED)
    return text


def _networks(text: str, name: str) -> tuple[IPNetwork, ...]:
    try:
        return parse_allow_list(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _ca_bundle(path: str, name: str) -> str:
    try:  # loaded now so a wrong path stops start-up, not every delivery
        ssl.create_default_context(cafile=path)
    except OSError as exc:
        raise ValueError(f"{name}: cannot load CAs from {path!r}: {exc}") from None
    return path


def _lead_days(text: str, name: str) -> dict[Tier, timedelta]:
    lead = dict(DEFAULT_POLICY.lead)
    for part in filter(None, (p.strip() for p in text.split(","))):
        tier, _, days = part.partition("=")
        if tier.strip() not in set(Tier) or not days.strip().isdigit():
            raise ValueError(f"{name}: use tier=days, e.g. gold=30, not {part!r}")
        lead[Tier(tier.strip())] = timedelta(days=int(days))
    return lead


_DURATION = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def _durations(text: str, name: str) -> tuple[timedelta, ...]:
    durations = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if not (match := _DURATION.match(part)):
            raise ValueError(f"{name}: use e.g. 24h,1h or 30m, not {part!r}")
        durations.append(timedelta(**{_UNITS[match[2]]: int(match[1])}))
    return tuple(durations)


PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
CUSTOM_FIELD = re.compile(r"^customfield_\d+$")
STATUS_CATEGORIES = {
    "new": StatusCategory.TO_DO,
    "to_do": StatusCategory.TO_DO,
    "todo": StatusCategory.TO_DO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "in_progress": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}


def _projects(text: str, name: str) -> tuple[str, ...]:
    keys = [p.strip().upper() for p in text.split(",") if p.strip()]
    for key in keys:
        if not PROJECT_KEY.match(key):
            raise ValueError(f"{name}: {key!r} is not a Jira project key")
    return tuple(dict.fromkeys(keys))


def _custom_field(text: str, name: str) -> str:
    if not CUSTOM_FIELD.match(text):
        raise ValueError(f"{name} must be a custom field id like customfield_10050, not {text!r}")
    return text


def _status_map(text: str, name: str) -> dict[str, StatusCategory]:
    """`Ready for release=done; Won't Do=done` → {status name (lower case): category}."""
    mapping: dict[str, StatusCategory] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        status, sep, category = part.partition("=")
        key = category.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not status.strip() or key not in STATUS_CATEGORIES:
            raise ValueError(
                f"{name} entry {part!r} must read 'Status name=category' with "
                "category new, indeterminate or done (entries separated by ';')"
            )
        mapping[status.strip().lower()] = STATUS_CATEGORIES[key]
    return mapping


def _zone(text: str, name: str) -> str:
    try:
        parse_zone(text, field=name)  # the zone names every window and contact may use
    except Invalid:
        raise ValueError(f"{name} must be an IANA zone name, not {text!r}") from None
    return text


Text = Annotated[str | None, _reader(_as_is)]
# Secrets are taken byte for byte, surrounding spaces included, and kept out of reprs.
Secret = Annotated[str | None, _reader(_as_is, strip=False), Field(repr=False)]
Flag = Annotated[bool | None, _reader(_flag)]
Port = Annotated[int | None, _reader(_port)]
Count = whole_number()
Seconds = whole_number("a whole number of seconds")
Bytes = whole_number("a whole number of bytes")


class Environment(BaseSettings):
    """Every variable Rollout reads, by its own name; None where unset or blank."""

    # Every field parses its own text, so pydantic-settings hands the raw strings over.
    model_config = SettingsConfigDict(
        case_sensitive=True, enable_decoding=False, extra="ignore", frozen=True
    )

    DATABASE_URL: Annotated[str | None, _reader(_database)] = None
    SECRET_KEY: Secret = None
    ROLLOUT_ENV: Annotated[str | None, _reader(_environment)] = None
    PUBLIC_URL: Annotated[str | None, _reader(_web_address)] = None
    PORT: Port = None
    FEED_FRESHNESS_SECONDS: Seconds = None
    SIGNIN_ACCOUNT_LIMIT: whole_number(least=1) = None
    SIGNIN_CLIENT_LIMIT: whole_number(least=1) = None
    SIGNIN_WINDOW_SECONDS: whole_number("a whole number of seconds", least=1) = None
    TRUSTED_PROXIES: Count = None
    MAX_BODY_BYTES: whole_number("a whole number of bytes", least=1) = None
    HOOK_MAX_BODY_BYTES: Bytes = None
    HELPDESK_WEBHOOK_SECRET: Secret = None

    LOG_FORMAT: Annotated[str | None, _reader(_log_format)] = None
    METRICS_TOKEN: Annotated[str | None, _reader(_metrics_token), Field(repr=False)] = None
    PROMETHEUS_MULTIPROC_DIR: Annotated[Path | None, _reader(_metrics_dir)] = None

    SMTP_HOST: Text = None
    SMTP_PORT: Port = None
    SMTP_SECURITY: Annotated[str | None, _reader(_smtp_security)] = None
    SMTP_FROM: Annotated[str | None, _reader(_mail_address)] = None
    SMTP_USERNAME: Secret = None
    SMTP_PASSWORD: Secret = None
    WEBHOOK_ALLOW_PRIVATE: Annotated[tuple[IPNetwork, ...] | None, _reader(_networks)] = None
    WEBHOOK_CA_BUNDLE: Annotated[str | None, _reader(_ca_bundle)] = None
    NOTIFY_LEAD_DAYS: Annotated[dict[Tier, timedelta] | None, _reader(_lead_days)] = None
    NOTIFY_REMINDERS: Annotated[tuple[timedelta, ...] | None, _reader(_durations)] = None
    NOTIFY_AUTO_ANNOUNCE: Flag = None

    JIRA_URL: Annotated[str | None, _reader(_web_address)] = None
    JIRA_EMAIL: Text = None
    JIRA_API_TOKEN: Annotated[str | None, _reader(_as_is), Field(repr=False)] = None
    JIRA_PAT: Annotated[str | None, _reader(_as_is), Field(repr=False)] = None
    JIRA_PROJECTS: Annotated[tuple[str, ...] | None, _reader(_projects)] = None
    JIRA_WEBHOOK_SECRET: Annotated[str | None, _reader(_as_is), Field(repr=False)] = None
    JIRA_SEVERITY_FIELD: Annotated[str | None, _reader(_custom_field)] = None
    JIRA_NOTE_FIELD: Annotated[str | None, _reader(_custom_field)] = None
    JIRA_STATUS_MAP: Annotated[dict[str, StatusCategory] | None, _reader(_status_map)] = None
    JIRA_PUSH_VERSIONS: Flag = None
    JIRA_PUSH_LINKS: Flag = None
    JIRA_SYNC_SECONDS: whole_number("a whole number of seconds", least=10) = None
    JIRA_OVERLAP_SECONDS: Seconds = None
    JIRA_PAGE_SIZE: whole_number(least=1) = None
    JIRA_TIMEOUT_SECONDS: whole_number("a whole number of seconds", least=1) = None
    JIRA_MAX_RETRIES: Count = None
    JIRA_MAX_RETRY_WAIT_SECONDS: Seconds = None
    JIRA_TIMEZONE: Annotated[str | None, _reader(_zone)] = None

    @model_validator(mode="after")
    def _variables_that_go_together(self) -> "Environment":
        if self.SMTP_HOST and not self.SMTP_FROM:
            raise ValueError(SMTP_FROM_NEEDED)
        email, token, pat = self.JIRA_EMAIL, self.JIRA_API_TOKEN, self.JIRA_PAT
        if pat and (email or token):
            raise ValueError(
                "set either JIRA_PAT (Server/Data Center) or JIRA_EMAIL with JIRA_API_TOKEN "
                "(Cloud), not both"
            )
        if bool(email) != bool(token):
            raise ValueError("JIRA_EMAIL and JIRA_API_TOKEN go together (Jira Cloud)")
        if self.JIRA_URL and not (pat or token):
            raise ValueError(
                "JIRA_URL is set but no credentials: set JIRA_EMAIL and JIRA_API_TOKEN "
                "(Cloud) or JIRA_PAT (Server/Data Center)"
            )
        return self

    def settings(self, instance_path: Path) -> Settings:
        """The typed settings; what is unset takes the default the typed classes give."""
        instance_path.mkdir(parents=True, exist_ok=True)
        environment = self.ROLLOUT_ENV or "production"
        public_url = self.PUBLIC_URL
        if public_url is None and environment == "development":  # where `make run` serves
            public_url = f"http://127.0.0.1:{self.PORT or 5000}"
        return Settings(
            database_url=_database_url(self.DATABASE_URL, instance_path),
            secret_key=self.SECRET_KEY or _instance_secret(instance_path),
            public_url=public_url,
            environment=environment,
            jira=self._jira(),
            notifications=self._notifications(),
            signin_limits=SigninLimits(
                **_given(
                    per_account=self.SIGNIN_ACCOUNT_LIMIT,
                    per_client=self.SIGNIN_CLIENT_LIMIT,
                    window=_seconds(self.SIGNIN_WINDOW_SECONDS),
                )
            ),
            **_given(
                feed_freshness_seconds=self.FEED_FRESHNESS_SECONDS,
                helpdesk_webhook_secret=self.HELPDESK_WEBHOOK_SECRET,
                trusted_proxies=self.TRUSTED_PROXIES,
                max_body_bytes=self.MAX_BODY_BYTES,
                hook_max_body_bytes=self.HOOK_MAX_BODY_BYTES,
                log_format=self.LOG_FORMAT,
                metrics_token=self.METRICS_TOKEN,
                metrics_dir=self.PROMETHEUS_MULTIPROC_DIR,
            ),
        )

    def _notifications(self) -> NotifySettings:
        smtp = None
        if self.SMTP_HOST:  # without it, email stays queued
            security = self.SMTP_SECURITY or "starttls"
            smtp = SmtpSettings(
                host=self.SMTP_HOST,
                port=self.SMTP_PORT or SECURITY_PORTS[security],
                security=security,
                sender=self.SMTP_FROM or "",
                username=self.SMTP_USERNAME,
                password=self.SMTP_PASSWORD,
            )
        policy = NotificationPolicy(
            lead=self.NOTIFY_LEAD_DAYS or DEFAULT_POLICY.lead,
            reminders=DEFAULT_POLICY.reminders
            if self.NOTIFY_REMINDERS is None
            else self.NOTIFY_REMINDERS,
            hold=DEFAULT_POLICY.hold,
        )
        return NotifySettings(
            smtp=smtp,
            policy=policy,
            **_given(
                allow_private=self.WEBHOOK_ALLOW_PRIVATE,
                ca_bundle=self.WEBHOOK_CA_BUNDLE,
                auto_announce=self.NOTIFY_AUTO_ANNOUNCE,
            ),
        )

    def _jira(self) -> JiraSettings:
        return JiraSettings(
            **_given(
                url=self.JIRA_URL,
                email=self.JIRA_EMAIL,
                api_token=self.JIRA_API_TOKEN,
                pat=self.JIRA_PAT,
                projects=self.JIRA_PROJECTS,
                webhook_secret=self.JIRA_WEBHOOK_SECRET,
                severity_field=self.JIRA_SEVERITY_FIELD,
                note_field=self.JIRA_NOTE_FIELD,
                status_map=self.JIRA_STATUS_MAP,
                push_versions=self.JIRA_PUSH_VERSIONS,
                push_links=self.JIRA_PUSH_LINKS,
                sync_seconds=self.JIRA_SYNC_SECONDS,
                overlap_seconds=self.JIRA_OVERLAP_SECONDS,
                page_size=self.JIRA_PAGE_SIZE,
                timeout_seconds=self.JIRA_TIMEOUT_SECONDS,
                max_retries=self.JIRA_MAX_RETRIES,
                max_retry_wait_seconds=self.JIRA_MAX_RETRY_WAIT_SECONDS,
                timezone=self.JIRA_TIMEZONE,
            )
        )


def _given(**values: Any) -> dict[str, Any]:
    """The values that were set, so the rest keep the typed classes' defaults."""
    return {name: value for name, value in values.items() if value is not None}


def _seconds(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(seconds=value)


def _messages(exc: ValidationError) -> list[str]:
    # Our readers raise ValueError in the user's words, naming the variable: pass it on as is.
    return [
        str(cause)
        if isinstance(cause := error.get("ctx", {}).get("error"), ValueError)
        else f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
        for error in exc.errors()
    ]


def _database_url(given: str | None, instance_path: Path) -> str:
    database_url = given or f"sqlite:///{instance_path / 'rollout.db'}"
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def _instance_secret(instance_path: Path) -> str:
    # No built-in default: each installation makes its own key once and keeps it private.
    path = instance_path / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()
