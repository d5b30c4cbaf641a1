"""Jira's issue JSON (REST v2/v3 and webhook bodies) to a BugRecord: pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from rollout.jira.bugs import BugRecord
from rollout.jira.models import Priority, Severity, StatusCategory
from rollout.releases.releases import JIRA_KEY
from rollout.validation import strip_controls

# Jira Cloud's default scheme (Highest … Lowest), Server's older one (Blocker … Trivial),
# and the P-numbers many teams rename them to.
PRIORITIES = {
    "highest": Priority.CRITICAL,
    "blocker": Priority.CRITICAL,
    "critical": Priority.CRITICAL,
    "urgent": Priority.CRITICAL,
    "p0": Priority.CRITICAL,
    "p1": Priority.CRITICAL,
    "high": Priority.HIGH,
    "major": Priority.HIGH,
    "p2": Priority.HIGH,
    "medium": Priority.MEDIUM,
    "normal": Priority.MEDIUM,
    "p3": Priority.MEDIUM,
    "low": Priority.LOW,
    "lowest": Priority.LOW,
    "minor": Priority.LOW,
    "trivial": Priority.LOW,
    "p4": Priority.LOW,
    "p5": Priority.LOW,
}
# Seed 000's labels as a Jira select field spells them ("Hyper-local" … "Deep and Wide").
SEVERITIES = {
    "hyperlocal": Severity.HYPER_LOCAL,
    "local": Severity.LOCAL,
    "moderate": Severity.MODERATE,
    "widespread": Severity.WIDESPREAD,
    "deepandwide": Severity.DEEP_AND_WIDE,
}
CATEGORIES = {c.value: c for c in StatusCategory}
SUMMARY_LIMIT = 255  # Jira's own limit on a summary


class MappingError(ValueError):
    """The JSON is not a Jira issue Rollout can read; the message says what is missing and
    `field` where it is."""

    def __init__(self, message: str, *, field: str = "issue"):
        super().__init__(message)
        self.field = field


def issue_key(issue: Any) -> str:
    """The issue's key, upper-cased, if it is one we can keep and link to."""
    key = issue.get("key") if isinstance(issue, Mapping) else None
    if key is None:
        raise MappingError("the issue has no key")
    if not isinstance(key, str) or not JIRA_KEY.fullmatch(key.strip().upper()):
        raise MappingError("the issue key is not one like OPS-123", field="issue.key")
    return key.strip().upper()


def issue_project(issue: Mapping, key: str) -> str:
    """The issue's project key: its `project` field, else the key's prefix."""
    fields = issue.get("fields")
    project = _member(fields, "project", "key") if isinstance(fields, Mapping) else None
    project = (project or key.rsplit("-", 1)[0]).upper()
    if not _is_project_key(project):
        raise MappingError(f"{key}: {project!r} is not a project key", field="project")
    return project


# A sync reads thousands of issues naming the same few projects, statuses, versions and
# severities: each distinct name is checked or cleaned once, not once per issue.
_NAMES_CACHED = 1024


@lru_cache(maxsize=_NAMES_CACHED)
def _is_project_key(project: str) -> bool:
    return JIRA_KEY.fullmatch(f"{project}-1") is not None


def _member(parent: Mapping, name: str, key: str) -> str | None:
    """`parent[name][key]`: Jira nests names in objects ({"priority": {"name": "High"}});
    a plain value there means the body is not Jira's, refused rather than half-read."""
    value = parent.get(name)
    found = value.get(key) if isinstance(value, Mapping) else value
    if found is not None and (not isinstance(value, Mapping) or not isinstance(found, str)):
        raise MappingError(f"{name} must be an object with a text {key!r}", field=name)
    return found


def _clean(value: Any, limit: int) -> str:
    # Jira text reaches pages, feeds and mail: no control characters, and within the column.
    return strip_controls(str(value)).strip()[:limit]


@lru_cache(maxsize=_NAMES_CACHED)
def _clean_name(value: str, limit: int) -> str:
    """`_clean` for a name many issues share (a status, a resolution, a version)."""
    return _clean(value, limit)


def map_priority(name: str | None) -> Priority | None:
    """A Jira priority name to ours; a scheme we do not know gives None, not a guess."""
    if not name:
        return None
    return PRIORITIES.get(name.strip().lower())


def map_severity(value: Any) -> Severity | None:
    """A severity select option ({"value": "Deep and Wide"}) or plain string to ours."""
    if isinstance(value, Mapping):
        value = value.get("value") or value.get("name")
    if not isinstance(value, str):
        return None
    return _severity_named(value)


@lru_cache(maxsize=_NAMES_CACHED)
def _severity_named(value: str) -> Severity | None:
    squashed = re.sub(r"[^a-z]", "", value.lower().replace("&", "and"))
    return SEVERITIES.get(squashed)


def map_status_category(
    status: Mapping | None, status_map: Mapping[str, StatusCategory] | None = None
) -> tuple[str, StatusCategory]:
    """(status name, category): the configured map wins, then Jira's statusCategory key."""
    raw = status.get("name") if isinstance(status, Mapping) else None
    name = _clean_name(raw, 64) if isinstance(raw, str) else ""
    if not name:
        raise MappingError("the issue has no status", field="status")
    if status_map and name.lower() in status_map:
        return name, status_map[name.lower()]
    key = _member(status, "statusCategory", "key")
    if key not in CATEGORIES:
        raise MappingError(
            f"status {name!r} has no known statusCategory (got {key!r})", field="status"
        )
    return name, CATEGORIES[key]


def parse_jira_time(raw: Any) -> datetime:
    """Jira's `2026-11-22T10:15:30.000+0000` as an aware UTC datetime."""
    if not isinstance(raw, str):
        raise MappingError("the issue has no `updated` time", field="updated")
    try:
        value = datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise MappingError(f"`updated` {raw!r} has no UTC offset", field="updated")
        return value.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset past year 1 or 9999
        raise MappingError(f"`updated` {raw!r} is not a Jira timestamp", field="updated") from None


def plain_text(value: Any) -> str | None:
    """A text field as plain text: v2 gives a string, v3 an Atlassian Document (ADF)."""
    if value is None:
        return None
    if isinstance(value, str):
        return strip_controls(value).strip() or None
    if isinstance(value, Mapping) and value.get("type") == "doc":
        blocks = [_adf_text(block).strip() for block in _nodes(value)]
        return strip_controls("\n\n".join(b for b in blocks if b)) or None
    return None


def _adf_text(node: Mapping) -> str:
    # Walked with a stack of its own: a signed body may nest deeper than Python recurses.
    parts: list[str] = []
    pending = [node]
    while pending:
        current = pending.pop()
        if current.get("type") == "text":
            parts.append(str(current.get("text", "")))
        elif current.get("type") == "hardBreak":
            parts.append("\n")
        else:
            pending.extend(reversed(_nodes(current)))
    return "".join(parts)


def _nodes(node: Mapping) -> list[Mapping]:
    content = node.get("content")
    return [c for c in content if isinstance(c, Mapping)] if isinstance(content, list) else []


def issue_to_record(
    issue: Mapping,
    *,
    severity_field: str | None = None,
    note_field: str | None = None,
    status_map: Mapping[str, StatusCategory] | None = None,
) -> BugRecord:
    """One issue as search, GET issue or a webhook sends it, as Rollout keeps it."""
    key = issue_key(issue)
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        raise MappingError(f"{key}: the issue has no fields", field="fields")
    status, category = map_status_category(fields.get("status"), status_map)
    resolution = _member(fields, "resolution", "name")
    versions = fields.get("fixVersions")
    return BugRecord(
        key=key,
        project=issue_project(issue, key),
        summary=_clean(fields.get("summary") or "", SUMMARY_LIMIT),
        status=status,
        status_category=category,
        priority=map_priority(_member(fields, "priority", "name")),
        severity=map_severity(fields.get(severity_field)) if severity_field else None,
        resolution=_clean_name(resolution, 64) if resolution else None,
        fix_versions=tuple(
            _clean_name(v["name"], 255)
            for v in (versions if isinstance(versions, list) else [])
            if isinstance(v, Mapping) and isinstance(v.get("name"), str)
        ),
        public_note=plain_text(fields.get(note_field)) if note_field else None,
        updated_at=parse_jira_time(fields.get("updated")),
    )
