"""``dunning simulate``: daily counts checked by hand on a policy whose windows are open every
day, simulated in March 2026 (no public holiday in China). Day 1 is Monday 2026-03-02.

A1 (due 2026-03-01, dpd 1 on the first day) runs the whole `early` cadence, then `late`:
  dpd 1 sms 03-02 · dpd 3 call 03-04 · dpd 5 email 03-06 · dpd 7 letter 03-08 ·
  dpd 10/15/20 calls 03-11, 03-16, 03-21 · dpd 31 letter 04-01 (tier late from 04-01).
A2 (product `capped`) has a call due every day for dpd 1-4 and a cap of one call in any two
days: 03-02 scheduled; 03-03 refused (03-02 is one day before) → deferred to 03-04;
03-04 refused (the deferred call sits on 03-04; 03-05 is next to it) → 03-06;
03-05 refused on 03-05, 03-06, 03-07 → 03-08. Calls are made on 03-02, 03-04, 03-06, 03-08.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning import workers
from dunning.cli import main
from dunning.policy import require_policy
from dunning.review.simulate import cures, simulate

FIXTURE = Path(__file__).parent / "fixtures" / "sim"
START = date(2026, 3, 2)
HEADER = "account_id,jurisdiction,currency,overdue_amount,due_date,email,product,timezone,phone,address\n"
A1 = "A1,CN,CNY,1000.00,2026-03-01,a1@example.cn,,Asia/Shanghai,+8613800000001,上海市1号\n"
A2 = "A2,CN,CNY,1000.00,2026-03-01,,capped,Asia/Shanghai,+8613800000002,上海市2号\n"


def _accounts(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "accounts.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _day(n: int) -> str:
    return (START + timedelta(days=n - 1)).isoformat()


def test_one_account_through_the_whole_cadence(tmp_path: Path) -> None:
    forecast = simulate(require_policy(FIXTURE), _accounts(tmp_path, A1), START, 32)
    made = {key: n for key, n in forecast.load.items() if n}
    assert made == {
        ("2026-03-02", "sms"): 1,
        ("2026-03-04", "call"): 1,
        ("2026-03-06", "email"): 1,
        ("2026-03-08", "letter"): 1,
        ("2026-03-11", "call"): 1,
        ("2026-03-16", "call"): 1,
        ("2026-03-21", "call"): 1,
        ("2026-04-01", "letter"): 1,
    }
    # Every action was made on its due day: all scheduled, none deferred or suppressed.
    assert {(d, ch, s) for (d, ch, s), n in forecast.actions.items() if n} == {(d, ch, "scheduled") for d, ch in made}
    tiers = {(d, t): n for (d, t, _status), n in forecast.tiers.items() if n}
    assert [t for (d, t) in sorted(tiers)] == ["early"] * 30 + ["late"] * 2
    assert tiers[("2026-03-31", "early")] == 1 and tiers[("2026-04-01", "late")] == 1
    assert forecast.peaks()["all"] == {"day": "2026-03-02", "contacts": 1}


def test_caps_defer_calls_to_the_right_day(tmp_path: Path) -> None:
    forecast = simulate(require_policy(FIXTURE), _accounts(tmp_path, A2), START, 10)
    assert {k: n for k, n in forecast.actions.items() if n} == {
        ("2026-03-02", "call", "scheduled"): 1,
        ("2026-03-03", "call", "deferred"): 1,
        ("2026-03-04", "call", "deferred"): 1,
        ("2026-03-05", "call", "deferred"): 1,
    }
    assert {d for (d, _ch), n in forecast.load.items() if n} == {_day(1), _day(3), _day(5), _day(7)}


def test_cure_rate_drops_accounts_from_the_second_day(tmp_path: Path) -> None:
    policy = require_policy(FIXTURE)
    accounts = _accounts(tmp_path, A1, A2)
    everyone = simulate(policy, accounts, START, 5, cure_rate=Decimal(1), seed=3)
    # The first day is the snapshot as it is; with a rate of 1 both pay on day 2.
    assert dict(everyone.cured) == {_day(2): 2}
    assert sum(everyone.load.values()) == 2  # A1's text and A2's call on day 1
    nobody = simulate(policy, accounts, START, 5, cure_rate=Decimal(0), seed=3)
    assert sum(nobody.cured.values()) == 0
    assert nobody.load == simulate(policy, accounts, START, 5).load


def test_cure_draws_are_stable_per_seed_account_and_day() -> None:
    draws = [cures(42, "A1", date(2026, 3, d), Decimal("0.5")) for d in range(1, 11)]
    assert draws == [cures(42, "A1", date(2026, 3, d), Decimal("0.5")) for d in range(1, 11)]
    assert len(set(draws)) == 2  # not constant
    rate = sum(cures(7, f"A{i}", date(2026, 3, 2), Decimal("0.2")) for i in range(2000)) / 2000
    assert 0.17 < rate < 0.23


def test_cli_writes_csv_summary_and_deterministic_charts(tmp_path: Path) -> None:
    policy_root = tmp_path / "repo"
    shutil.copytree(FIXTURE, policy_root)
    accounts = _accounts(tmp_path, A1, A2)
    outs = []
    for name in ("one", "two"):
        out = tmp_path / name
        result = CliRunner().invoke(
            main,
            [
                "simulate",
                "--accounts",
                str(accounts),
                "--from",
                "2026-03-02",
                "--days",
                "10",
                "--out",
                str(out),
                str(policy_root),
            ],
        )
        assert result.exit_code == 0, result.stderr
        outs.append(out)
    assert result.stdout == (
        f"simulated 2 accounts over 10 days from 2026-03-02 (rejected 0, cured 0); busiest day 2026-03-02 "
        f"with 2 contacts; wrote {outs[1]}/\n"
    )
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == ["channels.csv", "load.png", "load.svg", "summary.json", "tiers.csv", "tiers.png", "tiers.svg"]
    for name in names:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    rows = list(csv.DictReader((outs[0] / "channels.csv").open(encoding="utf-8")))
    assert rows[0] == {
        "day": "2026-03-02", "channel": "sms", "scheduled": "1",
        "deferred": "0", "suppressed": "0", "contacts_made": "1",
    }  # fmt: skip
    call_days = [(r["day"], r["scheduled"], r["deferred"], r["contacts_made"]) for r in rows if r["channel"] == "call"]
    assert call_days[:5] == [
        ("2026-03-02", "1", "0", "1"),
        ("2026-03-03", "0", "1", "0"),
        ("2026-03-04", "1", "1", "2"),  # A1's day-3 call and A2's deferred one: the cap is per debt
        ("2026-03-05", "0", "1", "0"),
        ("2026-03-06", "0", "0", "1"),
    ]
    summary = json.loads((outs[0] / "summary.json").read_text(encoding="utf-8"))
    assert summary["peak"]["call"] == {"contacts": 2, "day": "2026-03-04"}
    assert b"<dc:date>" not in (outs[0] / "load.svg").read_bytes()


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    accounts = _accounts(tmp_path, A1)
    base = ["simulate", "--accounts", str(accounts), "--days", "3", str(FIXTURE)]
    result = CliRunner().invoke(main, [*base, "--from", "2026-03-02", "--cure-rate", "1.5"])
    assert result.exit_code == 2 and "--cure-rate '1.5' is not a probability" in result.stderr
    result = CliRunner().invoke(main, [*base, "--from", "March 2"])
    assert result.exit_code == 2 and "--from 'March 2' is not a date" in result.stderr


def test_forecast_files_for_the_handbook(tmp_path: Path) -> None:
    from dunning.review.forecast import forecast_files

    files = forecast_files(require_policy(FIXTURE), _accounts(tmp_path, A1, A2), START, 10)
    assert sorted(files) == [
        "forecast.md",
        "forecast/load.png",
        "forecast/load.svg",
        "forecast/tiers.png",
        "forecast/tiers.svg",
    ]
    page = files["forecast.md"].decode("utf-8").splitlines()
    assert page[0] == "# Forecast"
    assert "| call | 3 | 3 | 0 | 6 | 2026-03-04 | 2 |" in page
    assert "Busiest day: **2026-03-02** with 2 contacts." in page
    assert "![Contacts made per day](forecast/load.svg)" in page


def test_two_workers_give_what_one_process_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dunning.review import simulate as simulate_module

    monkeypatch.setattr(simulate_module, "CHUNK_ROWS", 1)  # a chunk per account; A1 repeated
    monkeypatch.setattr(workers, "cap", lambda: 2)  # two workers, whatever the machine
    accounts = _accounts(tmp_path, A1, A2, A1)
    policy = require_policy(FIXTURE)
    alone = simulate(policy, accounts, START, 12, cure_rate=Decimal("0.2"), seed=3, jobs=1)
    pooled = simulate(policy, accounts, START, 12, cure_rate=Decimal("0.2"), seed=3, jobs=2)
    assert pooled == alone
    assert (alone.accounts_in, alone.rejected) == (3, 1)
