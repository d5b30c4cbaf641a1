"""Small shared checks for values that cross the domain boundary."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TypeVar

from rollout.errors import Invalid

D = TypeVar("D", date, datetime)

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
# What some reader of our text cannot take: C0 controls but tab, line feed and carriage
# return (PostgreSQL refuses NUL; the rest is invalid XML and raw bytes in a mail header), DEL,
# lone surrogates (no UTF-8 encoding) and the two non-characters XML 1.0 forbids.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile("[\r\n\x85\u2028\u2029]")
# The years a date or instant may name, as written: planning adds years to a date and a zone
# shifts it by a day, and both must stay inside what a datetime can hold (1 to 9999).
FIRST_YEAR, LAST_YEAR = 1900, 8999
# The same rule as a pattern on the text, for the OpenAPI document.
YEAR_PATTERN = r"^(?:19|[2-8][0-9])[0-9]{2}-"
# Row ids are 32-bit on PostgreSQL (serial) and 64-bit on SQLite: a larger one names nothing.
MAX_ID = 2**31 - 1


def refuse_controls(value: str, *, field: str, multiline: bool = True) -> str:
    """`value`, or Invalid if it holds a control character (or, unless `multiline`, a line
    break); in multi-line text a textarea's CRLF becomes LF."""
    if _UNPRINTABLE.search(value):
        raise Invalid("must not contain control characters", field=field)
    if not multiline and _LINE_BREAK.search(value):
        raise Invalid("must be one line", field=field)
    return value.replace("\r\n", "\n") if multiline else value


def strip_controls(value: str) -> str:
    """`value` without the characters refuse_controls refuses: for text that reached us
    unchecked (Jira) and for every output that a stray byte would break."""
    return _UNPRINTABLE.sub("", value)


def is_whole_number(raw: str) -> bool:
    """Whether `raw` is ASCII digits: str.isdigit also takes "³" and "٣", which int() refuses
    or reads as a number nobody typed."""
    return raw.isascii() and raw.isdigit()


def check_slug(value: str, *, field: str = "slug") -> str:
    """A lowercase URL-safe slug (letters, digits, inner hyphens), or Invalid."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise Invalid("use 1-64 lowercase letters, digits and inner hyphens", field=field)
    return value


def check_text(
    value: str,
    *,
    field: str,
    max_length: int = 200,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """Stripped text within `max_length` and without control characters (nor line breaks,
    unless `multiline`); empty refused when `required`."""
    if not isinstance(value, str):
        raise Invalid("must be a string", field=field)
    value = refuse_controls(value, field=field, multiline=multiline).strip()
    if required and not value:
        raise Invalid("must not be empty", field=field)
    if len(value) > max_length:
        raise Invalid(f"must be at most {max_length} characters", field=field)
    return value


def optional_text(value: str | None, *, field: str, max_length: int = 2000) -> str | None:
    """A reason or note that may run over several lines: None when blank, else as check_text."""
    value = check_text(
        value or "", field=field, max_length=max_length, required=False, multiline=True
    )
    return value or None


def check_aware(value: datetime, *, field: str) -> datetime:
    """`value` if it carries a UTC offset and a year we can plan in; naive datetimes are
    ambiguous and refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(
            "datetime needs a UTC offset, e.g. 2026-03-14T09:00:00-04:00 or ...Z", field=field
        )
    return check_year(value, field=field)


def check_order(starts_at: datetime, ends_at: datetime, *, field: str = "ends_at") -> None:
    """Refuse a span that ends at or before its start."""
    if ends_at <= starts_at:
        raise Invalid("the end must be after the start", field=field)


def check_year(value: D, *, field: str) -> D:
    """`value` (a date or datetime) if its year lies between FIRST_YEAR and LAST_YEAR."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise Invalid(f"give a date between the years {FIRST_YEAR} and {LAST_YEAR}", field=field)
    return value
