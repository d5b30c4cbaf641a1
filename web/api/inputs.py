"""What a request carries to a view: its JSON body, its query, its row ids."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel

from rollout.errors import NotFound
from rollout.validation import MAX_ID
from web.bodies import json_object
from web.errors import BadRequest

M = TypeVar("M", bound=BaseModel)


def body(model: type[M]) -> M:
    """The request's JSON body validated by `model` (400 if not JSON, 422 naming the field)."""
    return model.model_validate(json_object(request.get_data(cache=True)))


def query(model: type[M]) -> M:
    """The query string read by `model`; each parameter's first value, as Flask's `get`."""
    return model.model_validate(request.args.to_dict())


def int_id(raw: str, field: str = "id") -> int:
    """A row id from the URL; one past what any row can have names nothing (404)."""
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("must be a whole number", field=field) from None
    if not 1 <= value <= MAX_ID:
        raise NotFound(f"nothing has the id {raw}", field=field)
    return value
