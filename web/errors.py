"""One place that turns domain and input errors into HTTP answers."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from rollout.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, TooManyAttempts


class BadRequest(Invalid):
    """Malformed input (bad JSON, a query parameter that does not parse): HTTP 400."""


# Most specific first: BadRequest is an Invalid.
_STATUSES = [
    (BadRequest, 400, "bad_request"),
    (NotFound, 404, "not_found"),
    (Invalid, 422, "invalid"),
    (Conflict, 409, "conflict"),
    (Forbidden, 403, "forbidden"),
    (TooManyAttempts, 429, "too_many_attempts"),
]


def status_of(exc: DomainError) -> tuple[int, str]:
    """The HTTP status and error code for a domain error."""
    return next(
        ((status, code) for cls, status, code in _STATUSES if isinstance(exc, cls)),
        (400, "bad_request"),
    )


def error_body(code: str, message: str, field: str | None = None, **extra) -> dict:
    error = {"code": code, "message": message}
    if field:
        error["field"] = field
    error.update(extra)
    return {"error": error}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/hooks/")) or request.accept_mimetypes.best == (
        "application/json"
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        status, code = status_of(exc)
        retry = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else {}
        if wants_json():
            return jsonify(error_body(code, exc.message, exc.field, **exc.details)), status, retry
        page = render_template("error.html", status=status, message=exc.message)
        return page, status, retry

    @app.errorhandler(StaleDataError)
    def stale_row(_exc: StaleDataError):
        # Two writers raced on a versioned row and this one lost: the other change stands.
        message = "someone else changed this just now; reload and try again"
        if wants_json():
            return jsonify(error_body("conflict", message)), 409
        return render_template("error.html", status=409, message=message), 409

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError):
        problems = [
            {"field": ".".join(str(p) for p in e["loc"]) or None, "message": e["msg"]}
            for e in exc.errors(include_url=False)
        ]
        first = problems[0]
        body = error_body(
            "invalid", f"{first['field']}: {first['message']}", first["field"], problems=problems
        )
        return jsonify(body), 422

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_exc: RequestEntityTooLarge):
        # Reading stopped at the cap: whatever was sent is not looked at.
        limit = request.max_content_length
        message = "the body is too large" + (f": at most {limit:,} bytes here" if limit else "")
        if wants_json():
            return jsonify(error_body("too_large", message, "body")), 413
        return render_template("error.html", status=413, message=message), 413

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # Keep what the exception says beyond its body, such as a 405's `Allow`.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if wants_json():
            name = (exc.name or "error").lower().replace(" ", "_")
            return jsonify(error_body(name, exc.description or exc.name)), exc.code, headers
        page = render_template("error.html", status=exc.code, message=exc.description)
        return page, exc.code, headers
