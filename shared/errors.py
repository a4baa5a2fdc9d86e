"""Errors the domain raises, named by meaning. The HTTP layer maps each kind to a status code."""

from __future__ import annotations

from typing import Any


class ChairsideError(Exception):
    """Base of every error that is the caller's to fix (never a 500)."""

    code = "error"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class InvalidInput(ChairsideError):
    """The request is malformed or a field is invalid (HTTP 400)."""

    code = "validation_error"


class Unauthenticated(ChairsideError):
    """No valid credentials (HTTP 401)."""

    code = "unauthenticated"


class Forbidden(ChairsideError):
    """Authenticated, but the role or location grant does not allow this (HTTP 403)."""

    code = "forbidden"


class NotFound(ChairsideError):
    """No such resource in the caller's group; also used for other groups' ids (HTTP 404)."""

    code = "not_found"


class Conflict(ChairsideError):
    """The request conflicts with the current state, e.g. a concurrent duplicate (HTTP 409)."""

    code = "conflict"


class StaleVersion(ChairsideError):
    """If-Match names a version that is no longer current (HTTP 412)."""

    code = "precondition_failed"


class Gone(ChairsideError):
    """The resource existed but can no longer be used, e.g. an expired signing link (HTTP 410)."""

    code = "gone"


class RuleViolation(ChairsideError):
    """A domain rule forbids the request, e.g. an illegal plan transition (HTTP 422)."""

    code = "rule_violation"


class PreconditionRequired(ChairsideError):
    """A required If-Match or Idempotency-Key header is missing (HTTP 428)."""

    code = "precondition_required"


class TooManyRequests(ChairsideError):
    """Rate limited (HTTP 429)."""

    code = "too_many_requests"


class PayloadTooLarge(ChairsideError):
    """The request body is larger than any request of this API needs (HTTP 413)."""

    code = "payload_too_large"


class Unavailable(ChairsideError):
    """A dependency the request needs (the token keys) could not be reached; retrying may work (HTTP 503)."""

    code = "service_unavailable"
