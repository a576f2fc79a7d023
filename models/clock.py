"""The clock of the stored data: timestamps are naive UTC.

It lives with the models because their column defaults use it, and ``models`` imports nothing of
``app``; ``app.timezone`` re-exports it next to the Asia/Shanghai (business time) helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time as naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)
