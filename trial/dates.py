"""Calendar arithmetic shared by the protocol rules and the follow-up schedule."""

import calendar
import datetime as dt
import functools
import zoneinfo


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` calendar months later, clamped to the month's end.

    31 January + 1 month is 28 (or 29) February; counting always from the same anchor
    date avoids drift (31 May stays 31 May, never 28 May).
    """
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@functools.cache
def _iana_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    """Return whether `name` is an IANA time zone (tz database key, e.g. Europe/Paris)."""
    return name in _iana_time_zones()
