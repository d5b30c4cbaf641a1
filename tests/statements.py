"""Counting the SQL a piece of work sends: statement counts are stable where times are not."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def statements(connection) -> Iterator[list[str]]:
    """The SQL statements sent on `connection` (a Connection or Engine) inside the block."""
    sent: list[str] = []

    def count(_conn, _cursor, sql, *_):
        sent.append(sql)

    event.listen(connection, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", count)
