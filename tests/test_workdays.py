"""Working-day arithmetic against the real State Council holiday calendar (no app needed)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app import workdays
from app.workdays import add_working_days, is_working_day, working_days_between

FALLBACK_2027 = "法定节假日数据未覆盖2027年，按周一至周五计算工作日。"


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees the once-per-year fallback warning as not yet given."""
    monkeypatch.setattr(workdays, "_warned_years", set())


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_national_day_2025() -> None:
    assert all(not is_working_day(d) for d in _days(date(2025, 10, 1), date(2025, 10, 8)))
    assert is_working_day(date(2025, 9, 28))  # Sunday, make-up working day
    assert is_working_day(date(2025, 10, 11))  # Saturday, make-up working day
    assert is_working_day(date(2025, 9, 30)) and is_working_day(date(2025, 10, 9))


def test_spring_festival_2026() -> None:
    assert all(not is_working_day(d) for d in _days(date(2026, 2, 15), date(2026, 2, 23)))
    assert is_working_day(date(2026, 2, 14))  # Saturday, make-up working day
    assert is_working_day(date(2026, 2, 28))  # Saturday, make-up working day
    assert is_working_day(date(2026, 2, 24))


def test_plain_weekend_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 3, 7))
    assert not is_working_day(date(2026, 3, 8))
    assert not is_working_day(date(2026, 9, 27))  # a Sunday that is not a make-up day
    assert is_working_day(datetime(2026, 3, 9, 8, 30))  # datetimes are read by their date


def test_reminder_after_national_day_2025() -> None:
    # Tuesday 30 September is the last working day before the holiday.
    created = datetime(2025, 9, 30, 16, 0)
    assert add_working_days(created, 1) == datetime(2025, 10, 9, 16, 0)
    assert working_days_between(created, datetime(2025, 10, 9, 15, 59)) == 0
    assert working_days_between(created, datetime(2025, 10, 9, 16, 0)) == 1


def test_reminder_after_spring_festival_2026() -> None:
    # The make-up Saturday 14 February is the last working day before the holiday.
    created = datetime(2026, 2, 14, 16, 0)
    assert add_working_days(created, 1) == datetime(2026, 2, 24, 16, 0)
    assert add_working_days(created, 4) == datetime(2026, 2, 27, 16, 0)
    assert add_working_days(created, 5) == datetime(2026, 2, 28, 16, 0)


def test_make_up_days_count_as_working_days() -> None:
    assert add_working_days(datetime(2026, 2, 13, 16, 0), 1) == datetime(2026, 2, 14, 16, 0)
    assert add_working_days(datetime(2025, 9, 26, 9, 0), 1) == datetime(2025, 9, 28, 9, 0)
    assert add_working_days(datetime(2025, 10, 10, 9, 0), 1) == datetime(2025, 10, 11, 9, 0)


def test_plain_weekend_is_skipped() -> None:
    friday = datetime(2026, 3, 6, 16, 0)
    assert add_working_days(friday, 1) == datetime(2026, 3, 9, 16, 0)
    assert working_days_between(friday, datetime(2026, 3, 8, 23, 59)) == 0


def test_start_on_a_day_off_counts_from_the_next_working_day() -> None:
    saturday = datetime(2026, 3, 7, 10, 0)
    assert add_working_days(saturday, 0) == saturday
    assert add_working_days(saturday, 1) == datetime(2026, 3, 10, 10, 0)
    assert working_days_between(saturday, datetime(2026, 3, 9, 10, 0)) == 0
    holiday = datetime(2025, 10, 3, 10, 0)
    assert add_working_days(holiday, 1) == datetime(2025, 10, 10, 10, 0)


def test_fallback_for_2027_is_monday_to_friday_and_warns_once(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.workdays")
    assert is_working_day(date(2027, 1, 8))  # Friday
    assert not is_working_day(date(2027, 1, 9))  # Saturday
    assert not is_working_day(date(2027, 1, 10))  # Sunday
    assert add_working_days(datetime(2027, 1, 8, 16, 0), 1) == datetime(2027, 1, 11, 16, 0)
    assert add_working_days(datetime(2027, 1, 8, 16, 0), 5) == datetime(2027, 1, 15, 16, 0)
    assert working_days_between(datetime(2027, 1, 4, 9, 0), datetime(2027, 2, 1, 9, 0)) == 20
    warnings = [r for r in caplog.records if r.name == "app.workdays"]
    assert [r.getMessage() for r in warnings] == [FALLBACK_2027]
    assert warnings[0].levelno == logging.WARNING


def test_fallback_warns_once_per_year(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="app.workdays")
    add_working_days(datetime(2027, 12, 30, 9, 0), 3)
    messages = [r.getMessage() for r in caplog.records if r.name == "app.workdays"]
    assert messages == [FALLBACK_2027, "法定节假日数据未覆盖2028年，按周一至周五计算工作日。"]


def _starts() -> list[datetime]:
    days = [*_days(date(2025, 9, 20), date(2025, 10, 15)),
            *_days(date(2026, 2, 5), date(2026, 3, 5)),
            *_days(date(2026, 12, 24), date(2027, 1, 5))]
    times = [(0, 0), (16, 0), (23, 59)]
    return [datetime(d.year, d.month, d.day, h, m) for d in days for h, m in times]


def test_round_trip() -> None:
    # The minute-before check makes ``n`` the largest count reached, not merely a fixpoint.
    minute = timedelta(minutes=1)
    for start in _starts():
        for n in range(11):
            due = add_working_days(start, n)
            assert working_days_between(start, due) == n, (start, n)
            if n:
                assert working_days_between(start, due - minute) == n - 1, (start, n)


def test_between_is_zero_when_end_is_not_after_start() -> None:
    start = datetime(2026, 2, 24, 16, 0)
    assert working_days_between(start, start) == 0
    assert working_days_between(start, start - timedelta(minutes=1)) == 0
    assert working_days_between(start, datetime(2025, 9, 30, 16, 0)) == 0


def test_rejects_negative_days_and_aware_datetimes() -> None:
    with pytest.raises(ValueError):
        add_working_days(datetime(2026, 3, 6, 9, 0), -1)
    aware = datetime(2026, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with pytest.raises(ValueError):
        add_working_days(aware, 1)
    with pytest.raises(ValueError):
        working_days_between(datetime(2026, 3, 6, 9, 0), aware)
