"""Query strings of the JSON API as pydantic models; the document's parameters come from these.

A query that does not parse is malformed: each rule raises BadRequest (400) naming its
parameter, which pydantic lets through untouched (it is not a ValueError). Rules between
parameters, and defaults that depend on the time of the request, stay in the views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)

from rollout.audit import KINDS
from rollout.errors import Invalid
from rollout.notifications import NotificationStatus
from rollout.releases.releases import JIRA_KEY
from rollout.scheduling import parse_zone
from rollout.validation import MAX_ID, YEAR_PATTERN, check_year, is_whole_number
from rollout.windows import WindowStatus
from web.errors import BadRequest

T = TypeVar("T")


def _instant(raw: str | None, info: ValidationInfo) -> datetime | None:
    """An aware datetime; a bare date means 00:00 UTC; empty means the view's default."""
    name = info.field_name.rstrip("_")  # from_ is ?from=
    if not raw:
        return None
    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), time.min, tzinfo=UTC)
        else:
            value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise BadRequest(f"{raw!r} is not an ISO 8601 date or datetime", field=name) from None
    if value.tzinfo is None:
        raise BadRequest("give a UTC offset (e.g. 2026-03-14T09:00:00Z)", field=name)
    try:
        return check_year(value, field=name)
    except Invalid as exc:  # a query that cannot be answered is malformed: 400, not 422
        raise BadRequest(exc.message, field=name) from None


def _zone(raw: str | None, info: ValidationInfo) -> str | None:
    if raw:
        parse_zone(raw, field=info.field_name)  # an unknown zone is Invalid (422), as in bodies
    return raw or None


def _statuses(raw: str | None) -> set[WindowStatus] | None:
    if not raw:
        return None
    try:
        return {WindowStatus(s.strip()) for s in raw.split(",")}
    except ValueError:
        message = f"status must be among {', '.join(WindowStatus)}"
        raise BadRequest(message, field="status") from None


def _limit(most: int):
    def check(raw: str, info: ValidationInfo) -> int:
        if not is_whole_number(raw) or not 1 <= int(raw) <= most:
            message = f"{info.field_name} is a whole number from 1 to {most}"
            raise BadRequest(message, field=info.field_name)
        return int(raw)

    return check


def _notification_status(raw: str | None) -> str | None:
    if raw and raw not in set(NotificationStatus):
        message = f"status must be one of {', '.join(NotificationStatus)}"
        raise BadRequest(message, field="status")
    return raw or None


def _jira_key(raw: str) -> str:
    if not JIRA_KEY.fullmatch(raw):
        raise Invalid("give the Jira key of the fix, e.g. ?fix=OPS-123", field="fix")
    return raw


def _limit_of(most: int):
    """How many to list: 1 to `most`, in ASCII digits."""
    return Annotated[
        int,
        BeforeValidator(_limit(most)),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": most}),
    ]


# Text: a NUL names nothing and is refused before a query runs (web/converters.py).
_TEXT = {"type": "string", "pattern": r"^[^\x00]*$"}
# Text the API refuses when empty or only spaces.
_NOT_BLANK = {"type": "string", "pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"}
_WINDOW_STATUS = rf"\s*(?:{'|'.join(WindowStatus)})\s*"

# Empty is the same as absent.
Name = Annotated[str | None, BeforeValidator(lambda raw: raw or None), WithJsonSchema(_TEXT)]
Instant = Annotated[
    datetime | None,
    BeforeValidator(_instant),
    # With an offset, a date (00:00 UTC), or empty for the default.
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time", "pattern": YEAR_PATTERN},
                {"type": "string", "format": "date", "pattern": YEAR_PATTERN},
                {"type": "string", "maxLength": 0},
            ]
        }
    ),
]
Zone = Annotated[str | None, BeforeValidator(_zone), WithJsonSchema(_TEXT)]


# --- Lists read a page at a time --------------------------------------------------------------
# One rule for every list: a page is at most `limit` rows in the list's order, and its
# next_cursor (absent on the last page) is the sort key of its last row, whole numbers joined
# by dots; the next page starts after it. A list ordered by row id has a one-number key.
# A forged cursor is a 400, never a 500: each number has at most the digits its column holds
# (row ids are 32-bit integers; a window's start in microseconds is 64-bit).
ROW_ID_DIGITS, MICROSECOND_DIGITS = 9, 18


def _cursor_of(*digits: int):
    """A cursor of one number per entry of `digits` (each at most that long), read into a
    tuple; empty means the first page."""

    def read(raw: str | None) -> tuple[int, ...] | None:
        if not raw:
            return None
        numbers = raw.split(".")
        if len(numbers) != len(digits) or not all(
            is_whole_number(n) and len(n) <= most for n, most in zip(numbers, digits, strict=False)
        ):
            raise BadRequest("cursor is the next_cursor of an earlier page", field="cursor")
        return tuple(int(n) for n in numbers)

    numbers = r"\.".join(f"[0-9]{{1,{most}}}" for most in digits)
    return Annotated[
        tuple[int, ...] | None,
        BeforeValidator(read),
        WithJsonSchema({"type": "string", "pattern": rf"^(?:{numbers})?$"}),
    ]


RowCursor = _cursor_of(ROW_ID_DIGITS)
CURSOR = Field(None, description="next_cursor from the previous page")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, and the cursor of the page after it (None: this is the last)."""

    items: list[T]
    next_cursor: str | None = None


def page_of(found: list[T], limit: int, key: Callable[[T], tuple[int, ...]]) -> Page[T]:
    """The page shown from `found`, read with `limit + 1`: one more tells there is a next."""
    shown = found[:limit]
    more = len(found) > limit
    return Page(shown, ".".join(str(n) for n in key(shown[-1])) if more else None)


class Query(BaseModel):
    """Parameters not named here are ignored, as a browser's or a proxy's may be."""

    model_config = ConfigDict(extra="ignore", frozen=True)


WINDOWS_PAGE, WINDOWS_MAX = 500, 1000
WindowLimit = _limit_of(WINDOWS_MAX)
# A window's place in the list: its start (microseconds since 1970), its id (0 while only
# projected) and its policy (0 for none); projected windows differ by policy.
WindowCursor = _cursor_of(MICROSECOND_DIGITS, ROW_ID_DIGITS, ROW_ID_DIGITS)


class WindowQuery(Query):
    from_: Instant = Field(
        None,
        alias="from",
        description="ISO 8601 instant with offset, or a date (00:00 UTC); default now",
    )
    to: Instant = Field(
        None, description="end (exclusive); default a year after from; at most 50 years"
    )
    status: Annotated[
        set[WindowStatus] | None,
        BeforeValidator(_statuses),
        WithJsonSchema(
            {"type": "string", "pattern": f"^(?:{_WINDOW_STATUS}(?:,{_WINDOW_STATUS})*)?$"}
        ),
    ] = Field(None, description="comma-separated statuses")
    region: Name = Field(None, description="region slug")
    customer: Name = Field(None, description="customer slug (staff or its token)")
    tz: Zone = Field(None, description="IANA zone: adds reader_start/reader_end in that zone")
    cursor: WindowCursor = CURSOR
    limit: WindowLimit = Field(
        WINDOWS_PAGE, description=f"at most this many (1-{WINDOWS_MAX}, default {WINDOWS_PAGE})"
    )


class ZoneQuery(Query):
    tz: Zone = Field(None, description="reader's IANA zone")


CUSTOMERS_PAGE, CUSTOMERS_MAX = 500, 1000
CustomerLimit = _limit_of(CUSTOMERS_MAX)


class CustomerQuery(Query):
    region: Name = Field(None, description="region slug")
    cursor: RowCursor = CURSOR
    limit: CustomerLimit = Field(
        CUSTOMERS_PAGE,
        description=f"at most this many (1-{CUSTOMERS_MAX}, default {CUSTOMERS_PAGE})",
    )


TICKETS_PAGE, TICKETS_MAX = 100, 500
TicketLimit = _limit_of(TICKETS_MAX)


class TicketQuery(Query):
    customer: Name = Field(None, description="customer slug")
    cursor: RowCursor = CURSOR
    limit: TicketLimit = Field(
        TICKETS_PAGE, description=f"at most this many (1-{TICKETS_MAX}, default {TICKETS_PAGE})"
    )


class RegionQuery(Query):
    region: Name = Field(None, description="region slug")


class FreezeQuery(Query):
    region: Name = Field(None, description="region slug")
    customer: Name = Field(None, description="customer slug")
    from_: Instant = Field(None, alias="from", description="ISO 8601 instant")
    to: Instant = Field(None, description="ISO 8601 instant")


class DeployCheckQuery(Query):
    region: Name = Field(None, description="region slug")
    customer: Name = Field(None, description="customer slug")
    at: Instant = Field(None, description="ISO 8601 instant; default now")


class FixQuery(Query):
    fix: Annotated[
        str,
        BeforeValidator(_jira_key),
        WithJsonSchema({"type": "string", "pattern": JIRA_KEY.pattern}),
    ] = Field(description="Jira key, e.g. OPS-123")

    @model_validator(mode="before")
    @classmethod
    def _missing_is_empty(cls, args: dict) -> dict:
        return {"fix": "", **args}  # and so refused with the same words


class BugQuery(Query):
    status: Annotated[str | None, WithJsonSchema(_NOT_BLANK)] = Field(
        None, description="open (not done), done, new, indeterminate, or a Jira status name"
    )
    release: Annotated[str | None, WithJsonSchema(_TEXT)] = Field(
        None, description="release version: its items and fix versions"
    )
    customer: Annotated[str | None, WithJsonSchema(_TEXT)] = Field(
        None, description="customer slug: bugs linked to its tickets"
    )


class FixStatusQuery(Query):
    ticket: Name = Field(None, description="help-desk ticket id (or give bug)")
    bug: Name = Field(None, description="Jira key, with customer")
    customer: Name = Field(None, description="customer slug; a customer token defaults to its own")
    lang: Annotated[
        str | None, BeforeValidator(lambda raw: raw or None), WithJsonSchema({"enum": ["en", "fr"]})
    ] = Field(None, description="en or fr; default the customer's")


TRIAGE_MAX = 1000
TriageLimit = _limit_of(TRIAGE_MAX)


class TriageQuery(Query):
    limit: TriageLimit = Field(100, description=f"1-{TRIAGE_MAX}, default 100")


NOTIFICATIONS_MAX = 500
NotificationLimit = _limit_of(NOTIFICATIONS_MAX)


class NotificationQuery(Query):
    status: Annotated[
        str | None,
        BeforeValidator(_notification_status),
        WithJsonSchema({"enum": list(NotificationStatus)}),
    ] = Field(None, description="only this status; failed also lists dead (both wait for a person)")
    customer: Name = Field(None, description="customer slug")
    cursor: RowCursor = CURSOR
    limit: NotificationLimit = Field(
        100, description=f"at most this many (1-{NOTIFICATIONS_MAX}, default 100)"
    )


def _yes_or_no(raw: str | None, info: ValidationInfo) -> bool:
    if raw in (None, "", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest(f"{info.field_name} is true or false", field=info.field_name)


class TokenQuery(Query):
    all: Annotated[
        bool, BeforeValidator(_yes_or_no), WithJsonSchema({"enum": ["true", "false", "1", "0"]})
    ] = Field(
        False,
        description="true: revoked and expired tokens too",
        json_schema_extra={"default": "false"},
    )


AUDIT_MAX = 500
AuditLimit = _limit_of(AUDIT_MAX)
ACTOR_LENGTH = 200
_KIND = "|".join(KINDS)


def _row_id(raw: str) -> int | None:
    return int(raw) if is_whole_number(raw) and 1 <= int(raw) <= MAX_ID else None


def _audited(raw: str | None) -> tuple[str, int | None] | None:
    """`release` (every release) or `release:12` (that one)."""
    if not raw:
        return None
    kind, colon, row = raw.partition(":")
    row_id = _row_id(row) if colon else None
    if kind not in KINDS or (colon and row_id is None):
        message = (
            f"entity is a kind of record ({', '.join(KINDS)}), or a kind and a row id "
            "such as release:12"
        )
        raise BadRequest(message, field="entity")
    return kind, row_id


def _actor(raw: str | None) -> str | None:
    if raw and len(raw) > ACTOR_LENGTH:
        raise BadRequest(f"actor is at most {ACTOR_LENGTH} characters", field="actor")
    return raw or None


class AuditQuery(Query):
    entity: Annotated[
        tuple[str, int | None] | None,
        BeforeValidator(_audited),
        WithJsonSchema({"type": "string", "pattern": rf"^(?:(?:{_KIND})(?::[0-9]+)?)?$"}),
    ] = Field(None, description="a kind of record (release) or one record (release:12)")
    actor: Annotated[
        str | None,
        BeforeValidator(_actor),
        WithJsonSchema({**_TEXT, "maxLength": ACTOR_LENGTH}),
    ] = Field(
        None,
        description="user:3, token:5, contact:7, hook:jira, cli, worker:NAME; a prefix "
        "such as worker or user finds them all",
    )
    from_: Instant = Field(None, alias="from", description="written at or after this instant")
    to: Instant = Field(None, description="written before this instant")
    cursor: RowCursor = CURSOR
    limit: AuditLimit = Field(100, description=f"at most this many (1-{AUDIT_MAX}, default 100)")
