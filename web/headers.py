"""Security headers on every answer."""

from __future__ import annotations

from flask import Flask

# Scripts and styles only from our own files (none inline: an injected <script> or
# onclick= does not run); no plugins; no page of ours inside anyone's frame, not even our
# own (clickjacking); forms post only back to us.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
# A year, renewed by every answer; subdomains are left to whoever runs them.
HSTS = "max-age=31536000"


def init_app(app: Flask, *, https: bool) -> None:
    """Add the headers to every answer; HSTS only when customers reach us over HTTPS."""

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Customer links carry their token in the path: it must not travel to other sites.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if https:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
