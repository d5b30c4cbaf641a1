"""What a URL may carry: row ids a database can hold, and no NUL byte anywhere.

PostgreSQL refuses a NUL in text and an id past its 32-bit serials with an error, not an
empty result; SQLite overflows past 2^63. Such a URL names nothing, so it is answered here
as one naming nothing would be, before any query runs.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter, UnicodeConverter

from rollout.validation import MAX_ID
from web.errors import BadRequest


class RowIdConverter(IntegerConverter):
    """`<int:…>` in our routes is always a row id: 1 to MAX_ID, else the route does not match."""

    def __init__(self, map, **options) -> None:
        super().__init__(map, **{"min": 1, "max": MAX_ID, **options})


class SegmentConverter(UnicodeConverter):
    """The default `<name>`: one path segment without a NUL (a slug, a version, a token)."""

    def __init__(self, map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\x00]", 1)


def refuse_nul_in_query() -> None:
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise BadRequest("must not contain a NUL byte", field=name.replace("\x00", ""))


def init_app(app: Flask) -> None:
    """Install the converters (before any route is added) and the query check."""
    app.url_map.converters.update(
        int=RowIdConverter, default=SegmentConverter, string=SegmentConverter
    )
    app.before_request(refuse_nul_in_query)
