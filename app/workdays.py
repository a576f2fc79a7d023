"""Chinese statutory working days (法定工作日) for deadlines and workflow reminders.

All datetimes are naive and read as Asia/Shanghai business time (see ``app.timezone``):
convert stored UTC with ``to_business(...).replace(tzinfo=None)`` before calling, and back
afterwards. Aware datetimes are rejected so UTC cannot silently be counted as local time.

Counting rule: ``n`` working days after a moment is the ``n``-th working day *strictly after*
the day the count starts, at the same time of day. The count starts on the start's own date
if that is a working day, otherwise on the next working day (work received on a holiday is
treated as received when work resumes, at the same clock time).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

log = logging.getLogger(__name__)

_ONE_DAY = timedelta(days=1)

# Years already reported as lacking holiday data: the warning says "update the package",
# which is worth reading once per process, not once per call in a reminder loop.
_warned_years: set[int] = set()


def is_working_day(day: date) -> bool:
    """Whether ``day`` is a statutory working day in mainland China.

    Holidays are days off and make-up working days (调休) are working days, as published by the
    State Council and shipped in ``chinesecalendar``. For years the package has no data for,
    Monday to Friday count as working days and a warning is logged once per year.

    :param day: calendar date (a ``datetime`` is accepted and its date part used).
    :returns: ``True`` if people are expected at work that day.
    """
    # A list of 50 tasks a few weeks old asks about thousands of days per page.
    return _is_working_date(day.date() if isinstance(day, datetime) else day)


@lru_cache(maxsize=8192)
def _is_working_date(day: date) -> bool:
    """Cached :func:`is_working_day` of a date."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning("法定节假日数据未覆盖%d年，按周一至周五计算工作日。", day.year)
        return day.weekday() < 5


def _next_working_day(day: date) -> date:
    """The first working day strictly after ``day``."""
    day += _ONE_DAY
    while not is_working_day(day):
        day += _ONE_DAY
    return day


def _count_start(moment: datetime) -> date:
    """The date the count starts on: ``moment``'s date, rolled forward off non-working days."""
    day = moment.date()
    return day if is_working_day(day) else _next_working_day(day)


def _require_naive(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is not None:
            raise ValueError("workdays expects naive Asia/Shanghai datetimes, got an aware one")


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment ``days`` whole working days after ``start``, keeping its time of day.

    The result is the ``days``-th working day strictly after the count's first day (``start``'s
    date, or the next working day if that date is a holiday or weekend) at ``start``'s time.
    Friday 16:00 before a holiday, plus one, is the first working day after the holiday at
    16:00; Saturday 10:00, plus one, is Tuesday 10:00 (counted from Monday 10:00).
    ``days == 0`` returns ``start`` unchanged, even on a non-working day.

    :param start: naive datetime in Asia/Shanghai business time.
    :param days: number of working days, ``>= 0``.
    :returns: naive datetime in Asia/Shanghai business time.
    :raises ValueError: if ``days`` is negative or ``start`` is timezone-aware.
    """
    _require_naive(start)
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days}")
    if days == 0:
        return start
    day = _count_start(start)
    for _ in range(days):
        day = _next_working_day(day)
    return datetime.combine(day, start.time())


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days elapsed from ``start`` to ``end``, as counted by ``add_working_days``.

    This is the largest ``n`` with ``add_working_days(start, n) <= end``, so
    ``working_days_between(s, add_working_days(s, n)) == n``. A day is complete only once
    ``end`` reaches ``start``'s time of day on it. Returns ``0`` if ``end <= start``.

    :param start: naive datetime in Asia/Shanghai business time.
    :param end: naive datetime in Asia/Shanghai business time.
    :returns: number of whole working days, ``>= 0``.
    :raises ValueError: if either datetime is timezone-aware.
    """
    _require_naive(start, end)
    if end <= start:
        return 0
    # The last date that still completes a working day: end's own date only if the clock
    # has reached start's time of day on it.
    last = end.date() if end.time() >= start.time() else end.date() - _ONE_DAY
    day = _count_start(start) + _ONE_DAY
    count = 0
    while day <= last:
        count += is_working_day(day)
        day += _ONE_DAY
    return count
