"""Where is the debtor (compliance/timezones.py): the ZIP prefix, the region an address ends
with, the phone's zones, their order, and the key the planner shares decisions by. Written
from the mutation run of docs/testing.md."""

from __future__ import annotations

from dunning.compliance.timezones import (
    address_region,
    address_zip,
    candidate_zones,
    location_key,
    phone_zones,
    zones_for_zip,
)

from .compliance_support import account


def test_a_zip_is_placed_by_its_first_three_digits() -> None:
    assert zones_for_zip("10001") == ("America/New_York",)
    assert zones_for_zip(" 100 ") == ("America/New_York",)  # three digits are enough
    assert zones_for_zip("100-A") == ("America/New_York",)  # only the first three are read
    assert zones_for_zip("10") == ()
    assert zones_for_zip("1A001") == ()
    assert zones_for_zip("000") == ()  # no such prefix: empty, not None


def test_the_zip_and_region_an_address_ends_with() -> None:
    assert address_zip(account(address="1 Main St, Springfield, MA 01101")) == "01101"
    assert address_zip(account(address="1 Main St, Springfield, MA 01101", postal_code=" 02108 ")) == "02108"
    assert address_zip(account(address="1 Main St")) == ""
    assert address_region("1 Main St, Los Angeles, ca") == "CA"
    assert address_region("1 Main St, Los Angeles, Ca.") == "CA"
    assert address_region("1 Main St") == ""


def test_a_subdivisions_accounts_are_placed_by_their_countrys_zip_and_region() -> None:
    # a Massachusetts account with a Los Angeles ZIP, and one with only a region
    assert candidate_zones(account(jurisdiction="US-MA", postal_code="90001", phone=""), "America/New_York") == (
        "America/Los_Angeles",
    )
    assert candidate_zones(
        account(jurisdiction="US-MA", address="1 Main St, Denver, CO", phone=""), "America/New_York"
    ) == ("America/Denver",)
    # a stated zone leads; nothing known: the jurisdiction's default
    assert candidate_zones(
        account(timezone="America/Chicago", postal_code="90001", phone="+12125550100"), "America/New_York"
    ) == ("America/Chicago", "America/Los_Angeles", "America/New_York")
    assert candidate_zones(account(phone="", address=""), "America/New_York") == ("America/New_York",)


def test_the_jurisdictions_default_zone_leads_the_zones_of_a_phone() -> None:
    uk_mobile = "+447700900123"
    assert phone_zones(uk_mobile) == ("Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London")
    assert candidate_zones(
        account(jurisdiction="GB", currency="GBP", phone=uk_mobile, address=""), "Europe/London"
    ) == (
        "Europe/London",
        "Europe/Guernsey",
        "Europe/Isle_of_Man",
    )


def test_the_location_key_holds_what_the_zones_depend_on() -> None:
    assert location_key(
        account(
            timezone="America/Chicago",
            phone="+12125550100",
            postal_code=" 90001 ",
            address="1 Main St, Boston, MA 02108",
        )
    ) == ("America/Chicago", ("America/New_York",), "900", "021", "")  # the region must end the address
    assert location_key(account(phone="+8613800000000", address="1 Main St, Toronto, on")) == (
        "",
        ("Asia/Shanghai",),
        "",
        "",
        "ON",
    )
    assert location_key(account(phone="", address="1 Main St")) == ("", (), "", "", "")
