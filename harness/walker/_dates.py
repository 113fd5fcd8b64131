"""DatePicker and CalendarPicker dates: both Flow JSON forms, bounds, and what can be picked.

From Flow JSON 5.0 dates are ``"YYYY-MM-DD"``; before, DatePicker dates are epoch
milliseconds (strings in practice), read here as UTC days. Values are written in the
form the flow's version uses, at noon UTC for milliseconds so every time zone agrees
on the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from harness.walker._exceptions import UnsatisfiableInputError

# With no bounds the walker picks in a fixed window, so a seed replays the same dates.
DEFAULT_WINDOW = (dt.date(2024, 1, 1), dt.date(2026, 12, 31))
OPEN_BOUND_SPAN = dt.timedelta(days=365)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NOON_MS = 12 * 3600 * 1000


def parse_date(value: object, *, what: str) -> dt.date:
    """A date from ``"YYYY-MM-DD"``, epoch milliseconds (int or digit string)."""
    if isinstance(value, bool):
        raise UnsatisfiableInputError(f"{what}: {value!r} is not a date")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        millis = int(value)
        return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC).date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UnsatisfiableInputError(
        f"{what}: {value!r} is neither a YYYY-MM-DD date nor epoch milliseconds"
    )


def format_date(day: dt.date, *, epoch_ms: bool) -> str:
    if not epoch_ms:
        return day.isoformat()
    midnight = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    return str(int(midnight.timestamp() * 1000) + _NOON_MS)


def window(low: dt.date | None, high: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days to pick from, when one or both bounds are missing."""
    if low is None and high is None:
        return DEFAULT_WINDOW
    if low is None:
        assert high is not None
        return high - OPEN_BOUND_SPAN, high
    if high is None:
        return low, low + OPEN_BOUND_SPAN
    return low, high


def available_days(
    low: dt.date,
    high: dt.date,
    *,
    unavailable: Iterable[dt.date] = (),
    weekdays: Iterable[str] | None = None,
) -> list[dt.date]:
    """Every day in ``[low, high]`` not listed as unavailable and on an included weekday."""
    excluded = set(unavailable)
    allowed = set(WEEKDAYS if weekdays is None else weekdays)
    days = []
    day = low
    while day <= high:
        if day not in excluded and WEEKDAYS[day.weekday()] in allowed:
            days.append(day)
        day += dt.timedelta(days=1)
    return days
