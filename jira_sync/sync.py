"""Pull sync: bring Rollout's bugs up to date with a Jira project, page by page.

The query is `project = X [AND updated >= "<since>"] ORDER BY key ASC`, where `since` is the
start of the last complete run minus an overlap (JIRA_OVERLAP_SECONDS, default 2 minutes).
Why these choices:

- JQL dates have minute precision and are read in the *Jira user's* profile zone, not UTC.
  `since` is written in that zone (asked once from /myself, or JIRA_TIMEZONE) and rounded
  down to the minute; in a DST fold it steps back an hour so either reading is early enough.
  Earlier is always safe: an issue seen twice is applied once (newest `updated` wins).
- The overlap also covers clock skew between Rollout and Jira, and Jira Cloud's search index
  lagging a moment behind a change.
- Ordered by key, not by `updated`: an issue edited during the run keeps its place instead of
  jumping to the end and shifting the next page over an issue never read (with `startAt`,
  that one would be skipped for good). What is edited after the run started is picked up by
  the next run, which starts from this run's start.
- Progress (the page cursor) is stored in JiraSyncState after every page; the caller commits
  between pages, so a run that fails resumes at the page that failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from jira_sync.client import JiraClient, JiraError, SearchPage
from jira_sync.config import JiraSettings
from jira_sync.mapping import MappingError, issue_to_record
from rollout.errors import Invalid, NotFound
from rollout.jira.bugs import BugRecord, bugs_with_tickets, upsert_bug, upsert_bugs
from rollout.jira.models import Bug, JiraSyncState
from rollout.support.fix_live import recheck_bugs

CURSOR_LIMIT = 2000  # JiraSyncState.run_page's length


class IssueSource(Protocol):
    """What the sync needs from Jira (JiraClient is the real one)."""

    def user_zone(self) -> ZoneInfo: ...
    def first_cursor(self) -> str: ...
    def search_page(self, jql: str, fields: list[str], cursor: str) -> SearchPage: ...


@dataclass(frozen=True)
class PageDone:
    project: str
    issues: int  # issues on this page
    last: bool
    resumed: bool  # this run picked up where a failed one stopped
    problems: tuple[str, ...] = ()  # issues skipped because they could not be read


def jql_since(project: str, since: datetime | None, zone: ZoneInfo) -> str:
    """The sync's JQL: issues of `project` updated at or after `since` read in `zone`."""
    clause = f'project = "{project}"'
    if since is not None:
        clause += f' AND updated >= "{jql_time(since, zone)}"'
    return clause + " ORDER BY key ASC"


def jql_time(instant: datetime, zone: ZoneInfo) -> str:
    """`instant` as JQL's `yyyy-MM-dd HH:mm` in `zone`, never later than `instant`."""
    local = instant.astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        # An ambiguous wall time (DST fold): Jira may read it as the later of the two.
        local = (instant - timedelta(hours=1)).astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M")


def sync_project(
    session: Session,
    source: IssueSource,
    settings: JiraSettings,
    *,
    project: str,
    now: datetime,
    full: bool = False,
) -> Iterator[PageDone]:
    """Apply `project`'s changed issues; yields after each page so the caller commits it.

    A run left unfinished by an error resumes at its stored page unless `full` asks to
    start over from nothing. Raises JiraError when Jira fails (the caller rolls back the
    page in flight and calls `record_failure`). Each page holds the project's state row
    locked (PostgreSQL): a second worker finding it locked leaves the project to the first.
    """
    state = _claim(session, project)
    if state is None:
        return
    first = source.first_cursor()
    resumed = (
        not full
        and state.run_page is not None
        and state.run_page.startswith(first.split(":", 1)[0] + ":")
    )
    if not resumed:
        since = None
        if not full and state.synced_through is not None:
            since = state.synced_through - timedelta(seconds=settings.overlap_seconds)
        state.run_since = since
        state.run_page = first
        state.last_run_at = now  # the next run starts from here
    session.flush()
    jql = jql_since(project, state.run_since, source.user_zone())
    fields = settings.fields()
    cursor = state.run_page
    stored = cursor
    while True:
        try:
            page = source.search_page(jql, fields, cursor)
        except JiraError as exc:
            if exc.status == 400 and resumed and cursor != first:
                # A page token Jira no longer honours (they expire): redo this run's pages.
                cursor = state.run_page = stored = first
                resumed = False
                continue
            raise
        problems = apply_issues(session, page.issues, settings, now=now)
        last = page.next_cursor is None
        if last:
            state.synced_through = state.last_run_at
            state.run_since = None
            state.run_page = None
            state.last_error = None
        else:
            cursor = page.next_cursor
            if len(cursor) <= CURSOR_LIMIT:  # else a resumed run repeats a page or two
                state.run_page = stored = cursor
        session.flush()
        yield PageDone(project, len(page.issues), last, resumed, tuple(problems))
        if last:
            return
        state = _claim(session, project)
        if state is None or state.run_page != stored:
            return  # another worker has taken the run over


def _claim(session: Session, project: str) -> JiraSyncState | None:
    """The project's state row, locked for this transaction; None if another holds it."""
    state = session.scalar(
        select(JiraSyncState)
        .where(JiraSyncState.project == project)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    if state is not None:
        return state
    if session.scalar(select(JiraSyncState.project).where(JiraSyncState.project == project)):
        return None
    state = JiraSyncState(project=project)
    session.add(state)
    session.flush()
    return state


def apply_issues(
    session: Session, issues: list[Mapping], settings: JiraSettings, *, now: datetime
) -> list[str]:
    """Upsert each issue (one older than the stored row is ignored) and recheck the tickets
    linked to them, in a few statements per page whatever its size; returns a problem line
    per issue that could not be read, which is skipped rather than blocking the run."""
    problems, records = [], []
    for issue in issues:
        try:
            records.append(to_record(issue, settings))
        except MappingError as exc:
            problems.append(str(exc))
    # Every bug stored before is re-checked, changed or not, as one at a time did; a bug new
    # on this page has no ticket yet.
    stored_before = upsert_bugs(session, records, now=now)
    recheck_bugs(session, bugs_with_tickets(session, stored_before), now=now)
    return problems


def to_record(issue: Mapping, settings: JiraSettings) -> BugRecord:
    """`issue` mapped with the configured severity, note and status settings."""
    return issue_to_record(
        issue,
        severity_field=settings.severity_field,
        note_field=settings.note_field,
        status_map=settings.status_map,
    )


def sync_issue(
    session: Session, client: JiraClient, settings: JiraSettings, *, key: str, now: datetime
) -> Bug:
    """Read one issue from Jira now and apply it (e.g. a key typed in before any sync);
    NotFound when Jira does not know it or hides it from the Jira user."""
    try:
        issue = client.issue(key, settings.fields())
    except JiraError as exc:
        if exc.status == 404:
            raise NotFound(f"Jira has no issue {key!r} (or hides it)", field="bug") from None
        raise
    try:
        record = to_record(issue, settings)
    except MappingError as exc:
        raise Invalid(str(exc), field="bug") from None
    bug = upsert_bug(session, record, now=now)
    recheck_bugs(session, [bug], now=now)
    return bug


def record_failure(session: Session, *, project: str, error: str, now: datetime) -> None:
    """Note why `project`'s run stopped; its stored page is kept for the next run."""
    state = session.get(JiraSyncState, project)
    if state is None:
        state = JiraSyncState(project=project)
        session.add(state)
    state.last_error = error[:2000]
    session.flush()


@dataclass(frozen=True)
class SyncOutcome:
    project: str
    issues: int
    pages: int
    resumed: bool
    problems: tuple[str, ...] = ()
    error: str | None = None


def run_sync(
    sessions,
    source: IssueSource,
    settings: JiraSettings,
    *,
    projects: list[str],
    now: datetime,
    full: bool = False,
) -> list[SyncOutcome]:
    """Sync each project, committing after every page; stops at the first Jira failure
    after recording it (the outcome carries the error)."""
    outcomes = []
    for project in projects:
        issues = pages = 0
        resumed = False
        problems: list[str] = []
        with sessions() as session:
            try:
                for page in sync_project(
                    session, source, settings, project=project, now=now, full=full
                ):
                    session.commit()
                    issues, pages, resumed = issues + page.issues, pages + 1, page.resumed
                    problems += page.problems
            except JiraError as exc:
                session.rollback()
                record_failure(session, project=project, error=exc.message, now=now)
                session.commit()
                outcomes.append(
                    SyncOutcome(project, issues, pages, resumed, tuple(problems), exc.message)
                )
                return outcomes
        outcomes.append(SyncOutcome(project, issues, pages, resumed, tuple(problems)))
    return outcomes
