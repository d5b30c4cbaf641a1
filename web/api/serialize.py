"""Domain objects to JSON: UTC instants as ISO 8601 with Z, local times with their offset."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rollout.customers import Customer, Region
from rollout.deploy_check import DeployVerdict
from rollout.freezes import Freeze
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
