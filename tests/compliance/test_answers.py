"""What the contact engine answers (compliance/answers.py): a reason as plain data in contract
order, a verdict's `allowed`, and which channel and purpose a stop blocks. Written from the
mutation run of docs/testing.md."""

from __future__ import annotations

from dunning.compliance.answers import Reason, Stop, Verdict

CEASE = Reason("us-regf.cease", "us-regf.cease", "12 CFR 1006.6(c)", "the debtor asked us to stop")


def test_a_reason_as_plain_data_in_contract_order() -> None:
    assert list(CEASE.as_dict().items()) == [
        ("code", "us-regf.cease"),
        ("rule", "us-regf.cease"),
        ("citation", "12 CFR 1006.6(c)"),
        ("message", "the debtor asked us to stop"),
    ]


def test_only_an_allow_verdict_is_allowed() -> None:
    assert Verdict("allow", "allow", None, ()).allowed is True
    assert Verdict("reschedule", "allow", None, (CEASE,)).allowed is False
    assert Verdict("suppress", "suppress", None, (CEASE,)).allowed is False


def test_a_stop_blocks_its_channels_but_the_purposes_it_allows() -> None:
    cease = Stop("exclude", (), CEASE, True, ("notice",))
    assert cease.blocks("letter") is True  # no purpose given: blocked
    assert cease.blocks("letter", "notice") is False
    assert cease.blocks("letter", "collection") is True
    sms_only = Stop("suppress", ("sms",), CEASE, True)
    assert sms_only.blocks("sms", "notice") is True  # it allows no purpose
    assert sms_only.blocks("call") is False
    assert sms_only.blocks("call", "collection") is False
