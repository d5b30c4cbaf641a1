"""The adapter: the only module that knows the `jira` library.

Cloud or Server/Data Center is told by serverInfo's `deploymentType`. Cloud pages with the
enhanced search (`search/jql`, `nextPageToken`); Server with `search` and `startAt`.

Retries: the library's ResilientSession would sleep up to minutes on 429/503 and on
connection errors (10 s × 2^n). It is built with `max_retries=0`, and this adapter retries
429/503 itself, waiting exactly what Retry-After says, a bounded number of times, so a CLI
run facing an unreachable Jira fails in seconds, and a sync that gives up resumes later.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import requests
from jira import JIRA, JIRAError

from jira_sync.config import JiraSettings
from rollout.validation import is_whole_number

T = TypeVar("T")
# The largest page each search serves (Cloud: the enhanced search's ceiling; Jira answers
# with fewer when many fields are asked for, and paging simply follows).
MAX_PAGE = {"cloud": 5000, "server": 1000}


class JiraError(Exception):
    """Jira failed or refused; `status` is the HTTP status (None: not reached at all)."""

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after

    @property
    def permanent(self) -> bool:
        """A refusal that retrying the same request will not change (4xx but 401/408/429)."""
        return (
            self.status is not None
            and 400 <= self.status < 500
            and self.status
            not in (
                401,
                408,
                429,
            )
        )

    @property
    def unauthorised(self) -> bool:
        return self.status == 401


@dataclass(frozen=True)
class SearchPage:
    issues: list[dict[str, Any]]
    next_cursor: str | None  # None: this was the last page


@dataclass
class JiraClient:
    """A connection to one Jira site; build with `connect(settings)`."""

    settings: JiraSettings
    jira: JIRA
    deployment: str  # "cloud" or "server"
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0
    _zone: str | None = field(default=None, repr=False)

    # ---- connecting -------------------------------------------------------------------

    @classmethod
    def connect(cls, settings: JiraSettings, *, sleep: Callable[[float], None] = time.sleep):
        """Reach Jira (serverInfo) and tell Cloud from Server; JiraError if that fails."""
        if not settings.api_configured:
            raise JiraError(
                "Jira is not configured: set JIRA_URL and JIRA_EMAIL + JIRA_API_TOKEN (Cloud) "
                "or JIRA_PAT (Server/Data Center)"
            )
        counter = {"n": 0}

        def build() -> JIRA:
            counter["n"] += 1
            auth: dict[str, Any] = (
                {"token_auth": settings.pat}
                if settings.pat
                else {"basic_auth": (settings.email, settings.api_token)}
            )
            return JIRA(
                server=settings.url,
                options={"check_update": False},
                max_retries=0,
                timeout=settings.timeout_seconds,
                get_server_info=True,
                **auth,
            )

        jira = _retrying(build, settings, sleep, what=f"reach Jira at {settings.url}")
        deployment = "cloud" if jira.deploymentType == "Cloud" else "server"
        client = cls(settings=settings, jira=jira, deployment=deployment, sleep=sleep)
        client.requests_made = counter["n"]
        jira._session.hooks["response"].append(client._count)
        return client

    def _count(self, response, *args, **kwargs):
        self.requests_made += 1

    def close(self) -> None:
        self.jira.close()

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        return _retrying(fn, self.settings, self.sleep, what=what)

    # ---- reading ----------------------------------------------------------------------

    @property
    def page_size(self) -> int:
        return self.settings.page_size or MAX_PAGE[self.deployment]

    def user_zone(self) -> ZoneInfo:
        """The zone Jira reads JQL dates in: the API user's profile zone (or JIRA_TIMEZONE)."""
        if self._zone is None:
            configured = self.settings.timezone
            if configured is None:
                me = self.myself()
                configured = me.get("timeZone") or "UTC"
            self._zone = configured
        try:
            return ZoneInfo(self._zone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def myself(self) -> dict[str, Any]:
        """The API user's profile (GET myself): proof the credentials are accepted."""
        return self._call("read the Jira user's profile", self.jira.myself)

    def first_cursor(self) -> str:
        return "token:" if self.deployment == "cloud" else "start:0:0"

    def search_page(self, jql: str, fields: list[str], cursor: str) -> SearchPage:
        """One page of `jql` from `cursor` (first_cursor() or a previous page's next_cursor)."""
        kind, _, rest = cursor.partition(":")
        if self.deployment == "cloud":
            if kind != "token":
                raise ValueError(f"cursor {cursor!r} is not a Cloud page token")
            return self._cloud_page(jql, fields, rest or None)
        if kind != "start":
            raise ValueError(f"cursor {cursor!r} is not a Server startAt")
        start, _, total = rest.partition(":")
        return self._server_page(jql, fields, int(start), int(total or 0))

    def _cloud_page(self, jql: str, fields: list[str], token: str | None) -> SearchPage:
        data = self._call(
            "search Jira",
            lambda: self.jira.enhanced_search_issues(
                jql,
                nextPageToken=token,
                maxResults=self.page_size,
                fields=list(fields),
                json_result=True,
            ),
        )
        issues = list(data.get("issues") or [])
        token = data.get("nextPageToken")
        last = data.get("isLast", not token) or not token
        return SearchPage(issues, None if last else f"token:{token}")

    def _server_page(self, jql: str, fields: list[str], start: int, seen_total: int) -> SearchPage:
        data = self._call(
            "search Jira",
            lambda: self.jira.search_issues(
                jql,
                startAt=start,
                maxResults=self.page_size,
                fields=list(fields),
                json_result=True,
            ),
        )
        issues = list(data.get("issues") or [])
        total = int(data.get("total") or 0)
        # Ordered by key, issues only leave the result set when deleted or moved away, and
        # each one that left before `start` shifted this page left over an unread issue:
        # read again from as many places back (a repeat is harmless, a skip is not).
        shrunk = max(0, seen_total - total) if seen_total else 0
        if shrunk and issues:
            return SearchPage(issues, f"start:{max(0, start - shrunk)}:{total}")
        after = start + len(issues)
        if not issues or after >= total:
            return SearchPage(issues, None)
        return SearchPage(issues, f"start:{after}:{total}")

    def issue(self, key: str, fields: list[str]) -> dict[str, Any]:
        """One issue's JSON (fields limited to `fields`)."""
        found = self._call(f"read {key}", lambda: self.jira.issue(key, fields=",".join(fields)))
        return found.raw

    # ---- writing ----------------------------------------------------------------------

    def ensure_version(self, project: str, name: str, description: str | None = None) -> bool:
        """Create fix version `name` in `project` unless it exists; True when created."""
        if self._find_version(project, name) is not None:
            return False
        self._call(
            f"create version {name} in {project}",
            lambda: self.jira.create_version(name, project, description=description),
        )
        return True

    def release_version(self, project: str, name: str, release_date: date) -> None:
        """Mark version `name` released on `release_date`, creating it if missing."""
        version = self._find_version(project, name)
        when = release_date.isoformat()
        if version is None:
            self._call(
                f"create version {name} in {project}",
                lambda: self.jira.create_version(name, project, releaseDate=when, released=True),
            )
            return
        if getattr(version, "released", False) and getattr(version, "releaseDate", None) == when:
            return
        self._call(
            f"release version {name} in {project}",
            lambda: version.update(released=True, releaseDate=when),
        )

    def _find_version(self, project: str, name: str):
        versions = self._call(
            f"list versions of {project}", lambda: self.jira.project_versions(project)
        )
        return next((v for v in versions if v.name == name), None)

    def add_remote_link(self, issue: str, *, url: str, title: str, global_id: str) -> None:
        """Link `issue` to `url`; Jira updates the link with the same globalId, so a retry
        never adds a second one."""

        def add():
            with warnings.catch_warnings():
                # The library first lists application links, which most non-admin users may
                # not do; it only warns, and plain web links do not need them.
                warnings.filterwarnings("ignore", message="Unable to gather applicationlinks")
                self.jira.add_remote_link(
                    issue,
                    {"url": url, "title": title, "icon": {"title": "Help desk ticket"}},
                    globalId=global_id,
                    relationship="help desk ticket",
                )

        self._call(f"link {issue} to the help-desk ticket", add)

    def remove_remote_link(self, issue: str, *, global_id: str) -> bool:
        """Remove the link with `global_id` from `issue`; False when there was none."""
        links = self._call(f"read links of {issue}", lambda: self.jira.remote_links(issue))
        gone = False
        for link in links:
            if link.raw.get("globalId") == global_id:
                self._call(f"unlink {issue}", link.delete)
                gone = True
        return gone


def _retrying(fn: Callable[[], T], settings: JiraSettings, sleep, *, what: str) -> T:
    """Run `fn`, waiting out 429/503 as Retry-After says; every failure as a JiraError."""
    attempt = 0
    while True:
        try:
            return fn()
        except JIRAError as exc:
            error = _from_library(exc, what, settings)
        except requests.RequestException as exc:
            host = urlparse(settings.url or "").netloc
            raise JiraError(
                f"could not {what}: Jira at {host} is unreachable ({type(exc).__name__})"
            ) from None
        if error.status not in (429, 503) or attempt >= settings.max_retries:
            raise error
        wait = error.retry_after if error.retry_after is not None else float(2**attempt)
        if wait > settings.max_retry_wait_seconds:
            raise error
        attempt += 1
        sleep(wait)


def _from_library(exc: JIRAError, what: str, settings: JiraSettings) -> JiraError:
    # str(JIRAError) dumps request and response headers: only the status and Jira's own
    # error messages are kept, so no credential ever reaches a log or the database.
    status = exc.status_code
    text = (exc.text or "").strip()
    retry_after = None
    headers = getattr(exc.response, "headers", None) or {}
    if status in (429, 503):
        retry_after = _retry_after(headers.get("Retry-After"))
    if status == 401:
        message = f"could not {what}: Jira refused the credentials (401); check " + (
            "JIRA_PAT" if settings.pat else "JIRA_EMAIL and JIRA_API_TOKEN"
        )
    elif status == 403:
        message = f"could not {what}: the Jira user lacks permission (403): {text[:300]}"
    elif status == 429:
        message = f"could not {what}: Jira is rate limiting (429), retry after {retry_after} s"
    else:
        message = f"could not {what}: Jira answered {status}: {text[:300] or 'no message'}"
    return JiraError(message, status=status, retry_after=retry_after)


def _retry_after(raw: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not raw:
        return None
    raw = raw.strip()
    if is_whole_number(raw):
        return float(raw)
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
