"""Errors raised by services; every message is meant for the user and is in Chinese."""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the request; ``str(error)`` is the Chinese message."""

    status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class ValidationFailed(ServiceError):
    """Input that breaks a rule; nothing was changed."""


class PermissionDenied(ServiceError):
    """The actor's post or unit does not allow this."""

    status = 403


class NotFound(ServiceError):
    """The record does not exist or is outside the actor's scope."""

    status = 404


class Conflict(ServiceError):
    """Someone else changed the record first (a stale version or an already handled task)."""

    status = 409


class RateLimited(ServiceError):
    """Too many attempts from this client or for this account; try again later."""

    status = 429
