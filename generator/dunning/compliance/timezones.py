"""Where is the debtor? Candidate IANA time zones for an account, primary first.

Sources, in order:

1. the account's ``timezone`` column — when given it is authoritative and the only zone;
2. the postal address: for US accounts the ZIP code (``postal_code``, else a ZIP at the end
   of ``address``) through a small prefix table (``data/us_zip3_zones.csv``); a prefix area
   that straddles a zone line yields every zone it touches;
3. the phone number (E.164) through libphonenumber's time-zone table: a geographic prefix
   (a US area code) names its zones; a number the table places only by its country code
   (mobile, toll-free) says nothing about where the person is and counts only when the
   country has a single zone (China);
4. the jurisdiction's default zone, only when nothing above gave one.

When sources disagree every candidate is kept: a contact moment must be allowed in all of
them (12 CFR 1006.6(b)(1)(i), comment 6(b)(1)(i)-1). The first candidate is the *primary*
zone: plans show windows and count calendar days in it.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from dunning.accounts.model import Account

ZIP_TABLE = Path(__file__).with_name("data") / "us_zip3_zones.csv"
_ZIP_AT_END = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?\s*$")
_UNKNOWN = "Etc/Unknown"


@lru_cache(maxsize=1)
def _zip_prefixes() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}
    with ZIP_TABLE.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            zones = tuple(row["zones"].split())
            for prefix in range(int(row["first"]), int(row["last"]) + 1):
                table[f"{prefix:03d}"] = zones
    return table


@lru_cache(maxsize=1)
def _phone_tables() -> tuple[Any, int, Any]:
    """libphonenumber's prefix → zones table, its longest prefix and the country calling codes,
    imported on the first phone asked about (the package costs ≈ 40 ms of every start-up,
    and ``dunning validate`` never looks at a phone number)."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    return TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX, COUNTRY_CODE_TO_REGION_CODE


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    """True when ``name`` is an IANA zone this machine's tz database knows."""
    return name in _known_zones()


def zones_for_zip(zip_code: str) -> tuple[str, ...]:
    """Zones of a US ZIP code by its three-digit prefix (() when unknown)."""
    digits = zip_code.strip()[:5]
    if len(digits) < 3 or not digits[:3].isdigit():
        return ()
    return _zip_prefixes().get(digits[:3], ())


@lru_cache(maxsize=65536)
def zones_for_phone(phone: str) -> tuple[str, ...]:
    """Zones a phone number places its holder in (() when it says nothing).

    The longest prefix of the E.164 digits in libphonenumber's time-zone table decides (the
    table ``phonenumbers.timezone`` reads, looked up directly: parsing every number would
    cost more than the whole gate decision). A match on the bare country calling code — a
    mobile or toll-free number that the table does not place — says where the person is
    only when that country has a single zone.
    """
    digits = phone[1:] if phone.startswith("+") else ""
    if not digits.isdigit():
        return ()
    table, longest, country_codes = _phone_tables()
    for length in range(min(len(digits), longest), 0, -1):
        zones = table.get(digits[:length])
        if zones is None:
            continue
        if int(digits[:length]) in country_codes and len(zones) != 1:
            return ()
        return tuple(z for z in zones if z != _UNKNOWN and is_zone(z))
    return ()


def address_zip(account: Account) -> str:
    """The account's US ZIP code: ``postal_code``, else a ZIP at the end of ``address``."""
    if account.postal_code.strip():
        return account.postal_code.strip()
    match = _ZIP_AT_END.search(account.address)
    return match.group(1) if match else ""


def candidate_zones(account: Account, default_zone: str) -> tuple[str, ...]:
    """Candidate zones for ``account``, primary first, without repeats."""
    if account.timezone:
        return (account.timezone,)
    found: list[str] = []
    if account.jurisdiction.split("-", 1)[0] == "US":
        found.extend(zones_for_zip(address_zip(account)))
    by_phone = zones_for_phone(account.phone)
    if default_zone in by_phone:  # e.g. a UK number: London before Guernsey and Jersey
        by_phone = (default_zone, *(z for z in by_phone if z != default_zone))
    found.extend(by_phone)
    unique = tuple(dict.fromkeys(z for z in found if is_zone(z)))
    return unique or (default_zone,)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A cached :class:`ZoneInfo`."""
    return ZoneInfo(name)
