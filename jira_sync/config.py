"""Jira settings from environment variables, checked once so a typo fails at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from rollout.jira.models import StatusCategory

PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
CUSTOM_FIELD = re.compile(r"^customfield_\d+$")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}
CATEGORIES = {
    "new": StatusCategory.TO_DO,
    "to_do": StatusCategory.TO_DO,
    "todo": StatusCategory.TO_DO,
    "indeterminate": StatusCategory.IN_PROGRESS,
    "in_progress": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}


class JiraConfigError(ValueError):
    """A Jira environment variable holds a value Rollout cannot use; the message names it."""


@dataclass(frozen=True)
class JiraSettings:
    """Everything Rollout needs to talk to Jira; an empty one means Jira is not set up."""

    url: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    pat: str | None = field(default=None, repr=False)
    projects: tuple[str, ...] = ()
    webhook_secret: str | None = field(default=None, repr=False)
    severity_field: str | None = None  # e.g. customfield_10050, a single-select
    note_field: str | None = None  # the customer-facing note, a text field
    status_map: Mapping[str, StatusCategory] = field(default_factory=dict)  # by lower-case name
    push_versions: bool = True
    push_links: bool = True
    sync_seconds: int = 300
    # Pull sync: how far before the last run's start the next run looks again.
    overlap_seconds: int = 120
    page_size: int | None = None  # None: the largest each deployment type serves
    timeout_seconds: float = 30.0
    # 429/503: wait as told by Retry-After, up to this long per wait, this many times.
    max_retries: int = 3
    max_retry_wait_seconds: float = 60.0
    # The zone JQL dates are read in (the Jira user's profile zone); None: ask Jira.
    timezone: str | None = None

    @property
    def api_configured(self) -> bool:
        return bool(self.url and (self.pat or (self.email and self.api_token)))

    def fields(self) -> list[str]:
        """The issue fields a sync asks for, and nothing more."""
        wanted = [
            "summary",
            "status",
            "priority",
            "resolution",
            "fixVersions",
            "updated",
            "project",
        ]
        wanted += [f for f in (self.severity_field, self.note_field) if f]
        return wanted

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JiraSettings:
        """Settings from `environ` (default os.environ); JiraConfigError names a bad variable."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = (env.get(name) or "").strip()
            return value or None

        url = get("JIRA_URL")
        if url is not None:
            try:
                parsed = urlparse(url)
            except ValueError:  # e.g. an unclosed [ around an IPv6 address
                parsed = None
            if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise JiraConfigError(f"JIRA_URL must be an http(s) address, not {url!r}")
            url = url.rstrip("/")
        email, api_token, pat = get("JIRA_EMAIL"), get("JIRA_API_TOKEN"), get("JIRA_PAT")
        if pat and (email or api_token):
            raise JiraConfigError(
                "set either JIRA_PAT (Server/Data Center) or JIRA_EMAIL with JIRA_API_TOKEN "
                "(Cloud), not both"
            )
        if bool(email) != bool(api_token):
            raise JiraConfigError("JIRA_EMAIL and JIRA_API_TOKEN go together (Jira Cloud)")
        if url and not (pat or api_token):
            raise JiraConfigError(
                "JIRA_URL is set but no credentials: set JIRA_EMAIL and JIRA_API_TOKEN "
                "(Cloud) or JIRA_PAT (Server/Data Center)"
            )
        return cls(
            url=url,
            email=email,
            api_token=api_token,
            pat=pat,
            projects=_projects(get("JIRA_PROJECTS")),
            webhook_secret=get("JIRA_WEBHOOK_SECRET"),
            severity_field=_custom_field("JIRA_SEVERITY_FIELD", get("JIRA_SEVERITY_FIELD")),
            note_field=_custom_field("JIRA_NOTE_FIELD", get("JIRA_NOTE_FIELD")),
            status_map=parse_status_map(get("JIRA_STATUS_MAP")),
            push_versions=_boolean("JIRA_PUSH_VERSIONS", get("JIRA_PUSH_VERSIONS"), True),
            push_links=_boolean("JIRA_PUSH_LINKS", get("JIRA_PUSH_LINKS"), True),
            sync_seconds=_whole("JIRA_SYNC_SECONDS", get("JIRA_SYNC_SECONDS"), 300, low=10),
            overlap_seconds=_whole("JIRA_OVERLAP_SECONDS", get("JIRA_OVERLAP_SECONDS"), 120),
            page_size=_whole("JIRA_PAGE_SIZE", get("JIRA_PAGE_SIZE"), None, low=1),
            timeout_seconds=_whole("JIRA_TIMEOUT_SECONDS", get("JIRA_TIMEOUT_SECONDS"), 30, low=1),
            max_retries=_whole("JIRA_MAX_RETRIES", get("JIRA_MAX_RETRIES"), 3),
            max_retry_wait_seconds=_whole(
                "JIRA_MAX_RETRY_WAIT_SECONDS", get("JIRA_MAX_RETRY_WAIT_SECONDS"), 60
            ),
            timezone=_zone(get("JIRA_TIMEZONE")),
        )


def parse_status_map(raw: str | None) -> dict[str, StatusCategory]:
    """`Ready for release=done; Won't Do=done` → {status name (lower case): category}."""
    if not raw:
        return {}
    mapping: dict[str, StatusCategory] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        name, sep, category = part.partition("=")
        key = category.strip().lower().replace(" ", "_").replace("-", "_")
        if not sep or not name.strip() or key not in CATEGORIES:
            raise JiraConfigError(
                f"JIRA_STATUS_MAP entry {part.strip()!r} must read 'Status name=category' with "
                "category new, indeterminate or done (entries separated by ';')"
            )
        mapping[name.strip().lower()] = CATEGORIES[key]
    return mapping


def _projects(raw: str | None) -> tuple[str, ...]:
    if not raw:
        return ()
    keys = [p.strip().upper() for p in raw.split(",") if p.strip()]
    for key in keys:
        if not PROJECT_KEY.match(key):
            raise JiraConfigError(f"JIRA_PROJECTS: {key!r} is not a Jira project key")
    return tuple(dict.fromkeys(keys))


def _custom_field(name: str, raw: str | None) -> str | None:
    if raw is not None and not CUSTOM_FIELD.match(raw):
        raise JiraConfigError(
            f"{name} must be a custom field id like customfield_10050, not {raw!r}"
        )
    return raw


def _boolean(name: str, raw: str | None, default: bool) -> bool:
    if raw is None:
        return default
    if raw.lower() in TRUE:
        return True
    if raw.lower() in FALSE:
        return False
    raise JiraConfigError(f"{name} must be true or false, not {raw!r}")


def _whole(name: str, raw: str | None, default, *, low: int = 0):
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < low:
        raise JiraConfigError(f"{name} must be a whole number of at least {low}, not {raw!r}")
    return int(raw)


def _zone(raw: str | None) -> str | None:
    if raw is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise JiraConfigError(f"JIRA_TIMEZONE must be an IANA zone name, not {raw!r}") from None
    return raw
