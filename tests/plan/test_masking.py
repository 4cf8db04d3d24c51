"""The policy's ``masking:`` rules: what a customer file shows of each personal field, the
default without a section, and validate's findings for a bad rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.plan.masking import initials, keep_last, mask
from dunning.policy.model import MaskRule

HISTORY = Path(__file__).parent / "data" / "case-history.csv"
CASES = Path(__file__).parents[1] / "cases"
ACCOUNTS = str(Path(__file__).parents[2] / "examples" / "accounts.csv")


def _who(repo: Path, account: str) -> dict[str, str | None]:
    args = ["case", account, "--accounts", ACCOUNTS, "--as-of", "2026-11-30"]
    result = CliRunner().invoke(main, [*args, "--format", "json", str(repo)])
    assert result.exit_code == 0, result.output
    who: dict[str, str | None] = json.loads(result.output)["who"]
    return who


def _with_masking(example_copy: Path, section: str) -> Path:
    portfolio = example_copy / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    start = text.index("masking:\n")
    end = text.index("\njurisdictions:")
    portfolio.write_text(text[:start] + section + text[end:], encoding="utf-8")
    return example_copy


def test_the_example_policy_states_the_default(example_root: Path) -> None:
    who = _who(example_root, "US-0029")
    assert (who["name"], who["phone"], who["email"], who["address"]) == (
        "Patricia Davis", "+•••••••0129", "u•••@example.com", "29 Main St, New York, NY 10001",
    )  # fmt: skip


def test_without_a_section_phone_and_email_are_masked(example_copy: Path) -> None:
    repo = _with_masking(example_copy, "")
    assert _who(repo, "US-0029") == _who(Path(__file__).parents[2], "US-0029")


def test_every_rule_applies_to_the_file(example_copy: Path) -> None:
    section = (
        "masking:\n  name: initials\n  customer_id: hide\n  phone: {keep_last: 2}\n"
        "  email: domain\n  address: postal_code\n"
    )
    repo = _with_masking(example_copy, section)
    who = _who(repo, "US-0029")
    assert who == {
        "name": "P. D.", "customer_id": "•••", "phone": "+•••••••••29", "email": "•••@example.com",
        "address": "••• 10001", "locale": "en-US", "timezone": "America/New_York",
    }  # fmt: skip
    cn = _who(repo, "CN-0057")
    assert cn["name"] is not None and len(cn["name"]) == 2 and cn["name"].endswith("•")
    result = CliRunner().invoke(
        main, ["case", "US-0029", "--accounts", ACCOUNTS, "--as-of", "2026-11-30",
               "--format", "text", str(repo)],
    )  # fmt: skip
    assert "Patricia" not in result.output and "+12125550129" not in result.output and "29 Main St" not in result.output


def test_show_shows_the_contact_points(example_copy: Path) -> None:
    repo = _with_masking(example_copy, "masking:\n  phone: show\n  email: show\n")
    who = _who(repo, "US-0029")
    assert (who["phone"], who["email"]) == ("+12125550129", "user29@example.com")


@pytest.mark.parametrize(
    ("value", "rule", "shown"),
    [
        ("+8613812345678", MaskRule("keep_last", 4), "+•••••••••5678"),
        ("+8613812345678", MaskRule("keep_last", 0), "+•••••••••••••"),
        ("C-123456", MaskRule("keep_last", 3), "•••••456"),
        ("12345", MaskRule("keep_last", 3), "•••••"),
        ("Patricia Ann Davis", MaskRule("initials"), "P. A. D."),
        ("王芳", MaskRule("initials"), "王•"),
        ("debtor@example.com", MaskRule("first_letter_and_domain"), "d•••@example.com"),
        ("debtor@example.com", MaskRule("domain"), "•••@example.com"),
        ("no-at-sign", MaskRule("domain"), "••••••••••"),
        ("1 Main St", MaskRule("postal_code"), "•••"),
        ("anything", MaskRule("hide"), "•••"),
        ("", MaskRule("show"), None),
    ],
)
def test_mask(value: str, rule: MaskRule, shown: str | None) -> None:
    assert mask(value, rule) == shown


def test_postal_code_keeps_the_postal_code_column() -> None:
    assert mask("29 Main St, New York, NY 10001", MaskRule("postal_code"), "10001") == "••• 10001"
    assert (keep_last("+12125550142", 4), initials("Madonna")) == ("+•••••••0142", "M•")


def test_bad_rules_are_findings_at_their_position(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(CASES / "_base", repo)
    shutil.copy(CASES / "schema-masking" / "policies" / "masking.yaml", repo / "policies" / "masking.yaml")
    result = CliRunner().invoke(main, ["validate", "--format", "json", str(repo)])
    assert result.exit_code == 1
    found = [
        (p["file"], p["line"], p["col"], p["code"], p["message"], p["hint"])
        for p in json.loads(result.output)["problems"]
    ]
    hint = "a masking rule is a word or {keep_last: N}; see docs/data.md#masking-in-customer-files"
    assert found == [
        ("policies/masking.yaml", 2, 10, "S006", "'phone': keep_last must be a whole number from 0 to 8", hint),
        ("policies/masking.yaml", 3, 10, "S006",
         "'email': 'initials' is not a masking rule for email: use show, hide, first_letter_and_domain, domain "
         "or {keep_last: N}", hint),
        ("policies/masking.yaml", 5, 3, "S001", "unknown key 'nmae'", "did you mean 'name'?"),
        ("policies/masking.yaml", 6, 16, "S006",
         "'customer_id': a list is not a masking rule for customer_id: use show, hide or {keep_last: N}", hint),
    ]  # fmt: skip
