"""Rows written below SQLAlchemy's type handling (`rollout.bulk`) are stored as SQLAlchemy
stores them, and the audit's bulk encoding of their changes is json.dumps' own text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from rollout import audit
from rollout.access import ApiToken
from rollout.bulk import insert_rows
from rollout.customers import get_region
from rollout.windows import Window, WindowKind, WindowStatus
from tests.conftest import NOW
from tests.factories import make_region

# Quotes, a backslash, a tab, a newline and letters beyond ASCII: what escaping must keep.
AWKWARD = 'Upgrade "db" \\ 2\tnight\nété ✓'


def window_rows(region_id: int, title: str, first_day: int) -> list[dict]:
    dublin = ZoneInfo("Europe/Dublin")
    return [
        {
            "region_id": region_id,
            "policy_id": None,
            "occurrence": datetime(2027, 3, 28, 1, 30) + timedelta(days=day),
            "kind": WindowKind.AD_HOC,
            "status": WindowStatus.PLANNED if day % 2 else WindowStatus.CANCELLED,
            "title": title,
            # Given in another zone, with microseconds: stored as the same UTC instant.
            "starts_at": datetime(2027, 3, 28, 1, 30, 0, 123456, tzinfo=dublin)
            + timedelta(days=day),
            "ends_at": NOW + timedelta(days=day, hours=2),
            "timezone": "Europe/Dublin",
            "justification": None,
            "sequence": 0,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for day in range(first_day, first_day + 3)
    ]


def test_insert_rows_stores_what_a_sqlalchemy_insert_stores(session):
    region_id = make_region(session, "eu").id
    rows = window_rows(region_id, AWKWARD, 0)
    by_sqlalchemy = (
        session.execute(
            insert(Window.__table__).returning(Window.id, sort_by_parameter_order=True), rows
        )
        .scalars()
        .all()
    )
    columns = list(rows[0])
    ids = insert_rows(
        session.connection(),
        Window.__table__,
        columns,
        [tuple(row.values()) for row in rows],
        ids_by=["occurrence"],
    )
    session.expire_all()

    def stored(window_id: int) -> dict:
        window = session.get(Window, window_id)
        return {name: getattr(window, name) for name in columns}

    assert [stored(i) for i in ids] == [stored(i) for i in by_sqlalchemy]
    first = stored(ids[0])
    assert first["starts_at"].microsecond == 123456
    assert first["starts_at"] == rows[0]["starts_at"].astimezone(UTC)
    assert first["title"] == AWKWARD
    assert {stored(i)["status"] for i in ids} == {WindowStatus.PLANNED, WindowStatus.CANCELLED}


def test_insert_rows_returns_ids_in_the_order_of_the_rows_given(session):
    region_id = make_region(session, "eu").id
    rows = window_rows(region_id, "Upgrade", 0)[::-1]
    ids = insert_rows(
        session.connection(),
        Window.__table__,
        list(rows[0]),
        [tuple(row.values()) for row in rows],
        ids_by=["occurrence"],
    )

    stored = {w.id: w.occurrence for w in session.scalars(select(Window))}
    assert [stored[i] for i in ids] == [row["occurrence"] for row in rows]
    assert ids == sorted(ids), "ids are drawn in the order the rows were given"


def test_insert_rows_refuses_key_columns_that_do_not_tell_the_rows_apart(session):
    region_id = make_region(session, "eu").id
    rows = window_rows(region_id, "Upgrade", 0)
    with pytest.raises(ValueError, match="tell the inserted rows apart"):
        insert_rows(
            session.connection(),
            Window.__table__,
            list(rows[0]),
            [tuple(row.values()) for row in rows],
            ids_by=["title"],
        )


def test_insert_rows_refuses_a_naive_instant(session):
    make_region(session, "eu")
    row = window_rows(get_region(session, "eu").id, "Upgrade", 0)[0]
    row["ends_at"] = row["ends_at"].replace(tzinfo=None)
    with pytest.raises(ValueError, match="naive"):
        insert_rows(session.connection(), Window.__table__, list(row), [tuple(row.values())])


texts = st.text(max_size=30)
values = st.one_of(st.none(), st.booleans(), st.integers(), texts)


@given(
    title=texts,
    region_id=values,
    policy_id=st.one_of(st.booleans(), st.integers()),
    days=st.integers(min_value=-3000, max_value=3000),
)
def test_the_bulk_changes_text_is_json_dumps_of_the_changes_a_flush_records(
    title, region_id, policy_id, days
):
    row = window_rows(1, title, days)[0] | {"region_id": region_id, "policy_id": policy_id}
    encode = audit._changes_encoder(Window)

    assert encode(row) == json.dumps(audit._created_changes(Window, row))
    assert encode(row) == encode(dict(row)), "a value's text is cached, never mixed up"


@given(name=texts, token_hash=st.one_of(st.none(), texts))
def test_the_bulk_changes_text_keeps_secrets_out(name, token_hash):
    row = {"name": name, "token_hash": token_hash, "created_at": NOW}

    encoded = audit._changes_encoder(ApiToken)(row)

    assert encoded == json.dumps(audit._created_changes(ApiToken, row))
    assert [c for c in json.loads(encoded) if c["field"] == "token_hash"] == [
        {"field": "token_hash", "secret": True}
    ]


def test_one_encoder_keeps_true_and_one_apart():
    encode = audit._changes_encoder(Window)
    row = window_rows(1, "Upgrade", 0)[0]

    assert '"region_id", "before": null, "after": 1}' in encode(row | {"region_id": 1})
    assert '"region_id", "before": null, "after": true}' in encode(row | {"region_id": True})
    assert '"region_id", "before": null, "after": 1.0}' in encode(row | {"region_id": 1.0})
