"""Time: stored as naive UTC, shown and reasoned about in Asia/Shanghai (business time).

``utcnow`` is defined in :mod:`models.clock` (the models' column defaults use it and ``models``
imports nothing of ``app``) and re-exported here, so callers keep importing it from this module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from models.clock import utcnow

__all__ = ["BUSINESS_TZ", "business_today", "to_business", "utcnow"]

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def to_business(value: datetime) -> datetime:
    """Convert a stored timestamp (naive UTC, or aware) to Asia/Shanghai."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BUSINESS_TZ)


def business_today() -> date:
    """Today's date in Asia/Shanghai, whatever the server's own time zone."""
    return datetime.now(BUSINESS_TZ).date()
