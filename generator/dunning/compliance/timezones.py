"""Where is the debtor? Candidate IANA time zones for an account, primary first.

Every known location counts (12 CFR 1006.6(b)(1)(i), comment 6(b)(1)(i)-2: when the
collector's information about where the consumer is conflicts, a time is convenient only if
it is convenient in every location). The sources, in the order their zones are listed:

1. the account's ``timezone`` column — the stated zone leads (plans show windows and count
   calendar days in it) but no longer silences the others: a Denver ``timezone`` with a New
   York phone keeps both zones;
2. the postal address: for US accounts the ZIP code (``postal_code``, else a ZIP at the end
   of ``address``) through a small prefix table (``data/us_zip3_zones.csv``); a prefix area
   that straddles a zone line yields every zone it touches. Without a usable ZIP (and for
   Canadian accounts) the state or province the address ends with (``…, Los Angeles, CA``)
   through ``data/region_zones.csv``, every zone of a region that straddles a zone line;
3. the phone number (E.164) through libphonenumber's time-zone table: a geographic prefix
   (a US area code) names its zones; a number the table places only by its country code
   (mobile, toll-free) says nothing about where the person is and counts only when the
   country has a single zone (China);
4. the jurisdiction's default zone, only when nothing above gave one.

A contact moment must then be allowed in all of them (the engine intersects the windows).
The first candidate is the *primary* zone. :func:`location_key` names the few inputs the
answer depends on, so that the planner can share one decision between accounts that
differ only in their phone's last digits or their street.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dunning.accounts.model import Account
from dunning.accounts.zones import is_zone

ZIP_TABLE = Path(__file__).with_name("data") / "us_zip3_zones.csv"
REGION_TABLE = Path(__file__).with_name("data") / "region_zones.csv"
# ASCII digits only, and patterns that polars' regex engine reads the same way (the columnar
# planner extracts the same parts of the address: plan/columnar.py)
ZIP_AT_END = r"(?:^|[^0-9])([0-9]{5})(?:-[0-9]{4})?\s*$"
REGION_AT_END = r",\s*([A-Za-z]{2})\.?\s*$"
_ZIP_AT_END = re.compile(ZIP_AT_END)
_REGION_AT_END = re.compile(REGION_AT_END)
REGION_COUNTRIES = ("US", "CA")
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
def _regions() -> dict[tuple[str, str], tuple[str, ...]]:
    with REGION_TABLE.open(encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {(row["country"], row["region"]): tuple(row["zones"].split()) for row in rows}


@lru_cache(maxsize=1)
def _phone_tables() -> tuple[Any, int, Any]:
    """libphonenumber's prefix → zones table, its longest prefix and the country calling codes,
    imported on the first phone asked about (the package costs ≈ 40 ms of every start-up,
    and ``dunning validate`` never looks at a phone number)."""
    from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
    from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

    return TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX, COUNTRY_CODE_TO_REGION_CODE


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


def zones_for_region(country: str, region: str) -> tuple[str, ...]:
    """Zones of a US state or Canadian province by its two-letter code (() when unknown)."""
    return _regions().get((country, region.upper()), ())


def address_zip(account: Account) -> str:
    """The account's US ZIP code: ``postal_code``, else a ZIP at the end of ``address``."""
    if account.postal_code.strip():
        return account.postal_code.strip()
    match = _ZIP_AT_END.search(account.address)
    return match.group(1) if match else ""


def address_region(address: str) -> str:
    """The state or province code an address ends with (``…, Los Angeles, CA`` → ``CA``), or ''."""
    match = _REGION_AT_END.search(address)
    return match.group(1).upper() if match else ""


@lru_cache(maxsize=4096)
def phone_prefix_length(start: str) -> int:
    """How many leading characters of an E.164 number starting with ``start`` (its first four
    characters: "+" and three digits, enough for any country calling code) decide its zones:
    "+" and the longest prefix the time-zone table holds for that country (8 for +1: area
    code and exchange). Numbers that agree on that many characters have the same zones."""
    table, _longest, country_codes = _phone_tables()
    digits = start[1:] if start.startswith("+") else ""
    code = next((digits[:n] for n in (1, 2, 3) if digits[:n].isdigit() and int(digits[:n]) in country_codes), None)
    if code is None:
        return len(start)
    return 1 + max((len(k) for k in table if k.startswith(code)), default=len(code))


def phone_zones(phone: str) -> tuple[str, ...]:
    """:func:`zones_for_phone`, asked on the deciding prefix only (:func:`phone_prefix_length`):
    a portfolio has a few thousand deciding prefixes, not a million numbers."""
    return zones_for_phone(phone[: phone_prefix_length(phone[:4])])


def location_key(account: Account) -> tuple[str, tuple[str, ...], str, str, str]:
    """Everything of the account that :func:`candidate_zones` reads besides its jurisdiction:
    two accounts of one jurisdiction with equal keys have the same candidate zones."""
    zip_match = _ZIP_AT_END.search(account.address)
    return (
        account.timezone,
        phone_zones(account.phone),
        account.postal_code.strip()[:3],
        zip_match.group(1)[:3] if zip_match else "",
        address_region(account.address),
    )


def candidate_zones(account: Account, default_zone: str) -> tuple[str, ...]:
    """Candidate zones for ``account``, primary first, without repeats."""
    found: list[str] = [account.timezone] if account.timezone else []
    country = account.jurisdiction.split("-", 1)[0]
    by_address: tuple[str, ...] = ()
    if country == "US":
        by_address = zones_for_zip(address_zip(account))
    if not by_address and country in REGION_COUNTRIES:
        by_address = zones_for_region(country, address_region(account.address))
    found.extend(by_address)
    by_phone = phone_zones(account.phone)
    if default_zone in by_phone:  # e.g. a UK number: London before Guernsey and Jersey
        by_phone = (default_zone, *(z for z in by_phone if z != default_zone))
    found.extend(by_phone)
    unique = tuple(dict.fromkeys(z for z in found if is_zone(z)))
    return unique or (default_zone,)


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """A cached :class:`ZoneInfo`."""
    return ZoneInfo(name)
