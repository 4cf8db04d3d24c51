"""The US validation notice: `dunning plan` + `dunning render` of the bundled `letter-notice.en-US`
give golden bytes holding every element of 12 CFR 1006.34(c), and T013 names what a notice lacks."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from dunning.cli import main

GOLDEN = Path(__file__).parent / "golden-notice" / "VN-0001-reminder-letter1-20261130.html"
CASES = Path(__file__).resolve().parents[1] / "cases"
ACCOUNTS = (
    "account_id,name,locale,jurisdiction,currency,overdue_amount,due_date,timezone,phone,email,address,postal_code,"
    "product,creditor,original_creditor,itemization_date,itemization_amount,interest_since_itemization,"
    "fees_since_itemization,payments_since_itemization,credits_since_itemization\n"
    'VN-0001,Jordan Example,en-US,US,USD,1284.37,2026-11-29,America/New_York,+12125550199,jordan@example.com,"12 Elm '
    'St, Apt 3, Albany, NY 12207",12207,card,"Example Bank, N.A.",Acme Retail Card Services,2026-09-30,1200.00,64.37,'
    "35.00,10.00,5.00\n"
)


def _rendered_notice(example_root: Path, tmp_path: Path) -> bytes:
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(ACCOUNTS, encoding="utf-8")
    out = tmp_path / "out"
    plan = ["plan", "--accounts", str(accounts), "--as-of", "2026-11-30", "--out", str(out), "--quiet"]
    planned = CliRunner().invoke(main, [*plan, str(example_root)])
    assert planned.exit_code == 0, planned.output
    rendered = CliRunner().invoke(main, ["render", "--plans", str(out), "--no-pdf", "--quiet", str(example_root)])
    assert rendered.exit_code == 0, rendered.output
    return (out / "messages" / "letters" / "archive" / GOLDEN.name).read_bytes()


def test_the_notice_has_every_element_and_its_golden_bytes(example_root: Path, tmp_path: Path) -> None:
    html = _rendered_notice(example_root, tmp_path)
    assert html == GOLDEN.read_bytes()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html.decode()))
    for element in (
        # (c)(1) and (c)(2)(i)-(ii): who collects, from whom, and where both are
        "Example Consumer Finance, Inc. is a debt collector.",
        "This communication is from a debt collector.",
        "Mail this form to: Example Consumer Finance, Inc. 100 Market Street, Suite 400, Wilmington, DE 19801",
        "Jordan Example 12 Elm St, Apt 3, Albany, NY 12207",
        # (c)(2)(iii)-(v): the creditor then, the account number, the creditor now
        "You had an account from Acme Retail Card Services with account number ****0001.",
        "a debt that you owe to Example Bank, N.A. We will use",
        # (c)(2)(vi)-(ix): the itemization and the current amount
        "As of September 30, 2026, you owed: $1,200.00",
        "Between September 30, 2026 and today:",
        "You were charged this amount in interest: + $64.37",
        "You were charged this amount in fees: + $35.00",
        "You paid this amount toward the debt: – $10.00",
        "You were credited this amount toward the debt: – $5.00",
        "Total amount of the debt now: $1,284.37",
        # (c)(3): the validation period's end (5 business days after sending + 30 days), rights, how to dispute
        "Call or write to us by January 6, 2027, to dispute all or part of the debt.",
        "we must stop collection on any amount you dispute until we send you information that shows you owe the debt",
        "We accept disputes electronically at collections@example-finance.com.",
        "Write to ask for the name and address of the original creditor",
        "Go to www.cfpb.gov/debt-collection to learn more about your rights under federal law.",
        # (c)(4): the consumer-response section
        "How do you want to respond?",
        "☐ This is not my debt. ☐ The amount is wrong.",
    ):
        assert element in text, element


def test_t013_names_each_missing_element_with_its_paragraph(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "_base", repo)
    shutil.copytree(CASES / "template-validation-notice", repo, dirs_exist_ok=True)
    result = CliRunner().invoke(main, ["validate", str(repo)])
    assert result.exit_code == 1
    found = [line for line in result.output.splitlines() if " T013 " in line]
    assert found[0] == (
        "templates/email/email-notice.en-US.j2:1:1: error T013 email template 'email-notice' (en-US) is the US "
        "validation notice but lacks the CFPB website reference (1006.34(c)(3)(iv)) (12 CFR 1006.34(c))"
    )
    assert found[1].startswith(
        "templates/letter/letter-notice.en-US.j2:1:1: error T013 letter template 'letter-notice' (en-US) is the US "
        "validation notice but lacks the debt collector's name (1006.34(c)(2)(i)); the consumer's mailing address "
        "(1006.34(c)(2)(ii)); the creditor on the itemization date (1006.34(c)(2)(iii)); the account number "
        "(1006.34(c)(2)(iv)); the current creditor (1006.34(c)(2)(v)); the itemization date (1006.34(c)(2)(vi)); "
    )
    # the letter gives the validation end date and the disclosure: those are not reported
    assert "the end of the validation period" not in found[1] and "debt-collector disclosure" not in found[1]
