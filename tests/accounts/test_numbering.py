"""The compiled validity test agrees with libphonenumber's own, calling code by calling code."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE
from phonenumbers.phonemetadata import PhoneMetadata

from dunning.accounts.numbering import valid_national


def _expected(code: int, national: str) -> bool:
    return bool(
        phonenumbers.is_valid_number(phonenumbers.PhoneNumber(country_code=code, national_number=int(national)))
    )


def _examples(code: int) -> list[str]:
    """Every example number libphonenumber's metadata gives for the code's regions."""
    out = []
    for region in COUNTRY_CODE_TO_REGION_CODE[code]:
        if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY:
            metadata = PhoneMetadata.metadata_for_nongeo_region(code, None)
        else:
            metadata = PhoneMetadata.metadata_for_region(region, None)
        for name in (
            "fixed_line",
            "mobile",
            "toll_free",
            "premium_rate",
            "shared_cost",
            "voip",
            "personal_number",
            "pager",
            "uan",
            "voicemail",
        ):
            desc = getattr(metadata, name, None) if metadata else None
            if desc is not None and desc.example_number:
                out.append(desc.example_number)
    return out


@pytest.mark.parametrize("code", sorted(COUNTRY_CODE_TO_REGION_CODE))
def test_agrees_with_phonenumbers(code: int) -> None:
    rng = random.Random(code)
    examples = _examples(code)
    samples = set(examples)
    # each example with its last digits varied and with a digit more or less, plus random
    # numbers of every length from 4 to 14 digits
    for example in examples:
        for _ in range(20):
            cut = rng.randrange(1, len(example) + 1)
            samples.add(example[:-cut] + "".join(rng.choice("0123456789") for _ in range(cut)))
        samples.add(example + rng.choice("0123456789"))
        samples.add(example[:-1])
    for size in range(4, 15):
        for _ in range(15):
            samples.add(rng.choice("123456789") + "".join(rng.choice("0123456789") for _ in range(size - 1)))
    samples = {s for s in samples if s and s[0] != "0"}
    verdicts = {s: valid_national(code, s) for s in sorted(samples)}
    assert verdicts == {s: _expected(code, s) for s in sorted(samples)}
    if any(e[0] != "0" for e in examples):  # the metadata's examples are valid: both verdicts seen
        assert any(verdicts.values())


def test_known_verdicts() -> None:
    assert valid_national(86, "13812345678") is True
    assert valid_national(1, "4155550123") is True  # US
    assert valid_national(1, "6135550123") is True  # CA: US does not claim it, Canada does
    assert valid_national(1, "2120123456") is False  # an exchange code never starts with 0
    assert valid_national(44, "7400123456") is True  # GB mobile: the first of +44's regions
    assert valid_national(999, "12345678") is False  # no such calling code
