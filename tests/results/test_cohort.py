"""The report's groups without planning: every account's tier and arm on a day are those
``dunning plan --as-of D`` writes in ``plans.jsonl``, and the rejected rows are the same.

The policy is the example one with a tier ladder that uses every bound a tier has (days
past due, amounts per currency and by default, products, segments, jurisdictions with a
subdivision) and the example's experiment; the snapshot mixes CN and US accounts over every
tier, with a duplicate id (the later line is rejected), rows the contract rejects and
balances on and around each threshold.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.policy import require_policy
from dunning.results.cohort import assign

TIERS = """\
tiers:
  - {id: reminder, dpd: {min: 1, max: 7}}
  - id: early-big
    dpd: {min: 8, max: 30}
    amount: {min: {CNY: 5000, USD: 700}}
    jurisdictions: [CN, US]
    strategy: early
  - {id: early, dpd: {min: 8, max: 30}}
  - {id: mid-ma, dpd: {min: 31, max: 60}, jurisdictions: [US-MA], strategy: mid}
  - {id: mid-cn, dpd: {min: 31, max: 60}, jurisdictions: [CN], products: [installment], strategy: mid}
  - {id: mid, dpd: {min: 31, max: 60}, segments: [retail, sme], amount: {max: 20000}}
  - {id: late, dpd: {min: 31, max: 90}, amount: {min: 100.005, max: {USD: 9000}}}
  - {id: recovery, dpd: {min: 91, max: null}}
"""
HEADER = (
    "account_id,jurisdiction,currency,overdue_amount,due_date,phone,product,segment,creditor,itemization_date,"
    "itemization_amount,interest_since_itemization,fees_since_itemization,payments_since_itemization,"
    "credits_since_itemization"
)
# the Regulation F itemization a US account carries (without it the row is rejected, R018)
ITEMIZATION = "Example Bank,2026-10-23,300.00,0.00,0.00,0.00,0.00"
AS_OF = date(2026, 11, 28)


def _snapshot(path: Path) -> None:
    rows = [HEADER]
    places = [("CN", "CNY", "+86138000{:05d}"), ("US", "USD", "+1212555{:04d}"), ("US-MA", "USD", "+1617555{:04d}")]
    amounts = ["0.00", "99.99", "100.00", "100.01", "699.99", "700.00", "4999.99", "5000.00", "9000.00", "9000.01",
               "20000.00", "20000.01", "150000.00"]  # fmt: skip
    products = ["installment", "card", ""]
    segments = ["retail", "sme", "vip"]
    n = 0
    for dpd in (-3, 0, 1, 7, 8, 30, 31, 45, 60, 61, 90, 91, 400):
        for j, (jurisdiction, currency, phone) in enumerate(places):
            for k, amount in enumerate(amounts):
                due = AS_OF - timedelta(days=dpd)
                product, segment = products[(k + j) % 3], segments[(k + dpd) % 3]
                itemized = ITEMIZATION if currency == "USD" else ",,,,,,"
                rows.append(
                    f"A{n:05d},{jurisdiction},{currency},{amount},{due},{phone.format(n % 10000)},{product},{segment},"
                    + itemized
                )
                n += 1
    empty = ",,," + ",,,,,,"
    rows.append("A00007,CN,CNY,1.00,2026-11-01" + empty)  # a duplicate id: the later line is rejected
    rows.append("B00001,XX,CNY,1.00,2026-11-01" + empty)  # a jurisdiction the policy does not serve
    rows.append("B00002,CN,CNY,abc,2026-11-01" + empty)  # an amount that is no number
    rows.append("B00003,CN,CNY,10.00,2026-13-01" + empty)  # no such date
    rows.append("B00004,US,USD,10.00,2026-11-01" + empty)  # a US account without its itemization
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@pytest.fixture
def repo(example_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (example_copy / "policies" / "tiers.yaml").write_text(TIERS, encoding="utf-8")
    _snapshot(example_copy / "accounts.csv")
    monkeypatch.chdir(example_copy)
    return example_copy


def test_tier_and_arm_are_those_the_plan_writes(repo: Path) -> None:
    result = CliRunner().invoke(
        main, ["plan", "--accounts", "accounts.csv", "--as-of", str(AS_OF), "--out", "out", "--quiet", "."]
    )
    assert result.exit_code == 0, result.output
    plans = [json.loads(line) for line in Path("out/plans.jsonl").read_text(encoding="utf-8").splitlines()]
    summary = json.loads(Path("out/summary.json").read_text(encoding="utf-8"))
    cohort = assign(require_policy(Path(".")), Path("."), Path("accounts.csv"), AS_OF)
    found = cohort.accounts.select("account_id", "tier", "arm", "jurisdiction", "currency", "overdue").rows()
    expected = [
        (p["account_id"], p["tier"], p["arm"], p["jurisdiction"], p["currency"], p["overdue_amount"]) for p in plans
    ]
    assert [(a, t, arm, j, c, str(o)) for a, t, arm, j, c, o in found] == [
        (a, t, arm, j, c, f"{float(o):.6f}") for a, t, arm, j, c, o in expected
    ]
    assert cohort.rejected == summary["rejected"] == 5
    # every tier and both arms are reached, so the comparison covers each bound
    assert {p["tier"] for p in plans} == {None, "reminder", "early-big", "early", "mid-ma", "mid-cn", "mid", "late",
                                           "recovery"}  # fmt: skip
    assert {p["arm"] for p in plans} == {None, "champion", "challenger"}
    strategies = dict(cohort.accounts.select("tier", "strategy").unique().rows())
    assert strategies["early-big"] == "early" and strategies["mid-ma"] == "mid"
