"""Errors raised by services; every message is meant for the user and is in Chinese.

Each class has an HTTP ``status`` and a stable ``code`` that API clients may rely on; the
message may be reworded, the code may not.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A business rule refused the request; ``str(error)`` is the Chinese message."""

    status = 422
    code = "refused"

    def __init__(self, message: str, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, str | None]:
        """The body a REST client receives: ``{"code", "message", "field"}``."""
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationFailed(ServiceError):
    """Input that breaks a rule; nothing was changed."""

    code = "invalid"


class NotInScope(ValidationFailed):
    """An id in the input names a record outside the actor's unit (or one that does not exist)."""

    code = "not_in_scope"


class NotEditable(ValidationFailed):
    """The record is in review or completed; it can no longer change."""

    code = "not_editable"


class AmountTooLarge(ValidationFailed):
    """An amount is over the bound its rule allows (room of a 用款计划, contract, payment)."""

    code = "amount_too_large"


class InvalidAmount(ValidationFailed):
    """An amount that is missing or not acceptable (see ``app.services.money`` for the rules).

    Its code stays ``invalid``: what REST clients already receive for a malformed amount.
    """


class PermissionDenied(ServiceError):
    """The actor's post or unit does not allow this."""

    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    """The record does not exist or is outside the actor's scope."""

    status = 404
    code = "not_found"


class Conflict(ServiceError):
    """Someone else changed the record first (a stale version or an already handled task)."""

    status = 409
    code = "conflict"


class RateLimited(ServiceError):
    """Too many attempts from this client or for this account; try again later."""

    status = 429
    code = "rate_limited"
