"""Postal address blocks by country convention.

The account snapshot carries one ``address`` line (street and locality, as the lender's
system holds it) and a separate ``postal_code``. How they go on an envelope differs:

- US, CA, AU: the postal code ends the last line ("Springfield, IL 62701"); a block that
  repeats the ZIP on a line of its own breaks USPS automation (the OCR reads the last line as
  the city/state/ZIP line). Commas split the address into the street line(s) and that last
  line (the last two comma parts: city and "ST ZIP").
- CN, JP, KR, TW: largest to smallest: the postal code first, then the address, then the
  recipient's name (China Post's envelope layout; Japan and Korea likewise).
- everywhere else (GB, the UPU default): name, the address lines, the postal code on a line
  of its own at the end.

In every convention the postal code is printed once: when the address line already holds it
(as US snapshots usually do), it is not added again.
"""

from __future__ import annotations

from dunning.text.cells import clean_text

POSTCODE_LAST_LINE = frozenset({"US", "CA", "AU"})
POSTCODE_FIRST = frozenset({"CN", "JP", "KR", "TW"})


def address_block(country: str, name: str, address: str, postal_code: str) -> list[str]:
    """The recipient block's lines, in print order, for a letter posted in ``country``."""
    name, address, postal_code = clean_text(name).strip(), clean_text(address).strip(), clean_text(postal_code).strip()
    has_code = bool(postal_code) and postal_code in address
    if country in POSTCODE_FIRST:
        return [line for line in (postal_code if not has_code else "", address, name) if line]
    parts = [part.strip() for part in address.split(",") if part.strip()]
    if country in POSTCODE_LAST_LINE:
        lines = [*parts[:-2], ", ".join(parts[-2:])] if len(parts) >= 3 else parts
        if postal_code and not has_code:
            if lines:
                lines[-1] = f"{lines[-1]} {postal_code}"
            else:
                lines = [postal_code]
        return [line for line in (name, *lines) if line]
    return [line for line in (name, *parts, postal_code if not has_code else "") if line]
