"""The interpreter's refusal: a base error every refused transition or condition shares."""

from __future__ import annotations


class WorkflowError(Exception):
    """A refused transition; ``code`` is stable for APIs, ``message`` is Chinese."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
