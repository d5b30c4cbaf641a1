"""Small shared checks for values that cross the domain boundary."""

from __future__ import annotations

import re
from datetime import datetime

from rollout.errors import Invalid

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def check_slug(value: str, *, field: str = "slug") -> str:
    """A lowercase URL-safe slug (letters, digits, inner hyphens), or Invalid."""
    if not isinstance(value, str) or not SLUG.match(value):
        raise Invalid("use 1-64 lowercase letters, digits and inner hyphens", field=field)
    return value


def check_text(value: str, *, field: str, max_length: int = 200, required: bool = True) -> str:
    """Stripped text within `max_length`; empty refused when `required`."""
    if not isinstance(value, str):
        raise Invalid("must be a string", field=field)
    value = value.strip()
    if required and not value:
        raise Invalid("must not be empty", field=field)
    if len(value) > max_length:
        raise Invalid(f"must be at most {max_length} characters", field=field)
    return value


def check_aware(value: datetime, *, field: str) -> datetime:
    """`value` if it carries a UTC offset; naive datetimes are ambiguous and refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(
            "datetime needs a UTC offset, e.g. 2026-03-14T09:00:00-04:00 or ...Z", field=field
        )
    return value
