"""Which IANA time zone names exist: the snapshot's ``timezone`` column is checked against
this machine's tz database. Below both the account reader and the compliance engine, so
neither imports the other for it."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import available_timezones


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """True when ``name`` is an IANA zone this machine's tz database knows."""
    return name in _known_zones()
