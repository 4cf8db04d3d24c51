"""Is a national number valid under its country calling code? libphonenumber's answer, compiled.

``phonenumbers.is_valid_number`` walks a region's number descriptions one by one (premium
rate, toll free, …, fixed line, mobile), each a length test and a regular expression, in
Python: some 60 µs a number. A gate request carries a new phone number each time, so that
walk was the biggest single cost of answering one. The verdict it computes is

    valid ⇔ the general description matches ∧ some type description matches

(``_number_type_helper`` returns UNKNOWN exactly when no type matches), and for a calling
code shared by several regions (+1, +7, +44 …) the region is the first in metadata order
whose leading digits match the number, or — for a region without leading digits — whose
types match it (``_region_code_for_number_from_list``). This module builds that same test
once per region and length from the same metadata: one expression per (region, length)
whose alternatives are the type patterns admitting that length, guarded by the general
pattern. ``tests/accounts/test_numbering.py`` holds it equal to ``phonenumbers`` over every
calling code.

Only national numbers without a leading zero come here (:func:`valid_national`'s callers
send the rest to ``phonenumbers.parse``): a leading zero is an Italian-style leading zero
in libphonenumber's model, which this compiled form does not describe.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata

# The order _number_type_helper tries them in; which one matches does not matter here,
# only whether one does. (When fixed line and mobile share a pattern, mobile adds nothing.)
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
_NON_GEO = phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY


class _Region:
    """One region's validity test, compiled per national-number length."""

    def __init__(self, metadata: Any, code: int, non_geo: bool) -> None:
        general = metadata.general_desc
        # is_valid_number_for_region refuses a region whose own calling code is another
        # (a region listed under a second code); it can still claim the number first
        self.foreign = not non_geo and metadata.country_code != code
        self.leading = re.compile(metadata.leading_digits) if metadata.leading_digits is not None else None
        self._general_lengths = _lengths(general)
        self._general = _pattern(general)
        self._types = [
            (_lengths(desc), pattern)
            for name in _TYPES
            if (desc := getattr(metadata, name)) is not None and (pattern := _pattern(desc)) is not None
        ]
        self._by_length: dict[int, re.Pattern[str] | None] = {}

    def valid(self, national: str) -> bool:
        """True when ``national`` is a valid number of this region (libphonenumber's validity)."""
        return not self.foreign and self.typed(national)

    def typed(self, national: str) -> bool:
        """True when ``national`` has a number type in this region's metadata."""
        size = len(national)
        if size in self._by_length:
            compiled = self._by_length[size]
        else:
            compiled = self._by_length[size] = self._compile(size)
        return compiled is not None and compiled.fullmatch(national) is not None

    def _compile(self, size: int) -> re.Pattern[str] | None:
        if self._general is None or (self._general_lengths and size not in self._general_lengths):
            return None
        # a type without lengths of its own admits every length of the general description
        alternatives = [p for lengths, p in self._types if not lengths or size in lengths]
        if not alternatives:
            return None
        # fullmatch of (?=general$)(?:t1|t2|…): the general pattern matches the whole number
        # and so does one of the types — _match's two tests (match, then fullmatch) in one
        return re.compile(f"(?=(?:{self._general})$)(?:{'|'.join(f'(?:{p})' for p in alternatives)})")


def _lengths(desc: Any) -> frozenset[int]:
    return frozenset(desc.possible_length or ())


def _pattern(desc: Any) -> str | None:
    pattern = desc.national_number_pattern
    return pattern if pattern else None  # an empty pattern matches nothing in libphonenumber


@cache
def _regions(code: int) -> tuple[_Region, ...]:
    """The compiled regions of calling code ``code`` in metadata order (empty: unknown code)."""
    out = []
    for region in COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
        non_geo = region == _NON_GEO
        if non_geo:
            metadata = PhoneMetadata.metadata_for_nongeo_region(code, None)
        else:
            metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
        if metadata is not None:
            out.append(_Region(metadata, code, non_geo))
    return tuple(out)


def valid_national(code: int, national: str) -> bool:
    """``phonenumbers.is_valid_number`` for ``+code national`` (``national`` digits, no leading 0)."""
    regions = _regions(code)
    if len(regions) == 1:
        return regions[0].valid(national)
    for region in regions:
        # the first region that claims the number decides, valid for it or not
        if region.leading is not None:
            if region.leading.match(national):
                return region.valid(national)
        elif region.typed(national):
            return region.valid(national)
    return False
