"""Clock helpers shared by test packages."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo


class NoOffset(tzinfo):
    """A tzinfo that does not know its offset (``utcoffset()`` is None): a moment carrying it
    is as good as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None
