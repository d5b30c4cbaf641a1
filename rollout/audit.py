"""The audit trail: who created, changed or deleted which row, when, and each field's value
before and after, written in the same transaction as the change (so a change refused or
rolled back leaves no trace here).

One listener records every flush, over the one table of audited models below, another
the ORM bulk INSERTs of the models it marks `bulk_inserts`, and a third the rows written
below the ORM by `bulk.insert_created` (planning's windows, by the hundred): use cases
never call it. Whoever opens a session says who is writing (`attribute`,
or `info=` on the session factory through `author_info`): the web layer from the signed-in
caller, the hooks, the worker and the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import Enum, StrEnum
from functools import cache, partial
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Index, Result, String, event, insert, inspect, or_, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from rollout import bulk
from rollout.access import ApiToken, StaffUser
from rollout.customers import Customer, Environment, Region
from rollout.db import Base, UTCDateTime
from rollout.feeds import FeedToken
from rollout.freezes import Freeze
from rollout.notifications.models import Contact, WebhookEndpoint
from rollout.releases.models import Deployment, Hotfix, Release, ReleaseItem, Wave
from rollout.windows.models import MaintenancePolicy, Window

# session.info keys: who writes through the session, and the rows its flush is recording.
AUTHOR = "rollout.audit.author"
_PENDING = "rollout.audit.pending"
# Written when a session's opener said nothing: a gap to find, never a refused write.
UNKNOWN_ACTOR = "unknown"


class Action(StrEnum):
    CREATED = "created"
    CHANGED = "changed"
    DELETED = "deleted"


class AuditEntry(Base):
    """One row created, changed or deleted. `changes` lists each field as
    `{"field", "before", "after"}`, or `{"field", "secret": true}` for a secret, whose values
    are never kept."""

    __tablename__ = "audit_entry"
    # One row's story (?entity=release:12), newest first.
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # Who: token:ID, user:ID, contact:ID, hook:jira, worker:NAME, cli, anonymous.
    actor: Mapped[str] = mapped_column(String(200), index=True)
    request_id: Mapped[str | None] = mapped_column(String(128))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int]
    # The row's name for people when it was written (a release's version, a customer's slug).
    label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[Action] = mapped_column(String(16))
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


@dataclass(frozen=True)
class Audited:
    """How one model is audited: its kind as readers name it, the attribute that names a row
    for people, columns never kept (secrets: recorded only as changed) or not worth a row
    (noisy: changed on every use), and collections recorded by each member's name."""

    kind: str
    label: str | None = None
    secret: frozenset[str] = frozenset()
    noisy: frozenset[str] = frozenset()
    collections: Mapping[str, str] = field(default_factory=dict)
    # Written by ORM bulk INSERTs that return each row's id and key: each row gets its own
    # entry, the one a flush would have written.
    bulk_inserts: bool = False


# Not audited, on purpose: the outbox and its delivery attempts (bookkeeping the worker
# writes per message; /staff/notifications shows it), sign-in sessions, links and the
# throttle's failure counts (written by every sign-in, and holding sign-in ids), the Jira
# mirror and what Rollout owes Jira (Jira is its record), help-desk tickets (the help desk's),
# window revisions (the windows' own public history) and deployment outcomes (each
# deployment's own history; the deployment's change is audited). Bulk statements write
# deployments by the thousand when a release is planned or a wave or window moves: they
# follow the audited change of the release, wave or window that caused them.
AUDITED: dict[type[Base], Audited] = {
    Region: Audited("region", "slug"),
    Customer: Audited("customer", "slug"),
    Environment: Audited("environment", "name"),
    MaintenancePolicy: Audited("policy", "title", noisy=frozenset({"planned_until"})),
    Window: Audited("window", "title", bulk_inserts=True),
    Freeze: Audited("freeze", "title"),
    Release: Audited("release", "version"),
    ReleaseItem: Audited("release_item", "summary"),
    Wave: Audited("wave", "name"),
    Deployment: Audited("deployment"),
    Hotfix: Audited("hotfix", "title", collections={"customers": "slug"}),
    Contact: Audited("contact", "email", secret=frozenset({"unsubscribe_token"})),
    WebhookEndpoint: Audited("webhook", "url", secret=frozenset({"secret", "previous_secret"})),
    FeedToken: Audited("feed_token", secret=frozenset({"token_hash", "nonce"})),
    ApiToken: Audited(
        "api_token", "name", secret=frozenset({"token_hash"}), noisy=frozenset({"last_used_at"})
    ),
    StaffUser: Audited("staff_user", "email", secret=frozenset({"password_hash"})),
}
KINDS = {spec.kind: model for model, spec in AUDITED.items()}
# Said by the entry itself (its time). Optimistic-lock counters are left out too (`_columns`).
_ALWAYS_NOISY = frozenset({"updated_at"})


@dataclass(frozen=True)
class Author:
    """Who writes through a session: an actor (or how to find it when the session flushes,
    for a web request whose caller is looked up after the session opens), the request's id,
    and the clock the entries' times come from."""

    actor: str | Callable[[], str]
    request_id: str | None = None
    clock: Callable[[], datetime] = field(default=partial(datetime.now, UTC))


def author_info(actor: str | Callable[[], str], **more: Any) -> dict[str, Author]:
    """`info=` for a session (or a session factory's call): writes through it are `actor`'s."""
    return {AUTHOR: Author(actor, **more)}


def attribute(session: Session, actor: str) -> Session:
    """From now on, writes through `session` are `actor`'s (the request id and clock kept)."""
    known = session.info.get(AUTHOR)
    kept = {"request_id": known.request_id, "clock": known.clock} if known else {}
    session.info.update(author_info(actor, **kept))
    return session


def record_writes() -> None:
    """Audit every flush of every session in this process (idempotent); each program calls
    it once at start-up, as it hands over the event handlers."""
    if event.contains(Session, "after_flush", _write_entries):
        return
    event.listen(Session, "before_flush", _start_flush)
    event.listen(Session, "after_flush", _write_entries)
    event.listen(Session, "do_orm_execute", _bulk_inserted)
    bulk.on_created(_bulk_created)
    for model in AUDITED:
        event.listen(model, "after_insert", _created)
        event.listen(model, "after_update", _changed)
        event.listen(model, "after_delete", _deleted)


def _start_flush(session: Session, _context, _instances) -> None:
    # A flush that failed part way left its rows here; they never happened.
    session.info[_PENDING] = []


def _created(_mapper, _connection, row: Base) -> None:
    spec = AUDITED[type(row)]
    state = inspect(row)
    changes = _created_changes(type(row), state.dict)
    for key, name in spec.collections.items():
        if members := [getattr(m, name) for m in state.dict.get(key, ())]:
            changes.append({"field": key, "before": [], "after": members})
    _pend(row, spec, Action.CREATED, changes)


def _created_changes(model: type[Base], values: Mapping[str, Any]) -> list[dict]:
    """Each column given a value, from nothing to it."""
    secret = AUDITED[model].secret
    return [
        {"field": key, "secret": True}
        if key in secret
        else {"field": key, "before": None, "after": _plain(values[key])}
        for key in _columns(model)
        if key in values and (key in secret or values[key] is not None)
    ]


def _bulk_inserted(execution: ORMExecuteState) -> Result | None:
    """The entries of the rows an ORM bulk INSERT of a `bulk_inserts` model wrote: each row's
    values as given (what a flush records), under the id its INSERT returned. The INSERT
    returns `id` and the columns that tell its rows apart (RETURNING's order is not the
    rows' order on every database), by which each id finds its row."""
    mapper = execution.bind_mapper
    if not execution.is_insert or mapper is None:
        return None
    spec = AUDITED.get(mapper.class_)
    if spec is None or not spec.bulk_inserts:
        return None
    given = execution.parameters
    if not isinstance(given, list) or not _given_in_full(mapper.class_, given):
        raise TypeError(f"a bulk INSERT of {spec.kind}s gives every row in full to be audited")
    result = execution.invoke_statement().freeze()
    returned = result().mappings().all()
    key = [name for name in (returned[0].keys() if returned else ()) if name != "id"]
    ids = {tuple(row[name] for name in key): row["id"] for row in returned}
    keys = [tuple(row.get(name) for name in key) for row in given]
    if len(ids) != len(given) or not all(each in ids for each in keys):
        raise TypeError(
            f"a bulk INSERT of {spec.kind}s must return each row's id and columns that tell "
            "its rows apart to be audited"
        )
    found = zip([ids[each] for each in keys], given, strict=True)
    _write(execution.session, _created_entries(mapper.class_, found))
    return result()


def _bulk_created(session: Session, model: type[Base], rows: list[tuple[int, dict]]) -> None:
    """The entries of the rows `bulk.insert_created` wrote (planning's windows, by the
    hundred), each `(id, values given)`: what a flush would have written for them."""
    if model not in AUDITED:
        return
    if not _given_in_full(model, [row for _, row in rows]):
        raise TypeError(f"{AUDITED[model].kind}s written in bulk give every row in full")
    _write(session, _created_entries(model, rows, encode=_changes_encoder(model)), in_bulk=True)


def _created_entries(
    model: type[Base],
    rows: Iterable[tuple[int, Mapping]],
    *,
    encode: Callable[[Mapping], Any] | None = None,
) -> list[dict]:
    """A created entry for each `(id, values given)`, in id order; `encode` writes a row's
    changes (as `_created_changes` lists them, by default)."""
    spec = AUDITED[model]
    return [
        {
            "entity": spec.kind,
            "entity_id": row_id,
            "label": str(row.get(spec.label) or "")[:200] if spec.label else "",
            "action": Action.CREATED,
            "changes": encode(row) if encode else _created_changes(model, row),
        }
        for row_id, row in sorted(rows, key=itemgetter(0))
    ]


def _changes_encoder(model: type[Base]) -> Callable[[Mapping], bulk.EncodedJson]:
    """`_created_changes` of a row as the JSON column writes it (json.dumps, whose list is
    its items' texts joined by ", "), each distinct value encoded once per batch: ten years
    of windows share all but four of their values."""
    secret = AUDITED[model].secret
    columns = _columns(model)
    encoded: dict[tuple, str] = {}

    def encode(values: Mapping) -> bulk.EncodedJson:
        parts = []
        for key in columns:
            if key in secret:
                if key in values:
                    parts.append(f'{{"field": "{key}", "secret": true}}')
                continue
            value = values.get(key)
            if value is None:
                continue
            # The type too: True and 1 are equal keys, but "true" and "1" differ.
            after = encoded.get((type(value), value))
            if after is None:
                after = encoded[type(value), value] = json.dumps(_plain(value))
            parts.append(f'{{"field": "{key}", "before": null, "after": {after}}}')
        return bulk.EncodedJson(f"[{', '.join(parts)}]")

    return encode


def _given_in_full(model: type[Base], rows: list) -> bool:
    """Whether `rows` give a value for every audited column the database could fill itself
    (a default): the entries record the values given."""
    filled = _filled_by_default(model)
    return all(isinstance(row, dict) and filled <= row.keys() for row in rows)


@cache
def _filled_by_default(model: type[Base]) -> frozenset[str]:
    table_columns = inspect(model).columns
    return frozenset(
        key
        for key in _columns(model)
        if table_columns[key].default is not None or table_columns[key].server_default is not None
    )


def _changed(_mapper, _connection, row: Base) -> None:
    spec = AUDITED[type(row)]
    attrs = inspect(row).attrs
    changes = []
    for key in _columns(type(row)):
        history = attrs[key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if key in spec.secret:
            changes.append({"field": key, "secret": True})
        elif _plain(before) != _plain(after):
            changes.append({"field": key, "before": _plain(before), "after": _plain(after)})
    for key, name in spec.collections.items():
        history = attrs[key].history
        if history.added or history.deleted:
            kept = [getattr(m, name) for m in history.unchanged]
            before = kept + [getattr(m, name) for m in history.deleted]
            after = kept + [getattr(m, name) for m in history.added]
            changes.append({"field": key, "before": sorted(before), "after": sorted(after)})
    if changes:
        _pend(row, spec, Action.CHANGED, changes)


def _deleted(_mapper, _connection, row: Base) -> None:
    spec = AUDITED[type(row)]
    state = inspect(row)
    changes = [
        {"field": key, "secret": True}
        if key in spec.secret
        else {"field": key, "before": _plain(state.dict[key]), "after": None}
        for key in _columns(type(row))
        if key in state.dict and state.dict[key] is not None
    ]
    _pend(row, spec, Action.DELETED, changes)


@cache
def _columns(model: type[Base]) -> tuple[str, ...]:
    """The model's columns worth recording: not its id, optimistic-lock counter or noise."""
    spec, mapper = AUDITED[model], inspect(model)
    counter = mapper.version_id_col
    return tuple(
        column.key
        for column in mapper.column_attrs
        if column.key not in spec.noisy | _ALWAYS_NOISY | {"id"}
        and (counter is None or column.columns[0] is not counter)
    )


def _pend(row: Base, spec: Audited, action: Action, changes: list[dict]) -> None:
    # Read from what is loaded: loading now could query a row the flush just deleted.
    loaded = inspect(row).dict
    session = Session.object_session(row)
    session.info.setdefault(_PENDING, []).append(
        {
            "entity": spec.kind,
            "entity_id": loaded["id"],
            "label": str(loaded.get(spec.label) or "")[:200] if spec.label else "",
            "action": action,
            "changes": changes,
        }
    )


def _write_entries(session: Session, _context) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        _write(session, pending)


def _write(session: Session, entries: list[dict], *, in_bulk: bool = False) -> None:
    if not entries:
        return
    author = session.info.get(AUTHOR) or Author(UNKNOWN_ACTOR)
    actor = author.actor() if callable(author.actor) else author.actor
    at = author.clock()
    stamp = {"at": at, "actor": actor[:200], "request_id": author.request_id}
    # The flush's own connection: the entries commit or roll back with the change.
    connection = session.connection()
    if in_bulk:  # hundreds of rows: below SQLAlchemy's per-row binding
        columns = [*stamp, *entries[0]]
        rows = [(*stamp.values(), *entry.values()) for entry in entries]
        bulk.insert_rows(connection, AuditEntry.__table__, columns, rows)
    else:
        connection.execute(insert(AuditEntry), [stamp | row for row in entries])


_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    """`value` as JSON keeps it: instants in UTC with Z, enums by value."""
    if type(value) in _AS_IS:  # most values, and never an enum (a subclass)
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:  # a wall time, e.g. a policy's occurrence
            return value.isoformat()
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def list_entries(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries newest first, at most `limit`, older than entry `before` (the cursor).
    `actor` matches itself and the actors it prefixes: `worker` finds every worker."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    if actor is not None:
        escaped = actor.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(AuditEntry.actor == actor, AuditEntry.actor.like(f"{escaped}:%", escape="\\"))
        )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return list(session.scalars(query))


def actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """Who each `user:ID`, `token:ID` and `contact:ID` among `actors` is, for people: a user's
    name and email, a token's name, a contact's name and customer; one query per kind."""
    ids: dict[str, set[int]] = {"user": set(), "token": set(), "contact": set()}
    for actor in actors:
        kind, _, row = actor.partition(":")
        if kind in ids and row.isascii() and row.isdigit():
            ids[kind].add(int(row))
    names = {}
    if ids["user"]:
        for user in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids["user"]))):
            names[f"user:{user.id}"] = f"{user.name} ({user.email})"
    if ids["token"]:
        for token in session.scalars(select(ApiToken).where(ApiToken.id.in_(ids["token"]))):
            names[f"token:{token.id}"] = f"token “{token.name}”"
    if ids["contact"]:
        for contact in session.scalars(select(Contact).where(Contact.id.in_(ids["contact"]))):
            names[f"contact:{contact.id}"] = f"{contact.name} ({contact.customer.name})"
    return names
