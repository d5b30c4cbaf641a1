"""Many rows into one table in one statement, below SQLAlchemy's per-row type handling.

An ORM or Core INSERT of hundreds of rows binds each value through its column type, and on
PostgreSQL sends a multi-row VALUES the driver re-parses for every batch; planning ten
years of windows spent most of its time there. Here each column's values are turned into
the driver's own types once per column (the conversions the column types make, see
`_to_driver`), and sent as one array per column (PostgreSQL's unnest) or as one
executemany (SQLite's C loop). Rows go in in the order given, so ids drawn from a sequence
follow it. Only for tables whose every value the caller gives: no Python-side defaults run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from functools import partial
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, DateTime, String, Table
from sqlalchemy.orm import Session

from rollout.db import Base, UTCDateTime

# Called with (session, model, [(id, values given), ...]) after `insert_created`: the audit.
_created_listeners: list[Callable[[Session, type[Base], list[tuple[int, dict]]], None]] = []


def on_created(listener: Callable[[Session, type[Base], list[tuple[int, dict]]], None]) -> None:
    """Tell `listener` of every model's rows `insert_created` writes (idempotent)."""
    if listener not in _created_listeners:
        _created_listeners.append(listener)


def insert_created(
    session: Session, model: type[Base], rows: list[dict], *, ids_by: Sequence[str]
) -> list[int]:
    """New rows of `model`, each given in full as column values, in one statement on the
    session's connection; their ids in `rows`' order. The listeners (the audit) hear of
    them as a flush's would, which is why ORM models go through here, not `insert_rows`."""
    if not rows:
        return []
    columns = list(rows[0])
    values = list(map(itemgetter(*columns), rows))  # a row missing a column raises here
    ids = insert_rows(session.connection(), model.__table__, columns, values, ids_by=ids_by)
    for listener in _created_listeners:
        listener(session, model, list(zip(ids, rows, strict=True)))
    return ids


# SQLite refuses a statement with more bound values than this (its default since 3.32).
_SQLITE_MAX_VALUES = 32_766


class EncodedJson(str):
    """JSON text already written as a JSON column writes its values (`json.dumps`, which
    `make_engine` leaves as the serialiser): sent as it is."""


def insert_rows(
    connection: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ids_by: Sequence[str] = (),
) -> list[int]:
    """Insert `rows` (one value per name in `columns`, in the model's Python types) into
    `table`. With `ids_by`, columns that tell the rows apart, each row's id, in `rows`'
    order (RETURNING's own order is not promised on every database)."""
    if not rows:
        return []
    dialect = connection.dialect
    converters = [_to_driver(table.c[name].type, dialect) for name in columns]
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    into = f"INSERT INTO {quote(table.name)} ({names})"
    returning = ["id", *ids_by] if ids_by else []
    back = f" RETURNING {', '.join(quote(name) for name in returning)}" if returning else ""
    by_column = [
        [convert(value) for value in values] if convert else list(values)
        for convert, values in zip(converters, zip(*rows, strict=True), strict=True)
    ]
    if dialect.name == "postgresql":
        # %b: psycopg sends each array in binary; as text it escapes every element by regex.
        arrays = ", ".join(f"%b::{table.c[name].type.compile(dialect)}[]" for name in columns)
        given = ", ".join([*(quote(name) for name in columns), "position"])
        statement = (
            f"{into} SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS given({given}) "
            f"ORDER BY position{back}"
        )
        result = connection.exec_driver_sql(statement, tuple(by_column))
        if not ids_by:
            return []
        return _ids_in_order(result.all(), by_column, [columns.index(name) for name in ids_by])
    values = list(zip(*by_column, strict=True))
    row_marks = f"({', '.join('?' * len(columns))})"
    if not returning:
        connection.exec_driver_sql(f"{into} VALUES {row_marks}", values)
        return []
    # SQLite's executemany returns no rows: one multi-row VALUES per chunk instead.
    per_chunk = _SQLITE_MAX_VALUES // len(columns)
    returned = []
    for start in range(0, len(values), per_chunk):
        chunk = values[start : start + per_chunk]
        statement = f"{into} VALUES {', '.join([row_marks] * len(chunk))}{back}"
        flat = tuple(value for row in chunk for value in row)
        returned += connection.exec_driver_sql(statement, flat).all()
    return _ids_in_order(returned, by_column, [columns.index(name) for name in ids_by])


def _ids_in_order(returned: list, by_column: list[list], key_columns: list[int]) -> list[int]:
    """The returned ids in the order of the rows sent, found by their key columns (values as
    the driver took them and gives them back)."""
    ids = {tuple(row[1:]): row[0] for row in returned}
    keys = list(zip(*(by_column[n] for n in key_columns), strict=True))
    if len(ids) != len(keys) or not all(key in ids for key in keys):
        raise ValueError("the key columns do not tell the inserted rows apart")
    return [ids[key] for key in keys]


def _to_driver(column_type, dialect) -> Callable[[Any], Any] | None:
    """What the column type's bind processing makes of one value, or None if nothing."""
    sqlite = dialect.name == "sqlite"
    if isinstance(column_type, UTCDateTime):
        # The column type's own rule (UTC, naive refused), then SQLite's storage format.
        to_utc = partial(column_type.process_bind_param, dialect=dialect)
        return (lambda value: _sqlite_wall(to_utc(value))) if sqlite else to_utc
    if isinstance(column_type, DateTime):
        return _sqlite_wall if sqlite else None
    if isinstance(column_type, JSON):
        serialise = dialect._json_serializer or json.dumps
        return lambda value: (
            value if value is None or isinstance(value, EncodedJson) else serialise(value)
        )
    if isinstance(column_type, String):
        # A StrEnum is a str to SQLite, but psycopg would send an Enum's name.
        return _plain_enum
    return None


def _sqlite_wall(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format, microseconds always written.
    return None if value is None else value.isoformat(" ", "microseconds")


def _plain_enum(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value
