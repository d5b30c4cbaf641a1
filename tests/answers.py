"""Every JSON answer the API gives in a test is read back by its response model, which
refuses a field it does not name: a field leaked into an answer fails the test that got it.
A reader who is not staff is held to the customer's view (`Public…`) where there is one."""

from __future__ import annotations

from flask import Flask, request

from web.api import responses
from web.api.routes import ROUTES
from web.auth import audience

_BY_ENDPOINT = {f"{op.blueprint.name}.{op.view.__name__}": op for op in ROUTES}


def check_answers(app: Flask) -> None:
    """Validate each successful API answer of `app` against its model."""

    @app.after_request
    def check(response):
        op = _BY_ENDPOINT.get(request.endpoint or "")
        if op is None or op.answer is None or response.status_code >= 300:
            return response
        model = op.answer[0] if isinstance(op.answer, list) else op.answer
        if not audience().staff:
            model = getattr(responses, f"Public{model.__name__}", model)
        body = response.get_json()
        for item in body["items"] if isinstance(op.answer, list) else [body]:
            model.model_validate(item)  # raises, failing the request, on a stray field
        return response
