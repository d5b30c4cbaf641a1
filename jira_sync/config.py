"""What the Jira adapter needs; read from the environment, and checked, in web/settings.py."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from rollout.jira.models import StatusCategory


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
