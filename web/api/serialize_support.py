"""Tickets, fix statuses and triage as JSON (kept beside serialize.py, which other
capabilities grow at the same time)."""

from __future__ import annotations

from rollout.support.fix_status.answers import BugAnswer, CustomerAnswer
from rollout.support.fix_status.rule import Plan
from rollout.support.models import Ticket
from rollout.support.triage import TriageItem
from web.api.serialize import utc


def ticket_json(ticket: Ticket, *, staff: bool = True) -> dict:
    """A ticket and its linked bugs; who linked them is for staff."""
    body = {
        "external_id": ticket.external_id,
        "url": ticket.url,
        "customer": ticket.customer.slug,
        "requester_name": ticket.requester_name,
        "requester_email": ticket.requester_email,
        "subject": ticket.subject,
        "sla_level": ticket.sla_level,
        "created_at": utc(ticket.created_at),
        "updated_at": utc(ticket.updated_at),
        "bugs": [],
    }
    for link in ticket.links:
        entry = {
            "key": link.bug.key,
            "linked_at": utc(link.linked_at),
            "fix_live_at": utc(link.fix_live_at),
        }
        if staff:
            entry["linked_by"] = link.linked_by
        body["bugs"].append(entry)
    return body


def plan_json(plan: Plan | None) -> dict | None:
    if plan is None:
        return None
    window = plan.window
    return {
        "release": plan.vehicle.name if plan.vehicle.kind == "release" else None,
        "hotfix": int(plan.vehicle.name) if plan.vehicle.kind == "hotfix" else None,
        "starts_at": utc(window.starts_at) if window else None,
        "ends_at": utc(window.ends_at) if window else None,
        "window_kind": window.kind if window else None,
        "late": plan.late,
    }


def bug_answer_json(item: BugAnswer) -> dict:
    status = item.status
    vehicle = status.vehicle
    return {
        "bug": status.bug,
        "state": status.state,
        "release": vehicle.name if vehicle and vehicle.kind == "release" else None,
        "hotfix": int(vehicle.name) if vehicle and vehicle.kind == "hotfix" else None,
        "since": utc(status.since),
        "next": plan_json(status.next),
        "note": item.public_note,
        "reply": item.reply,
    }


def answer_json(answer: CustomerAnswer) -> dict:
    return {
        "ticket": answer.ticket.external_id if answer.ticket else None,
        "customer": answer.customer.slug,
        "lang": answer.lang,
        "timezone": answer.zone,
        "items": [bug_answer_json(i) for i in answer.items],
        "reply": answer.reply,
    }


def triage_json(item: TriageItem, *, jira_url: str | None = None) -> dict:
    bug = item.bug
    tiers: dict[str, int] = {}
    for held in item.held_up:
        tiers[held.tier] = tiers.get(held.tier, 0) + 1
    return {
        "bug": bug.key,
        "url": f"{jira_url}/browse/{bug.key}" if jira_url else None,
        "summary": bug.summary,
        "status": bug.status,
        "priority": bug.priority,
        "severity": bug.severity,
        "score": item.score,
        "recommendation": item.recommendation,
        "tickets": item.tickets,
        "customers": item.customers,
        "tiers": tiers,
        "worst_sla": item.worst_sla,
        "carried_by": item.carried_by,
        "assumed": item.assumed,
    }
