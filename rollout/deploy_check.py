""" "Can we deploy now?": the answer a pipeline asks for before touching a region or customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rollout.customers import Customer, Region, get_customer, get_region
from rollout.errors import Invalid
from rollout.freezes import Freeze, blocking, list_freezes
from rollout.scheduling import Span, contains
from rollout.validation import check_aware
from rollout.windows import STAFF, Window, WindowStatus, list_windows

LOOKAHEAD = timedelta(days=2 * 366)
_OPEN = {WindowStatus.PLANNED, WindowStatus.ANNOUNCED, WindowStatus.IN_PROGRESS}


@dataclass
class DeployVerdict:
    """Whether work may happen at `at`, why, and when it next may."""

    at: datetime
    region: Region
    customer: Customer | None
    allowed: bool
    reasons: list[str] = field(default_factory=list)
    window: Window | None = None
    freezes: list[Freeze] = field(default_factory=list)
    next_window: Window | None = None


def check_deploy(
    session: Session, *, at: datetime, region: str | None = None, customer: str | None = None
) -> DeployVerdict:
    """Allowed iff `at` is inside an open window for the target and no freeze binds it."""
    check_aware(at, field="at")
    target = get_customer(session, customer) if customer else None
    if target is not None:
        if region and region != target.region.slug:
            raise Invalid(
                f"customer {customer!r} is in region {target.region.slug!r}", field="region"
            )
        home = target.region
    elif region:
        home = get_region(session, region)
    else:
        raise Invalid("name a region or a customer", field="region")
    customer_id = target.id if target else None

    windows = [
        w
        for w in list_windows(
            session, start=at, end=at + LOOKAHEAD, audience=STAFF, region=home, statuses=_OPEN
        )
        if w.customer_id is None or w.customer_id == customer_id
    ]
    freezes = list_freezes(
        session,
        start=at,
        end=at + LOOKAHEAD,
        region_id=home.id,
        customer_id=customer_id,
        include_customer_plans=False,
    )
    current = next((w for w in windows if contains(w.span, at)), None)
    now_span = Span(at, at + timedelta(microseconds=1))
    binding = blocking(freezes, now_span, region_id=home.id, customer_id=customer_id)

    verdict = DeployVerdict(
        at=at, region=home, customer=target, allowed=False, window=current, freezes=binding
    )
    if current is None:
        verdict.reasons.append("not inside a maintenance window")
    else:
        verdict.reasons.append(
            f"inside window #{current.id} {current.title!r}"
            if current.id
            else f"inside window {current.title!r}"
        )
    for freeze in binding:
        if current is not None and current.freeze_override_reason:
            verdict.reasons.append(f"freeze {freeze.describe()} is overridden by this window")
        else:
            verdict.reasons.append(f"inside freeze {freeze.describe()}")
    verdict.allowed = current is not None and (not binding or bool(current.freeze_override_reason))
    verdict.next_window = next(
        (
            w
            for w in windows
            if w.starts_at > at
            and (
                w.freeze_override_reason
                or not blocking(freezes, w.span, region_id=home.id, customer_id=customer_id)
            )
        ),
        None,
    )
    return verdict
