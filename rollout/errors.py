"""Domain errors; the web layer maps each class to one HTTP status."""


class DomainError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class NotFound(DomainError):
    """The named thing does not exist (or the caller may not know it exists)."""


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; `field` names the culprit."""


class Conflict(DomainError):
    """The change clashes with the current state: an overlap, a freeze, a stale edit."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class TooManyAttempts(DomainError):
    """Refused for now, not for good: the same request may succeed `retry_after` seconds on."""

    def __init__(self, message: str, *, retry_after: int, field: str | None = None):
        super().__init__(message, field=field, details={"retry_after": retry_after})
        self.retry_after = retry_after
