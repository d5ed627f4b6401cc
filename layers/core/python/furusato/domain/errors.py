"""Domain errors. Each carries the contract's error code; the API maps kinds to statuses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or {}


class InvalidInput(DomainError):
    status = 400
    code = "VALIDATION_ERROR"


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    status = 401
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    """A business rule refuses the request (409); `code` says which."""

    status = 409
    code = "CONFLICT"


class RateLimited(DomainError):
    status = 429
    code = "RATE_LIMITED"


class Unavailable(DomainError):
    """Storage is throttled or unreachable after retries: the caller may retry later."""

    status = 503
    code = "UNAVAILABLE"

    def __init__(self, message: str = "temporarily unavailable, retry later", *, retry_after: int = 2):
        super().__init__(message)
        self.retry_after = retry_after


def invalid_field(field: str, reason: str) -> InvalidInput:
    return InvalidInput(f"{field}: {reason}", details={field: reason})
