"""Jira's issue JSON (REST v2/v3 and webhook bodies) to a BugRecord: pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rollout.support.bugs import BugRecord
from rollout.support.models import Priority, Severity, StatusCategory

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


class MappingError(ValueError):
    """The JSON is not a Jira issue Rollout can read; the message says what is missing."""


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
    squashed = re.sub(r"[^a-z]", "", value.lower().replace("&", "and"))
    return SEVERITIES.get(squashed)


def map_status_category(
    status: Mapping | None, status_map: Mapping[str, StatusCategory] | None = None
) -> tuple[str, StatusCategory]:
    """(status name, category): the configured map wins, then Jira's statusCategory key."""
    if not isinstance(status, Mapping) or not status.get("name"):
        raise MappingError("the issue has no status")
    name = str(status["name"])
    if status_map and name.lower() in status_map:
        return name, status_map[name.lower()]
    key = (status.get("statusCategory") or {}).get("key")
    if key not in CATEGORIES:
        raise MappingError(f"status {name!r} has no known statusCategory (got {key!r})")
    return name, CATEGORIES[key]


def parse_jira_time(raw: Any) -> datetime:
    """Jira's `2026-11-22T10:15:30.000+0000` as an aware UTC datetime."""
    if not isinstance(raw, str):
        raise MappingError("the issue has no `updated` time")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise MappingError(f"`updated` {raw!r} is not a Jira timestamp") from None
    if value.tzinfo is None:
        raise MappingError(f"`updated` {raw!r} has no UTC offset")
    return value.astimezone(UTC)


def plain_text(value: Any) -> str | None:
    """A text field as plain text: v2 gives a string, v3 an Atlassian Document (ADF)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, Mapping) and value.get("type") == "doc":
        blocks = [_adf_text(block).strip() for block in value.get("content") or []]
        return "\n\n".join(b for b in blocks if b) or None
    return None


def _adf_text(node: Mapping) -> str:
    if node.get("type") == "text":
        return str(node.get("text", ""))
    if node.get("type") == "hardBreak":
        return "\n"
    return "".join(_adf_text(child) for child in node.get("content") or [])


def issue_to_record(
    issue: Mapping,
    *,
    severity_field: str | None = None,
    note_field: str | None = None,
    status_map: Mapping[str, StatusCategory] | None = None,
) -> BugRecord:
    """One issue as search, GET issue or a webhook sends it, as Rollout keeps it."""
    key = issue.get("key") if isinstance(issue, Mapping) else None
    if not isinstance(key, str) or "-" not in key:
        raise MappingError("the issue has no key")
    fields = issue.get("fields")
    if not isinstance(fields, Mapping):
        raise MappingError(f"{key}: the issue has no fields")
    status, category = map_status_category(fields.get("status"), status_map)
    project = (fields.get("project") or {}).get("key") or key.rsplit("-", 1)[0]
    resolution = fields.get("resolution")
    return BugRecord(
        key=key.upper(),
        project=str(project).upper(),
        summary=str(fields.get("summary") or ""),
        status=status,
        status_category=category,
        priority=map_priority((fields.get("priority") or {}).get("name")),
        severity=map_severity(fields.get(severity_field)) if severity_field else None,
        resolution=resolution.get("name") if isinstance(resolution, Mapping) else None,
        fix_versions=tuple(
            str(v["name"]) for v in fields.get("fixVersions") or [] if isinstance(v, Mapping)
        ),
        public_note=plain_text(fields.get(note_field)) if note_field else None,
        updated_at=parse_jira_time(fields.get("updated")),
    )
