"""Domain objects to JSON: UTC instants as ISO 8601 with Z, local times with their offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rollout.customers import Customer, Environment, Region
from rollout.deploy_check import DeployVerdict
from rollout.freezes import Freeze
from rollout.jira.models import Bug
from rollout.releases import (
    Deployment,
    EnvironmentState,
    Hotfix,
    Release,
    ReleaseItem,
    Wave,
    public_items,
    region_dates,
)
from rollout.windows import MaintenancePolicy, Window, WindowRevision


def utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def local(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


def region_json(region: Region) -> dict:
    return {"slug": region.slug, "name": region.name, "timezone": region.timezone}


def window_json(window: Window, *, staff: bool = False, reader_zone: str | None = None) -> dict:
    body = {
        "id": window.id,
        "region": window.region.slug,
        "customer": window.customer.slug if window.customer_id and window.customer else None,
        "kind": window.kind,
        "status": window.status,
        "title": window.title,
        "starts_at": utc(window.starts_at),
        "ends_at": utc(window.ends_at),
        "timezone": window.timezone,
        "local_start": local(window.starts_at, window.timezone),
        "local_end": local(window.ends_at, window.timezone),
        "sequence": window.sequence,
        "projected": window.projected,
        "policy_id": window.policy_id,
    }
    if reader_zone:
        body["reader_timezone"] = reader_zone
        body["reader_start"] = local(window.starts_at, reader_zone)
        body["reader_end"] = local(window.ends_at, reader_zone)
    if staff:
        body["justification"] = window.justification
        body["freeze_override_reason"] = window.freeze_override_reason
    return body


def revision_json(revision: WindowRevision, *, staff: bool = False) -> dict:
    body = {
        "sequence": revision.sequence,
        "action": revision.action,
        "status": revision.status,
        "title": revision.title,
        "starts_at": utc(revision.starts_at),
        "ends_at": utc(revision.ends_at),
        "reason": revision.reason if staff else revision.public_reason,
        "at": utc(revision.at),
    }
    if staff:
        body["actor"] = revision.actor
    return body


def policy_json(policy: MaintenancePolicy) -> dict:
    return {
        "id": policy.id,
        "region": policy.region.slug,
        "title": policy.title,
        "cron": policy.cron,
        "timezone": policy.timezone,
        "duration_minutes": policy.duration_minutes,
        "active_from": policy.active_from.isoformat(),
        "active_until": policy.active_until.isoformat() if policy.active_until else None,
        "planned_until": utc(policy.planned_until),
        "version": policy.version,
    }


def freeze_json(freeze: Freeze) -> dict:
    return {
        "id": freeze.id,
        "scope": freeze.scope,
        "kind": freeze.kind,
        "region": freeze.region.slug if freeze.region else None,
        "customer": freeze.customer.slug if freeze.customer else None,
        "title": freeze.title,
        "reason": freeze.reason,
        "starts_at": utc(freeze.starts_at),
        "ends_at": utc(freeze.ends_at),
        "created_by": freeze.created_by,
    }


def customer_json(customer: Customer) -> dict:
    return {
        "slug": customer.slug,
        "name": customer.name,
        "region": customer.region.slug,
        "tier": customer.tier,
        "timezone": customer.timezone,
        "locale": customer.locale,
        "environments": [{"kind": e.kind, "name": e.name} for e in customer.environments],
        "version": customer.version,
    }


def verdict_json(verdict: DeployVerdict, *, staff: bool) -> dict:
    return {
        "allowed": verdict.allowed,
        "at": utc(verdict.at),
        "region": verdict.region.slug,
        "customer": verdict.customer.slug if verdict.customer else None,
        "reasons": verdict.reasons,
        "window": window_json(verdict.window, staff=staff) if verdict.window else None,
        "freezes": [freeze_json(f) for f in verdict.freezes],
        "next_allowed_window": (
            window_json(verdict.next_window, staff=staff) if verdict.next_window else None
        ),
    }


def release_json(release: Release, *, staff: bool = False) -> dict:
    """Staff see every item with its internal summary; others the public notes alone."""
    body = {
        "version": release.version,
        "title": release.title,
        "status": release.status,
        "created_at": utc(release.created_at),
        "completed_at": utc(release.completed_at),
        "regions": {
            region: {kind: utc(at) for kind, at in dates.items()}
            for region, dates in region_dates(release).items()
        },
    }
    if not staff:
        body["items"] = [public_item_json(i) for i in public_items(release)]
        return body
    body |= {
        "id": release.id,
        "soak_days": release.soak_days,
        "revision": release.revision,
        "updated_at": utc(release.updated_at),
        "items": [item_json(i) for i in release.items],
    }
    return body


def public_item_json(item: ReleaseItem) -> dict:
    # Only the sanitized HTML: the Markdown as written may hold script a reader would run.
    return {"kind": item.kind, "public_html": item.public_html}


def item_json(item: ReleaseItem) -> dict:
    return public_item_json(item) | {
        "id": item.id,
        "public_note": item.public_note,
        "jira_key": item.jira_key,
        "summary": item.summary,
        "created_at": utc(item.created_at),
    }


def wave_json(wave: Wave) -> dict:
    return {
        "id": wave.id,
        "release": wave.release.version,
        "position": wave.position,
        "name": wave.name,
        "kind": wave.environment_kind,
        "selector": wave.selector,
        "note": wave.note,
        "window": window_json(wave.window, staff=True),
        "deployments": [deployment_json(d) for d in wave.deployments],
    }


def deployment_json(deployment: Deployment, *, staff: bool = True) -> dict:
    """One environment's deployment; customers are not told who reported it or the notes."""
    window = deployment.window
    body = {
        "id": deployment.id,
        "environment": deployment.environment.name,
        "environment_kind": deployment.environment.kind,
        "customer": deployment.environment.customer.slug,
        "release": deployment.release.version if deployment.release else None,
        "hotfix": deployment.hotfix_id,
        "title": (deployment.release or deployment.hotfix).title,
        "status": deployment.status,
        "scheduled_for": utc(deployment.scheduled_for),
        "started_at": utc(deployment.started_at),
        "finished_at": utc(deployment.finished_at),
        "window": (
            {
                "id": window.id,
                "starts_at": utc(window.starts_at),
                "ends_at": utc(window.ends_at),
                "timezone": window.timezone,
                "local_start": local(window.starts_at, window.timezone),
                "local_end": local(window.ends_at, window.timezone),
            }
            if window
            else None
        ),
    }
    if staff:
        body |= {
            "wave": deployment.wave_id,
            "reported_by": deployment.reported_by,
            "note": deployment.note,
        }
    return body


def hotfix_json(hotfix: Hotfix, *, staff: bool = False) -> dict:
    """Customers never see the internal summary, the justification or who else is patched."""
    body = {
        "id": hotfix.id,
        "title": hotfix.title,
        "urgency": hotfix.urgency,
        "status": hotfix.status,
        "patch": hotfix.is_patch,
        "public_html": hotfix.public_html if staff else hotfix.customer_html,
        "created_at": utc(hotfix.created_at),
    }
    if staff:
        body |= {
            "public_note": hotfix.public_note,
            "jira_key": hotfix.jira_key,
            "summary": hotfix.summary,
            "justification": hotfix.justification,
            "customers": [c.slug for c in hotfix.customers],
            "requested_by": hotfix.requested_by,
            "approved_by": hotfix.approved_by,
            "approved_at": utc(hotfix.approved_at),
            "deployments": [deployment_json(d) for d in hotfix.deployments],
        }
    return body


def environment_state_json(state: EnvironmentState, *, staff: bool = False) -> dict:
    env = state.environment
    current = state.current_release
    return {
        "name": env.name,
        "kind": env.kind,
        "customer": env.customer.slug,
        "current_release": (
            {"version": current.version, "title": current.title} if current else None
        ),
        "hotfixes": [{"id": h.id, "title": h.title} for h in state.hotfixes],
        "upcoming": [deployment_json(d, staff=staff) for d in state.upcoming],
        "history": [deployment_json(d, staff=staff) for d in state.history],
    }


def environment_json(environment: Environment) -> dict:
    return {
        "name": environment.name,
        "kind": environment.kind,
        "customer": environment.customer.slug,
    }


def bug_json(bug: Bug, *, jira_url: str | None = None) -> dict:
    """A bug as Rollout mirrors it from Jira (staff only: the summary is internal)."""
    return {
        "key": bug.key,
        "project": bug.project,
        "summary": bug.summary,
        "status": bug.status,
        "status_category": bug.status_category,
        "priority": bug.priority,
        "severity": bug.severity,
        "resolution": bug.resolution,
        "fix_versions": list(bug.fix_versions or []),
        "public_note": bug.public_note,
        "url": f"{jira_url}/browse/{bug.key}" if jira_url else None,
        "jira_updated_at": utc(bug.jira_updated_at),
        "deleted_at": utc(bug.deleted_at),
        "synced_at": utc(bug.synced_at),
    }


def contact_json(contact) -> dict:
    """A customer's contact (its unsubscribe token stays in its emails)."""
    return {
        "id": contact.id,
        "customer": contact.customer.slug,
        "name": contact.name,
        "email": contact.email,
        "role": contact.role,
        "locale": contact.locale,
        "timezone": contact.timezone,
        "subscriptions": list(contact.subscriptions),
        "version": contact.version,
        "created_at": utc(contact.created_at),
        "updated_at": utc(contact.updated_at),
    }


def webhook_json(endpoint, *, secret: str | None = None) -> dict:
    """A webhook endpoint; its secret only in the answer that made it."""
    body = {
        "id": endpoint.id,
        "customer": endpoint.customer.slug,
        "url": endpoint.url,
        "description": endpoint.description,
        "topics": list(endpoint.topics),
        "enabled": endpoint.disabled_at is None,
        "previous_secret_expires_at": utc(endpoint.previous_secret_expires_at),
        "disabled_at": utc(endpoint.disabled_at),
        "disabled_reason": endpoint.disabled_reason,
        "version": endpoint.version,
        "created_at": utc(endpoint.created_at),
    }
    if secret is not None:
        body["secret"] = secret
    return body


def notification_json(notification) -> dict:
    """An outbox row with its delivery attempts (staff only: it names the recipient)."""
    return {
        "id": notification.id,
        "message_id": notification.message_id,
        "event": notification.event,
        "topic": notification.topic,
        "channel": notification.channel,
        "customer": notification.customer.slug,
        "address": notification.address,
        "status": notification.status,
        "attempts": notification.attempts,
        "due_at": utc(notification.due_at),
        "next_attempt_at": utc(notification.next_attempt_at),
        "expires_at": utc(notification.expires_at),
        "delivered_at": utc(notification.delivered_at),
        "last_error": notification.last_error,
        "created_at": utc(notification.created_at),
        "attempt_log": [
            {
                "number": a.number,
                "at": utc(a.at),
                "outcome": a.outcome,
                "code": a.code,
                "detail": a.detail,
                "worker": a.worker,
            }
            for a in notification.attempt_log
        ],
    }
