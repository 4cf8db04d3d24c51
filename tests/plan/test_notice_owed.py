"""A US account first seen in any tier gets its validation notice there (docs/cadence.md).

With a history that records sends, Regulation F's hold (``us-regf.validation-notice-first``)
stops every communication to a US account until a validation notice has gone out. Before
this, only the reminder tier sent one: a US account first seen on day 8 or later (a book
bought late, a first run on a live portfolio, a notice that came back) waited for it for
good and heard nothing at all. Each tier of the example now has a ``required`` notice step
for US accounts; it is skipped for an account that already had a notice in this arrears,
and, without a history of sends, because the reminder tier's day-1 notice is assumed sent.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dunning.accounts.model import Account, Contact
from dunning.cli import main
from dunning.plan.decide import Planner
from dunning.policy.model import Policy
from dunning.state import account_state

from .backlog_support import DUE, brief, on, plan
from .plan_support import account

ROOT = Path(__file__).resolve().parents[2]
_EST = datetime.fromisoformat("2026-01-01T00:00:00-05:00").tzinfo
WAITING = ("step/waiting/letter-notice", "us-regf.validation-notice-first")


def us(policy: Policy) -> Account:
    return account(policy, due_date=DUE.isoformat(), overdue_amount="500.00", phone="+12125550142",
                   email="t@example.com")  # fmt: skip


def letter(action_id: str, day: date, event: str = "sent") -> Contact:
    return Contact("T-0001", datetime(day.year, day.month, day.day, 15, tzinfo=_EST), "letter", event,
                   action_id=action_id)  # fmt: skip


def test_first_seen_in_early_the_notice_goes_and_the_rest_waits_for_it(policy: Policy) -> None:
    # day 16 (Wednesday 17 June): the notice of day 8 is caught up; the text of day 8 is past
    # its window; the call of day 14 and the email of day 14 wait for the notice
    assert brief(plan(policy, us(policy), 16)) == [
        ("T-0001-early-letter8-20260609", "scheduled", ("step/early/letter@8", "step/catch-up")),
        ("T-0001-early-sms8-20260609", "suppressed", ("step/early/sms@8", "step/missed")),
        ("T-0001-early-call10-20260615", "suppressed", ("step/early/call@10", "step/catch-up", *WAITING)),
        ("T-0001-early-email14-20260615", "suppressed", ("step/early/email@14", "step/catch-up", *WAITING)),
    ]
    # the notice went out that day: the next day the call and the email are caught up
    sent = [letter("T-0001-early-letter8-20260609", on(16))]
    assert brief(plan(policy, us(policy), 17, sent)) == [
        ("T-0001-early-call10-20260615", "scheduled", ("step/early/call@10", "step/catch-up")),
        ("T-0001-early-email14-20260615", "scheduled", ("step/early/email@14", "step/catch-up")),
    ]


def test_a_notice_sent_in_the_reminder_tier_is_not_sent_again(policy: Policy) -> None:
    sent = [letter("T-0001-reminder-letter1-20260602", on(1))]
    assert brief(plan(policy, us(policy), 8, sent)) == [
        ("T-0001-early-sms8-20260609", "scheduled", ("step/early/sms@8",)),
    ]
    trace: list[str] = []
    Planner(policy, on(8), 0, tracks_sent=True).plan(us(policy), sent, trace)
    assert (
        "step/early/letter@8 due 2026-06-09: not taken (notice/validation-sent: letter-notice on 2026-06-02)" in trace
    )


def test_a_notice_of_an_earlier_arrears_does_not_count(policy: Policy) -> None:
    # sent on 2 March, before this arrears fell due (1 June): owed again, and the stricter
    # reading holds the calls and the email until the new one is sent
    sent = [letter("T-0001-reminder-letter1-20260302", date(2026, 3, 2))]
    assert brief(plan(policy, us(policy), 16, sent)) == [
        ("T-0001-early-letter8-20260609", "scheduled", ("step/early/letter@8", "step/catch-up")),
        ("T-0001-early-sms8-20260609", "suppressed", ("step/early/sms@8", "step/missed")),
        ("T-0001-early-call10-20260615", "suppressed", ("step/early/call@10", "step/catch-up", *WAITING)),
        ("T-0001-early-email14-20260615", "suppressed", ("step/early/email@14", "step/catch-up", *WAITING)),
    ]


def test_a_returned_notice_is_owed_again_but_not_to_the_returned_address(policy: Policy) -> None:
    sent = [letter("T-0001-reminder-letter1-20260602", on(1))]
    returned = [*sent, letter("T-0001-reminder-letter1-20260602", on(5), "returned_mail")]
    assert brief(plan(policy, us(policy), 8, returned)) == [
        ("T-0001-early-letter8-20260609", "suppressed", ("step/early/letter@8", "data/address-returned")),
        ("T-0001-early-sms8-20260609", "suppressed", ("step/early/sms@8", *WAITING)),
    ]


def test_without_sent_events_the_tiers_notice_stands_down(policy: Policy) -> None:
    # nothing records sends: the reminder tier's day-1 notice is assumed sent, as every step is
    untracked = Planner(policy, on(8), 0).plan(us(policy), [])
    assert [(a.id, a.status) for a in untracked.actions] == [("T-0001-early-sms8-20260609", "scheduled")]


def test_a_cn_account_is_not_owed_the_us_notice(policy: Policy) -> None:
    cn = account(policy, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", phone="+8613812345678",
                 address="上海市浦东新区世纪大道1号", due_date=DUE.isoformat(), overdue_amount="3000.00")  # fmt: skip
    assert [a.id for a in plan(policy, cn, 16).actions if "letter8" in a.id] == []


# ----------------------------------------------------------------------------------- CLI
@pytest.fixture
def repo(example_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example, with a history that records one send: US-0006's day-1 notice."""
    shutil.copy(ROOT / "examples" / "accounts.csv", example_copy / "accounts.csv")
    with (ROOT / "examples" / "history.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = [*rows[0], "action_id"]
    with (example_copy / "history.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, columns)
        out.writeheader()
        out.writerows(rows)
        out.writerow({"account_id": "US-0006", "at": "2026-11-21T15:00:00-05:00", "channel": "letter",
                      "outcome": "sent", "action_id": "US-0006-reminder-letter1-20261121"})  # fmt: skip
    monkeypatch.chdir(example_copy)
    return example_copy


def _actions(as_of: str, out: str) -> dict[str, list[tuple[str, ...]]]:
    args = ["plan", "--accounts", "accounts.csv", "--history", "history.csv", "--as-of", as_of, "--out", out]
    result = CliRunner().invoke(main, [*args, "--horizon", "0", "--quiet", "."])
    assert result.exit_code == 0, result.output
    by_account: dict[str, list[tuple[str, ...]]] = {}
    with (Path(out) / "actions.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_account.setdefault(row["account_id"], []).append((row["action_id"], row["status"], row["reasons"]))
    return by_account


def _append_sent(*actions: str) -> None:
    with Path("history.csv").open("a", encoding="utf-8", newline="") as fh:
        for action_id in actions:
            fh.write(f"{action_id.split('-early')[0]},2026-11-30T16:00:00-05:00,letter,sent,,,,,,{action_id}\n")


def test_plan_day_by_day_sends_each_late_arrival_its_notice(repo: Path) -> None:
    waiting = "step/waiting/letter-notice;us-regf.validation-notice-first"
    monday = _actions("2026-11-30", "out-monday")
    # US-0006 had its notice in the reminder tier: early's notice stands down, the text goes
    assert monday["US-0006"] == [
        ("US-0006-early-sms8-20261128", "scheduled", "step/early/sms@8;step/catch-up"),
        ("US-0006-early-call10-20261130", "scheduled", "step/early/call@10"),
    ]
    # US-0008 (day 10) and US-0012 (day 23) arrived without one: it goes today, the rest waits
    assert monday["US-0008"] == [
        ("US-0008-early-letter8-20261126", "scheduled", "step/early/letter@8;step/catch-up"),
        ("US-0008-early-sms8-20261126", "suppressed", f"step/early/sms@8;step/catch-up;{waiting}"),
        ("US-0008-early-call10-20261128", "suppressed", f"step/early/call@10;step/catch-up;{waiting}"),
    ]
    assert monday["US-0012"] == [
        ("US-0012-early-letter8-20261115", "scheduled", "step/early/letter@8;step/catch-up"),
        ("US-0012-early-call10-20261129", "suppressed", f"step/early/call@10;step/catch-up;{waiting}"),
    ]
    # CN accounts are not owed the US notice
    assert [a for rows in monday.values() for a in rows if a[0].startswith("CN-") and "letter8" in a[0]] == []

    _append_sent("US-0008-early-letter8-20261126", "US-0012-early-letter8-20261115")
    tuesday = _actions("2026-12-01", "out-tuesday")
    assert tuesday["US-0008"] == [
        ("US-0008-early-sms8-20261126", "scheduled", "step/early/sms@8;step/catch-up"),
        ("US-0008-early-call10-20261128", "scheduled", "step/early/call@10;step/catch-up"),
    ]
    assert tuesday["US-0012"] == [
        ("US-0012-early-call10-20261129", "scheduled", "step/early/call@10;step/catch-up"),
    ]


def test_the_customer_file_lists_the_notice_still_owed(repo: Path) -> None:
    args = ["--accounts", "accounts.csv", "--history", "history.csv", "--format", "json", "."]

    def missing(account_id: str) -> Any:
        result = CliRunner().invoke(main, ["case", account_id, "--as-of", "2026-11-30", *args])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["missing"]

    assert missing("US-0012") == [{"step": "early/letter@8", "template": "letter-notice"}]
    assert missing("US-0006") == []  # had it in the reminder tier
    assert missing("CN-0011") == []  # the notice step is for US accounts


# ------------------------------------------------------------------ boundaries (mutation run)
def test_a_notice_sent_on_the_due_date_counts_for_this_arrears(policy: Policy) -> None:
    sent = [letter("T-0001-reminder-letter1-20260602", DUE)]  # posted the day it fell due
    assert brief(plan(policy, us(policy), 8, sent)) == [
        ("T-0001-early-sms8-20260609", "scheduled", ("step/early/sms@8",)),
    ]


def _owes(policy: Policy, strategy: str, step_id: str, dpd: int, history: list[Contact]) -> bool:
    acct = us(policy)
    planner = Planner(policy, on(dpd), 0, tracks_sent=True)
    step = next(s for s in policy.strategies[strategy].steps if s.id == step_id)
    tier = policy.tier("early")
    assert tier is not None
    return planner.owes(step, account_state(acct, history, on(dpd), 0), tier)


def test_a_required_notice_is_owed_from_its_own_day_not_before(policy: Policy) -> None:
    assert _owes(policy, "early", "letter@8", 8, []) is True  # due today, nothing sent
    assert _owes(policy, "recovery", "letter@92", 16, []) is False  # its day has not come
    # sent under another template of the same kind: not owed (the reminder's is letter-notice
    # too, so an arm's replacement stands in for it here)
    assert _owes(policy, "early", "letter@8", 16, [letter("T-0001-reminder-letter1-20260602", on(1))]) is False
    # sent in an earlier arrears (March): owed again, as the plan catches it up
    assert (
        _owes(policy, "early", "letter@8", 16, [letter("T-0001-reminder-letter1-20260302", date(2026, 3, 2))]) is True
    )


def test_a_required_step_without_a_notice_kind_is_owed_whatever_else_was_sent(policy: Policy) -> None:
    # the pre-legal letter is required but no notice kind: a text sent earlier in this
    # arrears does not stand for it
    cn = account(policy, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", phone="+8613812345678",
                 address="上海市浦东新区世纪大道1号", due_date=DUE.isoformat(), overdue_amount="30000.00",
                 last_payment_date="2026-01-01", account_id="C-1")  # fmt: skip
    _cst = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo
    text = Contact("C-1", datetime(2026, 8, 15, 10, tzinfo=_cst), "sms", "sent", action_id="C-1-late-sms75-20260815")
    assert brief(plan(policy, cn, 95, [text]))[0] == (
        "C-1-recovery-letter91-20260831", "scheduled", ("step/recovery/letter@91", "step/catch-up"),
    )  # fmt: skip


def test_without_tracking_only_a_sender_to_the_accounts_jurisdiction_stands_in(policy: Policy) -> None:
    # the reminder's notice goes to US accounts only: a GB-style required notice for every
    # jurisdiction on day 8 stands down for a US account (and a US-MA one), not for a CN one
    early = policy.strategies["early"]
    every = tuple(replace(s, when=replace(s.when, jurisdictions=())) if s.id == "letter@8" else s for s in early.steps)
    variant = replace(policy, strategies={**policy.strategies, "early": replace(early, steps=every)})
    trace: list[str] = []
    Planner(variant, on(8), 0).plan(us(variant), [], trace)
    assert (
        "step/early/letter@8 due 2026-06-09: not taken (notice/validation-assumed-sent by reminder/letter@1)" in trace
    )
    ma = account(variant, jurisdiction="US-MA", due_date=DUE.isoformat(), overdue_amount="500.00",
                 phone="+16175550100")  # fmt: skip
    assert [a.id for a in Planner(variant, on(8), 0).plan(ma, []).actions if "letter8" in a.id] == []
    cn = account(variant, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", phone="+8613812345678",
                 address="上海市浦东新区世纪大道1号", due_date=DUE.isoformat(), overdue_amount="3000.00")  # fmt: skip
    assert [(a.id, a.status) for a in Planner(variant, on(8), 0).plan(cn, []).actions if "letter8" in a.id] == [
        ("T-0001-early-letter8-20260609", "scheduled")
    ]


def test_without_tracking_a_sender_to_every_jurisdiction_stands_in_for_all(policy: Policy) -> None:
    # the reminder's notice made unrestricted: now it stands in for a CN account's too, and
    # the case file (Planner.owes) agrees that nothing is owed
    steps = {
        sid: replace(s, steps=tuple(replace(x, when=replace(x.when, jurisdictions=())) if x.template == "letter-notice"
                                    and x.required else x for x in s.steps))
        for sid, s in policy.strategies.items()
    }  # fmt: skip
    variant = replace(policy, strategies=steps)
    cn = account(variant, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", phone="+8613812345678",
                 address="上海市浦东新区世纪大道1号", due_date=DUE.isoformat(), overdue_amount="3000.00")  # fmt: skip
    assert [a.id for a in Planner(variant, on(8), 0).plan(cn, []).actions if "letter8" in a.id] == []
    untracked = Planner(policy, on(8), 0)
    step = next(s for s in policy.strategies["early"].steps if s.id == "letter@8")
    tier = policy.tier("early")
    assert tier is not None
    assert untracked.owes(step, account_state(us(policy), [], on(8), 0), tier) is False


def test_a_notice_step_that_is_not_required_goes_whatever_was_sent(policy: Policy) -> None:
    # CN's day-21 letter registers as a validation notice but is not required: a notice on
    # file does not stand it down (only required notice steps are owed once per arrears)
    cn = account(policy, jurisdiction="CN", currency="CNY", timezone="Asia/Shanghai", phone="+8613812345678",
                 address="上海市浦东新区世纪大道1号", due_date=DUE.isoformat(), overdue_amount="3000.00",
                 account_id="C-1")  # fmt: skip
    _cst = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo
    notice = Contact("C-1", datetime(2026, 6, 2, 10, tzinfo=_cst), "letter", "sent",
                     action_id="C-1-reminder-letter1-20260602")  # fmt: skip
    # (planned: today the policy's one-touch-a-day cap holds it, but it is not stood down)
    assert [a.id for a in plan(policy, cn, 21, [notice]).actions if "letter21" in a.id] == [
        "C-1-early-letter21-20260622"
    ]
