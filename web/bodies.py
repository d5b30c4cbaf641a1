"""Request bodies: how much of one is read, and how a JSON one is parsed."""

from __future__ import annotations

import flask
from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import RequestEntityTooLarge

from web.errors import BadRequest


class Request(flask.Request):
    """Flask's request, refusing a chunked body that runs past max_content_length: werkzeug
    (3.1) stops reading it quietly at the cap, and the cut body would pass for the whole."""

    def get_data(self, cache=True, as_text=False, parse_form_data=False):
        data = super().get_data(cache=cache, as_text=as_text, parse_form_data=parse_form_data)
        limit = self.max_content_length
        # Only without Content-Length: with one, werkzeug refuses a long body before reading,
        # and reading past the body would wait for the client's next request.
        if (
            limit is not None
            and self.content_length is None
            and self.stream.tell() >= limit
            and self.environ["wsgi.input"].read(1)
        ):
            raise RequestEntityTooLarge()
        return data


class NestedTooDeeply(ValueError):
    """JSON nested deeper than the parser's recursion allows."""


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, with a body nested too deeply refused as bad JSON (a ValueError, which
    request.get_json turns into a 400) rather than escaping as a RecursionError (a 500)."""

    sort_keys = False  # keep fields in the documented order

    def loads(self, s: str | bytes, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise NestedTooDeeply("nested too deeply") from None


def json_object(raw: bytes) -> dict:
    """`raw` parsed as a JSON object; a 400 naming the body when it is not one."""
    try:
        data = current_app.json.loads(raw)
    except NestedTooDeeply:
        raise BadRequest("the body's JSON is nested too deeply", field="body") from None
    except ValueError:  # also a UnicodeDecodeError
        raise BadRequest("the body is not valid JSON", field="body") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object", field="body")
    return data


def init_app(app: Flask, *, max_bytes: int, hook_max_bytes: int) -> None:
    """Cap every body at `max_bytes` and those sent to /hooks/* at `hook_max_bytes`: a body
    past its cap is answered 413 once that much is read, a chunked one included."""
    app.config["MAX_CONTENT_LENGTH"] = max_bytes

    @app.before_request
    def smaller_cap_for_hooks():
        # Anyone who reaches the server reaches the hooks, and each is read whole before
        # its signature can be checked.
        if request.path.startswith("/hooks/"):
            request.max_content_length = hook_max_bytes
