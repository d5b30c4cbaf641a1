"""One line per request, as readable text or JSON (LOG_FORMAT), with a request id that
follows the request through a proxy; never a secret or a body."""

from __future__ import annotations

import json
import logging
import re
import uuid
from time import perf_counter

from flask import Flask, g, request

from web import metrics

log = logging.getLogger("rollout.requests")

# A proxy's id is kept only when it cannot break a log line or a header.
INCOMING_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class JSONFormatter(logging.Formatter):
    """A JSON object per line: time, level, logger, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(log_format: str) -> None:
    """Send the process's logs to stderr as `text` (people) or `json` (log collectors)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)


def init_app(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.request_started = perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if INCOMING_ID.fullmatch(incoming) else uuid.uuid4().hex

    @app.after_request
    def finish(response):
        # A request refused before `start` ran (a body too large) still gets an id.
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        seconds = perf_counter() - g.get("request_started", perf_counter())
        fields = {
            "request_id": request_id,
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 1),
            "principal": _principal_ref(),
        }
        metrics.count_request(fields["method"], fields["route"], fields["status"], seconds)
        log.info(
            "%s %s %s %.1fms principal=%s id=%s",
            fields["method"],
            fields["route"] or "(no route)",
            fields["status"],
            fields["duration_ms"],
            fields["principal"] or "-",
            request_id,
            extra={"fields": fields},
        )
        return response


def _principal_ref() -> str | None:
    # Only a caller this request already looked up: logging never queries the database.
    who = g.get("principal")
    return who.ref if who is not None else None
