"""Time: stored as naive UTC, shown and reasoned about in Asia/Shanghai (business time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Current time as naive UTC, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_business(value: datetime) -> datetime:
    """Convert a stored timestamp (naive UTC, or aware) to Asia/Shanghai."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BUSINESS_TZ)


def business_today() -> date:
    """Today's date in Asia/Shanghai, whatever the server's own time zone."""
    return datetime.now(BUSINESS_TZ).date()
