"""Calendar arithmetic shared by the protocol rules and the follow-up schedule; time zones."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import zoneinfo
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import formats, timezone

if TYPE_CHECKING:  # trial.models validates time zones with this module
    from trial.models import Site


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


def in_time_zone(value: dt.datetime, site: Site) -> str:
    """A time as the site reads it, with its zone named (DATETIME_FORMAT of the active
    language: ISO date, hour and the zone)."""
    try:
        zone = zoneinfo.ZoneInfo(site.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # an unknown name stops no message
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(value, zone)
    return formats.date_format(local, "DATETIME_FORMAT")
