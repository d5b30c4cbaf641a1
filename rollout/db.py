"""Engine, declarative base and the UTC-only datetime type shared by every model."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from time import monotonic
from typing import TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import IntegrityError, InvalidatePoolError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from rollout.errors import Conflict

T = TypeVar("T")

# An execution option on a session's connection: its transaction only reads (see `read_only`).
READ_ONLY = "rollout_read_only"
# How long a SQLite writer waits for the one before it to commit before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A pooled connection back in the pool for less than this is reused without a ping: for a
# ping to save the request, the server would have had to go away and come back within it;
# otherwise the request meets the outage either way (a 503 with Retry-After, web/health.py),
# and the disconnect it meets discards every pooled connection, as a failed ping would.
PING_IF_IDLE_SECONDS = 1.0
_RETURNED_AT = "rollout_returned_at"
# PostgreSQL's SQLSTATE and SQLite's extended result codes for a duplicate key.
_UNIQUE_VIOLATIONS = {"23505", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"}

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and refuses naive ones; reads back aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give it a zone")
        value = value.astimezone(UTC)
        # SQLite has no zone-aware type: keep a plain UTC wall time there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for `url`; SQLite gets real transactions so SAVEPOINTs and FKs work, and
    its writers queue for the database rather than fail with "database is locked"."""
    if url.startswith("sqlite"):
        engine = create_engine(url, **kwargs)
        _fix_pysqlite_transactions(engine)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    # SQLAlchemy's pessimistic disconnect handling (pool_pre_ping) costs a round trip per
    # checkout, most of a short request's; ping only connections that sat idle.
    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection, record):
        if dbapi_connection is not None:
            record.info[_RETURNED_AT] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        returned = record.info.get(_RETURNED_AT)
        if returned is None or monotonic() - returned < PING_IF_IDLE_SECONDS:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if not engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise
            # As pool_pre_ping does: a server that dropped one connection dropped them all;
            # the pool connects afresh and retries.
            raise InvalidatePoolError() from error


def _fix_pysqlite_transactions(engine: Engine) -> None:
    # pysqlite's own BEGIN handling breaks SAVEPOINT; the SQLAlchemy docs' recipe.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # Readers see a snapshot beside the one writer instead of waiting for it.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # A deferred transaction that reads and then writes cannot wait for the write lock
        # (its snapshot may be stale): SQLite refuses at once, busy timeout or not. Taking
        # the lock at BEGIN makes writers queue behind one another instead.
        deferred = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (views serialise after it)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def read_only(session: Session) -> Session:
    """Declare, before its first query, that `session` will only read: on SQLite it then
    reads a snapshot beside a writer rather than queueing behind it (writing would fail)."""
    session.connection(execution_options={READ_ONLY: True})
    return session


def reads_outside_a_transaction(session: Session) -> Session:
    """`read_only`, and on a PostgreSQL engine outside any transaction (autocommit): under
    READ COMMITTED each statement reads a snapshot of its own inside one too, so BEGIN and
    ROLLBACK would be two round trips for nothing. Writing through `session` then raises
    (`WriteRefused`): with no transaction, a write would stay even if the request failed."""
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={READ_ONLY: True, "isolation_level": "AUTOCOMMIT"})
    else:  # SQLite, or a connection already in a transaction (the tests' savepoints)
        read_only(session)
    session.info[_REFUSES_WRITES] = True
    return session


class WriteRefused(RuntimeError):
    """Code that declared it only reads tried to write: a bug, never the caller's fault."""


# Marks a session from `reads_outside_a_transaction`. Listening on every session and reading
# this mark is cheaper than adding two listeners to each such session: one per API GET.
_REFUSES_WRITES = "rollout_refuses_writes"


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context, _instances) -> None:
    if not session.info.get(_REFUSES_WRITES):
        return
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise WriteRefused("this session only reads; it was asked to flush changes")


@event.listens_for(Session, "do_orm_execute")
def _refuse_writing_statement(state) -> None:
    if not state.session.info.get(_REFUSES_WRITES):
        return
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteRefused(f"this session only reads; it was asked to run {state.statement}")


def lock_row(session: Session, row: T) -> T:
    """`row` read afresh and locked until the transaction ends, so a check made after this
    cannot be overtaken by another transaction's write. On PostgreSQL the others wait for
    this commit, then read what it wrote; SQLite has no row locks, but its writers already
    run one at a time (BEGIN IMMEDIATE)."""
    # A refresh, not a locking get: that refuses a versioned row changed since it was read.
    # NO KEY UPDATE: lockers queue, while rows that merely point at this one can still be
    # inserted by others.
    session.refresh(row, with_for_update={"of": type(row), "key_share": True})
    return row


@contextmanager
def conflict_on_duplicate(session: Session, conflict: Conflict) -> Iterator[None]:
    """Flush what the block adds or changes in a savepoint; if a unique constraint refuses
    it (another request that checked at the same moment got there first), raise `conflict`
    with the session still usable."""
    try:
        with session.begin_nested():
            yield
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise conflict from None


def is_unique_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a row because a unique constraint already holds it."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "sqlite_errorname", None)
    return code in _UNIQUE_VIOLATIONS
