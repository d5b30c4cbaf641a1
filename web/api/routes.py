"""Every route of the JSON API in one table: its view, who may call it, the body and query it
reads and the answer it sends. Flask's routes and the OpenAPI document are both made from
this table, so neither can name a route, a body or an answer the other does not."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import jsonify, request
from pydantic import BaseModel

from rollout.access import Role
from web.api import (
    audit,
    bugs,
    customers,
    deploy_check,
    freezes,
    notifications,
    policies,
    queries,
    releases,
    schemas,
    tickets,
    tokens,
    windows,
)
from web.api import responses as r
from web.api.inputs import body, query
from web.auth import ANY_ROLE, PLANNING, STAFF_ONLY, require

PREFIX = "/api/v1"


@dataclass(frozen=True)
class Op:
    """One operation. `answer` is the response model (in a list: `{"items": [...]}`), or
    None for an empty 204; a view whose readers see less returns the smaller view of it.
    `roles` None: anyone, a token optional."""

    method: str
    path: str  # a Flask rule under PREFIX
    view: Callable
    summary: str
    tag: str
    answer: type[BaseModel] | list | None
    status: int = 200
    roles: tuple[Role, ...] | None = STAFF_ONLY
    body: type[BaseModel] | None = None
    body_optional: bool = False  # no body at all means the model's defaults
    query: type[BaseModel] | None = None
    path_schemas: dict[str, dict] = field(default_factory=dict)
    errors: tuple[int, ...] = ()  # beyond those every operation of its kind may answer
    paged: bool = False  # a list the view returns a page at a time (queries.Page)

    @property
    def blueprint(self):
        return sys.modules[self.view.__module__].blueprint


# The customers, staff and services (help desk) who manage a customer's contacts and hooks.
MANAGERS = (Role.ADMIN, Role.RELEASE_MANAGER, Role.SUPPORT_AGENT, Role.CUSTOMER)
FEED_OWNERS = (Role.ADMIN, Role.RELEASE_MANAGER, Role.CUSTOMER)
RETRIERS = (Role.ADMIN, Role.RELEASE_MANAGER, Role.SUPPORT_AGENT)
ADMIN = (Role.ADMIN,)
JIRA_KEY_PATH = {"key": {"type": "string", "pattern": schemas.JIRA_KEY.pattern}}

C, P, R, T, N = customers, policies, releases, tickets, notifications
ROUTES = [
    # Regions and customers
    Op("GET", "/regions", C.list_regions, "Hosting regions", "customers", [r.Region], roles=None),
    Op("POST", "/regions", C.create_region, "Create a region", "customers", r.Region, 201,
       PLANNING, schemas.RegionIn),
    Op("PATCH", "/regions/<slug>", C.update_region,
       "Rename a region or change its business hours", "customers", r.Region,
       roles=PLANNING, body=schemas.RegionPatch),
    Op("GET", "/customers", C.list_customers, "Customers by slug, a page at a time",
       "customers", [r.Customer], query=queries.CustomerQuery, paged=True),
    Op("POST", "/customers", C.create_customer,
       "Create a customer with preview and production environments", "customers", r.Customer,
       201, PLANNING, schemas.CustomerIn),
    Op("GET", "/customers/<slug>", C.get_customer, "One customer", "customers", r.Customer,
       roles=ANY_ROLE),
    Op("PATCH", "/customers/<slug>", C.update_customer, "Edit a customer", "customers",
       r.Customer, roles=PLANNING, body=schemas.CustomerPatch),
    Op("POST", "/customers/<slug>/feed-token", C.rotate_feed_token,
       "Create or rotate the customer's private calendar feed; old URLs die at once",
       "customers", r.FeedToken, 201, FEED_OWNERS),
    # Maintenance policies
    Op("GET", "/policies", P.list_policies, "Maintenance policies", "policies", [r.Policy],
       query=queries.RegionQuery),
    Op("POST", "/policies", P.create_policy, "Create a policy and plan its windows", "policies",
       r.Policy, 201, PLANNING, schemas.PolicyIn),
    Op("GET", "/policies/<policy_id>", P.get_policy, "One policy", "policies", r.Policy),
    Op("PATCH", "/policies/<policy_id>", P.update_policy,
       "Edit a policy; future planned windows are re-planned", "policies", r.Policy,
       roles=PLANNING, body=schemas.PolicyPatch),
    # Maintenance windows
    Op("GET", "/windows", windows.list_windows,
       "Windows in a period by start, projected past the horizon, a page at a time", "windows",
       [r.Window], roles=None, query=queries.WindowQuery, errors=(403,), paged=True),
    Op("POST", "/windows", windows.create_window, "Create an ad hoc or emergency window",
       "windows", r.Window, 201, PLANNING, schemas.WindowIn),
    Op("GET", "/windows/<window_id>", windows.get_window, "One window", "windows", r.Window,
       roles=None, query=queries.ZoneQuery),
    Op("PATCH", "/windows/<window_id>", windows.change_window,
       "Move, extend, cancel, skip, announce, start or complete", "windows", r.Window,
       roles=PLANNING, body=schemas.WindowPatch),
    Op("GET", "/windows/<window_id>/history", windows.window_history,
       "Every revision of a window", "windows", [r.Revision], roles=None),
    # Freezes, and the check pipelines call before they deploy
    Op("GET", "/freezes", freezes.list_freezes, "Freezes", "freezes", [r.Freeze],
       query=queries.FreezeQuery),
    Op("POST", "/freezes", freezes.create_freeze, "Create a freeze or a customer event plan",
       "freezes", r.Freeze, 201, PLANNING, schemas.FreezeIn),
    Op("DELETE", "/freezes/<freeze_id>", freezes.delete_freeze, "Lift a freeze", "freezes",
       None, 204, PLANNING),
    Op("GET", "/deploy-check", deploy_check.deploy_check,
       "May a pipeline deploy now (or at `at`)?", "deploy check", r.DeployCheck,
       roles=ANY_ROLE, query=queries.DeployCheckQuery),
    # Releases and their waves
    Op("GET", "/releases", R.list_releases,
       "Releases, newest first; public notes only unless staff", "releases", [r.Release],
       roles=None),
    Op("POST", "/releases", R.create_release, "Create a draft release", "releases", r.Release,
       201, PLANNING, schemas.ReleaseIn),
    Op("GET", "/releases/<version>", R.get_release,
       "One release; security items stay out of public notes until it is completed",
       "releases", r.Release, roles=None),
    Op("PATCH", "/releases/<version>", R.update_release,
       "Rename, change the soak time or cancel; a stale revision gets 409", "releases",
       r.Release, roles=PLANNING, body=schemas.ReleasePatch),
    Op("POST", "/releases/<version>/items", R.add_item,
       "Add a feature, fix, security fix or improvement", "releases", r.ReleaseItem, 201,
       PLANNING, schemas.ItemIn),
    Op("POST", "/releases/<version>/plan", R.plan_release,
       "Propose waves: preview first, production a soak time later, region by region, "
       "around freezes and event plans; replaces the current waves", "releases", [r.Wave],
       roles=PLANNING),
    Op("GET", "/releases/<version>/waves", R.list_waves, "The release's waves and deployments",
       "releases", [r.Wave]),
    Op("PATCH", "/waves/<wave_id>", R.move_wave,
       "Move a wave to another window; refused if it breaks a freeze, order or soak",
       "releases", r.Wave, roles=PLANNING, body=schemas.WavePatch),
    # Deployments, hotfixes and what each environment runs
    Op("POST", "/deployments", R.report_deployments,
       "Report an outcome for one environment (environment + release or hotfix) or for a "
       "whole wave (wave alone); an outcome the current one cannot lead to, or a success "
       "before the window without early, gets 409", "deployments", [r.Deployment],
       roles=PLANNING,
       body=schemas.DeploymentReport),
    Op("PATCH", "/deployments/<deployment_id>", R.update_deployment,
       "A later outcome for one deployment; rolled_back records a rollback; an outcome the "
       "current one cannot lead to, or a success before the window without early, gets 409",
       "deployments", r.Deployment, roles=PLANNING, body=schemas.DeploymentPatch),
    Op("GET", "/deployments/<deployment_id>/history", R.deployment_history,
       "Every outcome reported for one deployment, oldest first", "deployments",
       [r.DeploymentOutcome]),
    Op("GET", "/hotfixes", R.list_hotfixes,
       "Hotfixes; a customer token sees those for everyone and its own patches", "hotfixes",
       [r.Hotfix], roles=ANY_ROLE),
    Op("POST", "/hotfixes", R.request_hotfix,
       "Request a hotfix; a zero_day needs a justification and a second approval", "hotfixes",
       r.Hotfix, 201, PLANNING, schemas.HotfixIn),
    Op("POST", "/hotfixes/<hotfix_id>/approve", R.approve_hotfix,
       "Approve a zero-day (not by its requester); its emergency windows are created at "
       "the starts chosen, else outside each region's business hours", "hotfixes", r.Hotfix,
       roles=PLANNING, body=schemas.ApprovalIn, body_optional=True),
    Op("POST", "/hotfixes/<hotfix_id>/approval-preview", R.preview_approval,
       "Where approving with these starts would put each emergency window; writes nothing",
       "hotfixes", [r.EmergencySlot], roles=PLANNING, body=schemas.ApprovalIn,
       body_optional=True),
    Op("GET", "/customers/<slug>/environments", R.customer_environments,
       "Each environment's current release, hotfixes on top, what comes next, history",
       "environments", [r.EnvironmentState], roles=ANY_ROLE),
    Op("GET", "/environments", R.environments_with_fix,
       "Environments whose live deployments carry a fix", "environments", [r.Environment],
       query=queries.FixQuery),
    # Bugs mirrored from Jira
    Op("GET", "/bugs", bugs.list_bugs,
       "Bugs synced from Jira (staff; customer tokens get 403), deleted ones left out", "bugs",
       [r.Bug], query=queries.BugQuery),
    Op("GET", "/bugs/<key>", bugs.get_bug,
       "One bug with its linked tickets, the releases and hotfixes carrying it, and the "
       "environments where its fix is live", "bugs", r.BugDetail),
    # Help-desk tickets, fix status and triage
    Op("GET", "/tickets", T.list_tickets,
       "Help-desk tickets newest first with their linked bugs, a page at a time", "tickets",
       [r.Ticket], query=queries.TicketQuery, paged=True),
    Op("POST", "/tickets", T.create_ticket, "Create a help-desk ticket (support agents and up)",
       "tickets", r.Ticket, 201, body=schemas.TicketIn),
    Op("GET", "/tickets/<external_id>", T.get_ticket,
       "One ticket with its linked bugs; a customer token its own tickets only", "tickets",
       r.Ticket, roles=ANY_ROLE),
    Op("PATCH", "/tickets/<external_id>", T.update_ticket,
       "Change a ticket; a new URL moves its Jira remote links along", "tickets", r.Ticket,
       body=schemas.TicketPatch),
    Op("POST", "/tickets/<external_id>/links", T.link_bug,
       "Link a Jira bug (idempotent); an unsynced bug is read from Jira; Jira gets a remote "
       "link to the ticket. 502 when Jira fails.", "tickets", r.Ticket, 201,
       body=schemas.LinkIn, errors=(502,)),
    Op("DELETE", "/tickets/<external_id>/links/<key>", T.unlink_bug,
       "Unlink a bug (no error if it was not linked)", "tickets", r.Ticket,
       path_schemas=JIRA_KEY_PATH),
    Op("GET", "/fix-status", T.get_fix_status,
       "Where each linked bug's fix stands for the customer, with a reply to paste",
       "fix status", r.FixStatus, roles=ANY_ROLE, query=queries.FixStatusQuery),
    Op("GET", "/triage", T.get_triage,
       "Bugs owed to customers by score, each with the recommended way to ship its fix",
       "triage", [r.TriageItem], query=queries.TriageQuery),
    # A customer's contacts and webhooks, and the outbox
    Op("GET", "/customers/<slug>/contacts", N.list_contacts,
       "The customer's contacts (staff or its own token)", "contacts", [r.Contact],
       roles=MANAGERS),
    Op("POST", "/customers/<slug>/contacts", N.create_contact,
       "Add a contact: language and zone default to the customer's, topics to all",
       "contacts", r.Contact, 201, MANAGERS, schemas.ContactIn),
    Op("PATCH", "/customers/<slug>/contacts/<contact_id>", N.update_contact,
       "Change a contact or what it subscribes to", "contacts", r.Contact, roles=MANAGERS,
       body=schemas.ContactPatch),
    Op("DELETE", "/customers/<slug>/contacts/<contact_id>", N.delete_contact,
       "Remove a contact; what was still to be sent to it is cancelled", "contacts", None,
       204, MANAGERS),
    Op("GET", "/customers/<slug>/webhooks", N.list_webhooks,
       "The customer's webhook endpoints", "webhooks", [r.Webhook], roles=MANAGERS),
    Op("POST", "/customers/<slug>/webhooks", N.create_webhook,
       "Add an https endpoint; the signing secret is shown in this answer only", "webhooks",
       r.Webhook, 201, MANAGERS, schemas.WebhookIn),
    Op("PATCH", "/customers/<slug>/webhooks/<endpoint_id>", N.update_webhook,
       "Change an endpoint's URL, topics or description, or turn it off and on (on again "
       "after a 410: its failed deliveries can then be sent again)", "webhooks", r.Webhook,
       roles=MANAGERS, body=schemas.WebhookPatch),
    Op("DELETE", "/customers/<slug>/webhooks/<endpoint_id>", N.delete_webhook,
       "Remove an endpoint; its pending deliveries are cancelled", "webhooks", None, 204,
       MANAGERS),
    Op("POST", "/customers/<slug>/webhooks/<endpoint_id>/rotate", N.rotate_webhook,
       "A new secret (shown once); the old one keeps signing for the grace period",
       "webhooks", r.Webhook, roles=MANAGERS, body=schemas.WebhookRotate, body_optional=True),
    Op("GET", "/notifications", N.list_notifications,
       "The outbox newest first with its attempts, and counts by status (staff)",
       "notifications", r.NotificationList, query=queries.NotificationQuery),
    Op("POST", "/notifications/<notification_id>/retry", N.retry_notification,
       "Send a failed, dead or cancelled notification again, with the same message id; 409 "
       "when it is expired, its recipient is gone or no longer takes its topic, or it was "
       "cancelled for good (superseded by a later notice)", "notifications", r.Notification,
       roles=RETRIERS),
    # API tokens
    Op("GET", "/tokens", tokens.list_tokens,
       "Tokens that work (all=true: revoked and expired too); never their secrets", "tokens",
       [r.Token], roles=ADMIN, query=queries.TokenQuery),
    Op("POST", "/tokens", tokens.create_token,
       "Create a token; its secret is in this answer only", "tokens", r.Token, 201, ADMIN,
       schemas.TokenIn),
    Op("DELETE", "/tokens/<token_id>", tokens.revoke_token,
       "Revoke a token: every process refuses it from its next call; again changes nothing",
       "tokens", r.Token, roles=ADMIN),
    # The audit trail
    Op("GET", "/audit", audit.list_audit,
       "Who created, changed or deleted what, newest first, each field before and after "
       "(secrets only as changed); admins only", "audit", r.AuditPage, roles=(Role.ADMIN,),
       query=queries.AuditQuery),
]  # fmt: skip


def _route(op: Op) -> None:
    op.blueprint.add_url_rule(
        op.path, view_func=_serve(op), methods=[op.method], endpoint=op.view.__name__
    )


def _serve(op: Op) -> Callable:
    """The view as Flask calls it: the caller checked, body and query read, answer written."""

    @wraps(op.view)
    def serve(**path):
        given = {}
        if op.body is not None:
            empty = op.body_optional and not request.get_data(cache=True).strip()
            given["data"] = op.body() if empty else body(op.body)
        if op.query is not None:
            given["args"] = query(op.query)
        answer = op.view(**path, **given)
        if op.answer is None:
            return "", op.status
        if op.paged:
            items = [r.dump(a) for a in answer.items]
            return jsonify(items=items, next_cursor=answer.next_cursor), op.status
        if isinstance(op.answer, list):
            return jsonify(items=[r.dump(a) for a in answer]), op.status
        return jsonify(r.dump(answer)), op.status

    return serve if op.roles is None else require(*op.roles)(serve)


for _op in ROUTES:  # once, as @blueprint.route would: every app mounts the same blueprints
    _route(_op)
