"""The date range every report takes: presets (last 7 / 30 days, this month, this quarter) or a custom range.

A range is whole days, both ends included, in UTC (timestamps are stored in
UTC; `bounds` gives the half-open [start 00:00, day after end 00:00) the SQL
compares with). A range that ends before it starts, or spans more than
`MAX_DAYS` (about five years), is refused with a message a user understands.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from lib.errors import ValidationFailed
from lib.models.base import utcnow

MAX_DAYS = 5 * 366
PRESETS: dict[str, str] = {
    "last-7-days": "Last 7 days",
    "last-30-days": "Last 30 days",
    "this-month": "This month",
    "this-quarter": "This quarter",
    "custom": "Custom range",
}
PERIODS: dict[str, str] = {"day": "Day", "week": "Week", "month": "Month"}


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # included

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00 UTC, the day after end 00:00 UTC): what timestamps are compared with."""
        return (datetime.combine(self.start, time.min, timezone.utc),
                datetime.combine(self.end + timedelta(days=1), time.min, timezone.utc))

    def label(self) -> str:
        return f"{self.start.isoformat()} to {self.end.isoformat()}"


def today_utc() -> date:
    return utcnow().date()


def checked(start: date | None, end: date | None) -> DateRange:
    """The range from `start` to `end` (both included); ValidationFailed when it is empty, reversed or too long."""
    if start is None or end is None:
        raise ValidationFailed("Choose both the first and the last day of the range.")
    if end < start:
        raise ValidationFailed(f"The range ends ({end.isoformat()}) before it starts ({start.isoformat()}): "
                               "choose a last day on or after the first day.")
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationFailed(f"The range from {start.isoformat()} to {end.isoformat()} is longer than five years: "
                               "choose a shorter range.")
    return DateRange(start, end)


def preset_range(preset: str, today: date | None = None) -> DateRange:
    """The range a preset names, ending today (this month / quarter: from its first day to today)."""
    today = today or today_utc()
    if preset == "last-7-days":
        return DateRange(today - timedelta(days=6), today)
    if preset == "last-30-days":
        return DateRange(today - timedelta(days=29), today)
    if preset == "this-month":
        return DateRange(today.replace(day=1), today)
    if preset == "this-quarter":
        return DateRange(date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today)
    raise ValidationFailed(f"Unknown date range {preset!r}; choose one of: "
                           + ", ".join(key for key in PRESETS if key != "custom") + ", or a custom range.")


def parse_day(text: str, what: str) -> date:
    """An ISO day (YYYY-MM-DD) typed by a person; ValidationFailed naming `what` otherwise."""
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationFailed(f"The {what} {text!r} is not a date: write it as YYYY-MM-DD.") from None


def resolve(preset: str | None, start: date | str | None = None, end: date | str | None = None,
            today: date | None = None) -> DateRange:
    """A preset's range, or (preset "custom" or None with days given) the checked custom range."""
    if preset and preset != "custom":
        return preset_range(preset, today)
    if start is None and end is None:
        return preset_range("last-30-days", today)
    first = parse_day(start, "first day") if isinstance(start, str) else start
    last = parse_day(end, "last day") if isinstance(end, str) else end
    return checked(first, last)
