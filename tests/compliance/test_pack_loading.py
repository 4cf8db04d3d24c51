"""How a law pack file is read (compliance/packs.py `_load`), field by field, and the pack
helpers at their bounds: clock times, which value is stricter, a tightening. Written from the
mutation run of docs/testing.md (the shipped packs are read once per process, so the tests
that use them cannot see every field's reading; these read a test-only pack themselves)."""

from __future__ import annotations

import dataclasses
import re
from datetime import time
from pathlib import Path
from types import MappingProxyType

import pytest

from dunning.compliance.packs import (
    LawRule,
    Pack,
    PackError,
    _load,
    all_rules,
    clock,
    default_packs,
    effective_params,
    get_pack,
    is_stricter_or_equal,
)

PACK = """\
pack: zz
name: A test pack
applies_to: [ZZ, ZY-AB]
rules:
  - id: zz.calls
    kind: frequency
    params: {max: 3, per_days: 7}
    stricter: {max: lower, per_days: higher}
    scope: {channels: [call, sms], debt_types: [consumer], per: number, purposes: [collection],
            jurisdictions: [ZZ]}
    counts: [conversation, right_party_contact, busy]
    effect: reschedule
    citation: "Test Act s. 1"
    enforced: [plan, gate]
    description: >-
      Three calls a week,
        at most.
  - id: zz.bare
    kind: stop
    effect: exclude
    citation: "Test Act s. 2"
"""


def write(tmp_path: Path, text: str, name: str = "zz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_field_of_a_pack_is_read(tmp_path: Path) -> None:
    assert _load(write(tmp_path, PACK)) == Pack(
        "zz",
        "A test pack",
        ("ZZ", "ZY-AB"),
        (
            LawRule(
                id="zz.calls",
                pack="zz",
                kind="frequency",
                params=MappingProxyType({"max": 3, "per_days": 7}),
                stricter=MappingProxyType({"max": "lower", "per_days": "higher"}),
                channels=("call", "sms"),
                debt_types=("consumer",),
                per="number",
                purposes=("collection",),
                counts=("right_party_contact", "busy"),  # the alias read as its word, once
                effect="reschedule",
                citation="Test Act s. 1",
                enforced=("plan", "gate"),
                description="Three calls a week, at most.",
                jurisdictions=("ZZ",),
            ),
            LawRule(
                id="zz.bare",
                pack="zz",
                kind="stop",
                params=MappingProxyType({}),
                stricter=MappingProxyType({}),
                channels=(),
                debt_types=(),
                per="",
                purposes=(),
                counts=(),
                effect="exclude",
                citation="Test Act s. 2",
                enforced=(),
                description="",
                jurisdictions=(),
            ),
        ),
        "zz.yaml",
    )


def test_a_pack_that_does_not_load_says_why(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"^pack bad\.yaml does not load: \[.+\]$"):
        _load(write(tmp_path, "pack: [zz\n", "bad.yaml"))
    with pytest.raises(PackError, match=r"^pack list\.yaml does not load: \[\]$"):
        _load(write(tmp_path, "- a\n- b\n", "list.yaml"))
    unknown = PACK.replace("per_days: higher", "per_days: longer")
    with pytest.raises(PackError, match=re.escape("pack zz.yaml: rule zz.calls has unknown directions ['longer']")):
        _load(write(tmp_path, unknown))
    with pytest.raises(PackError, match=re.escape("pack file other.yaml declares id 'zz'")):
        _load(write(tmp_path, PACK, "other.yaml"))


def test_a_shipped_pack_finds_its_rules_by_id() -> None:
    cn = get_pack("cn")
    assert cn is not None
    assert cn.rule("cn.complaint") == all_rules()["cn.complaint"]
    assert cn.rule("cn.no-such-rule") is None
    assert default_packs("US-MA") == ("us-ma", "us-regf")  # its own and its country's
    assert default_packs("US") == ("us-regf",)


def test_clock_times() -> None:
    assert clock("08:30") == time(8, 30)
    assert clock("8") == time(8, 0)  # the minutes may be left out
    assert clock("24:00") == time.max
    assert clock("24") == time.max


def test_an_equal_value_is_as_strict() -> None:
    for direction in ("later", "earlier"):
        assert is_stricter_or_equal(direction, "08:00", "08:00") is True
    for direction in ("higher", "lower"):
        assert is_stricter_or_equal(direction, 7, "7") is True
    assert is_stricter_or_equal("later", "08:01", "08:00") is True
    assert is_stricter_or_equal("earlier", "08:01", "08:00") is False
    assert is_stricter_or_equal("higher", "6.5", 7) is False
    assert is_stricter_or_equal("lower", "6.5", 7) is True


def test_a_tightening_skips_what_it_cannot_read_and_goes_on() -> None:
    rule = dataclasses.replace(
        all_rules()["cn.repeated-refusal"],  # times: 2 (lower), within_days: 7 (higher), days: 7 (higher)
        stricter=MappingProxyType({"times": "lower", "within_days": "higher", "days": "higher", "window": "higher"}),
    )
    tightened = effective_params(rule, {"colour": 1, "window": 3, "times": "many", "within_days": 10, "days": 6})
    assert dict(tightened) == {"times": 2, "within_days": 10, "days": 7, "timezone": "Asia/Shanghai"}
