"""The UK default notice holds enforcement until its remedy period has run (docs/compliance.md).

Consumer Credit Act 1974 ss. 87(1), 88(2): no agency placement or legal action until at least
14 days after a default notice is served; a posted notice is served when it would arrive by
second-class post, 4 business days (Interpretation Act 1978 s. 7, the stricter reading), bank
holidays not counted. ``uk-conc.default-notice`` is enforced by the planner with the real
dates of each account: the notice the history says was sent, or, without a history of sends,
the policy's own notice step assumed sent on its day.

The policy here is the example with a GB jurisdiction and a default notice letter on day 93
of the recovery strategy; its legal review comes on day 105 and its agency placement on day
120 (the pre-legal letter of day 91 is assumed sent, or sent as the history says).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from dunning.accounts.history.rows import History
from dunning.accounts.model import Account, Contact
from dunning.accounts.read import screen_frame
from dunning.accounts.source import AccountFile
from dunning.compliance.notices import BankHolidays, default_notice_remedy_end
from dunning.plan.columnar import ColumnarPlanner
from dunning.plan.decide import Planner
from dunning.plan.output import plan_record
from dunning.policy import require_policy
from dunning.policy.model import Policy

from .plan_support import account

RULE = "uk-conc.default-notice"
_LONDON = datetime.fromisoformat("2026-01-01T00:00:00+00:00").tzinfo


NOTICE_STEP = (
    "      - day: 93\n        channel: letter\n        template: letter-default\n"
    "        when: {jurisdictions: [GB], has: [address]}\n"
)


def _gb_policy(root: Path, *, tighten: str = "", steps: str = NOTICE_STEP, notice: bool = True) -> Policy:
    """The example with GB (``tighten``: its ``tighten:`` lines), ``steps`` added to the
    recovery strategy before its legal review, and (``notice``) the default notice template."""
    portfolio = root / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    gb = "  GB:\n    currency: GBP\n    locales: [en-US]\n    timezone: Europe/London\n    packs: [uk-conc]\n" + tighten
    portfolio.write_text(text.replace("jurisdictions:\n", "jurisdictions:\n" + gb, 1), encoding="utf-8")
    if notice:
        templates = root / "policies" / "templates.yaml"
        text = templates.read_text(encoding="utf-8")
        registered = (
            "  letter-default: {channel: letter, purpose: notice, notice: default, description: Default notice}\n"
        )
        templates.write_text(text.replace("templates:\n", "templates:\n" + registered, 1), encoding="utf-8")
    # the small-balance exclusion names CNY and USD bounds only: give it a GBP one, or it
    # would exclude a GBP account of any balance
    rules = root / "policies" / "contact-rules.yaml"
    text = rules.read_text(encoding="utf-8")
    bounds = "max_overdue: {CNY: 49.99, USD: 9.99}"
    assert text.count(bounds) == 1
    rules.write_text(text.replace(bounds, "max_overdue: {CNY: 49.99, USD: 9.99, GBP: 9.99}"), encoding="utf-8")
    strategies = root / "policies" / "strategies.yaml"
    text = strategies.read_text(encoding="utf-8")
    anchor = "      - day: 105\n        channel: legal_review\n"
    assert text.count(anchor) == 1
    strategies.write_text(text.replace(anchor, steps + anchor), encoding="utf-8")
    return require_policy(root)


@pytest.fixture
def gb_policy(example_copy: Path) -> Policy:
    return _gb_policy(example_copy)


def _gb(policy: Policy, due: date, **changes: object) -> Account:
    row: dict[str, object] = {"account_id": "G-1", "jurisdiction": "GB", "currency": "GBP", "overdue_amount": "900.00",
           "due_date": due.isoformat(), "timezone": "Europe/London", "phone": "+447911123456",
           "address": "1 High Street, London SW1A 1AA"}  # fmt: skip
    return account(policy, **{**row, **changes})


def _enforcement(policy: Policy, acct: Account, on: date, history: list[Contact] | None = None, *,
                 tracks_sent: bool = False) -> list[tuple[str, str, tuple[str, ...]]]:  # fmt: skip
    plan = Planner(policy, on, 0, tracks_sent=tracks_sent).plan(acct, history or [])
    return [(a.id, a.status, a.reasons) for a in plan.actions if a.channel in ("agency", "legal_review")]


def _trace(policy: Policy, acct: Account, on: date, history: list[Contact] | None = None, *,
           tracks_sent: bool = False) -> list[str]:  # fmt: skip
    """What ``dunning explain`` prints for ``acct`` planned on ``on``: the decision trace."""
    trace: list[str] = []
    Planner(policy, on, 0, tracks_sent=tracks_sent).plan(acct, history or [], trace)
    return trace


PLACEMENT = "G-1-recovery-agency120-20261129"  # the example's agency step, day 120 of a 1 August arrears
Enforcement = list[tuple[str, str, tuple[str, ...]]]


def _held_by_remedy(action_id: str, step: str) -> Enforcement:
    """The one enforcement action, suppressed while a default notice's remedy period runs."""
    return [(action_id, "suppressed", (step, "notice/default-remedy-running", RULE))]


def _goes(action_id: str, step: str) -> Enforcement:
    """The one enforcement action, scheduled on its step's day."""
    return [(action_id, "scheduled", (step,))]


def _assert_waits_for_notice(found: Enforcement, action_id: str, notice: str) -> None:
    """``found`` is one action, suppressed for want of a default notice (``notice``: the
    template it waits for, or ``default-notice`` when the policy has none)."""
    [(got, status, reasons)] = found
    assert (got, status, reasons[-2:]) == (action_id, "suppressed", (f"step/waiting/{notice}", RULE))


def test_service_counts_business_days_and_the_nations_bank_holidays() -> None:
    # posted Thursday 24 December 2026: 25 Dec (Fri) and 28 Dec (Mon, Boxing Day's substitute)
    # are bank holidays, so is 1 January 2027 (Fri); business days 29, 30, 31 Dec and 4 Jan
    england = BankHolidays("GB-ENG")
    assert default_notice_remedy_end(date(2026, 12, 24), england) == date(2027, 1, 4) + timedelta(days=14)
    # Scotland: 2 January is a bank holiday, on a Saturday in 2027, so Monday 4 January is off
    # too; GB alone counts every nation's holidays (the stricter reading), so the same
    scotland, uk = BankHolidays("GB-SCT"), BankHolidays("GB")
    assert default_notice_remedy_end(date(2026, 12, 24), scotland) == date(2027, 1, 5) + timedelta(days=14)
    assert default_notice_remedy_end(date(2026, 12, 24), uk) == date(2027, 1, 5) + timedelta(days=14)
    # an ordinary week: posted Monday 2 November 2026, served Friday 6 November
    assert default_notice_remedy_end(date(2026, 11, 2), uk) == date(2026, 11, 20)
    assert date(2026, 3, 17) in uk and date(2026, 3, 17) not in england  # St Patrick's Day: Northern Ireland's


def test_without_a_history_of_sends_the_policys_notice_is_assumed_sent_on_its_day(gb_policy: Policy) -> None:
    # due 1 August 2026: the notice on day 93 is Monday 2 November, served Friday 6 November,
    # remedy to 20 November. Legal review on day 105 (Saturday 14 November) waits; the agency
    # placement of day 120 (Sunday 29 November) may go.
    due = date(2026, 8, 1)
    acct = _gb(gb_policy, due)
    assert _enforcement(gb_policy, acct, due + timedelta(days=105)) == _held_by_remedy(
        "G-1-recovery-legal_review105-20261114", "step/recovery/legal_review@105"
    )
    assert _enforcement(gb_policy, acct, due + timedelta(days=120)) == _goes(PLACEMENT, "step/recovery/agency@120")


def test_no_notice_step_can_have_reached_the_account_so_no_enforcement(gb_policy: Policy) -> None:
    # without an address the notice letter's conditions never held: no default notice was
    # served, so no enforcement is lawful (the pre-legal letter is missing too)
    due = date(2026, 8, 1)
    acct = _gb(gb_policy, due, address="")
    _assert_waits_for_notice(_enforcement(gb_policy, acct, due + timedelta(days=120)), PLACEMENT, "letter-default")


def test_with_a_history_of_sends_the_notice_actually_sent_decides(gb_policy: Policy) -> None:
    due = date(2026, 8, 1)
    acct = _gb(gb_policy, due)
    pre_legal = Contact("G-1", datetime(2026, 10, 31, 10, tzinfo=_LONDON), "letter", "sent",
                        action_id="G-1-recovery-letter91-20261031")  # fmt: skip
    # the notice went out 9 days late, on Wednesday 11 November: served Tuesday 17 November,
    # remedy to 1 December. On day 120 (29 November) the placement is held; the next day
    # still held (caught up, it keeps its id); on 2 December it goes.
    late = Contact("G-1", datetime(2026, 11, 11, 10, tzinfo=_LONDON), "letter", "sent",
                   action_id="G-1-recovery-letter93-20261102")  # fmt: skip
    history = [pre_legal, late]
    days = (date(2026, 11, 29), date(2026, 12, 1), date(2026, 12, 2))
    assert _placement_on(gb_policy, acct, history, PLACEMENT, days) == _held_until(PLACEMENT, 120, *days)
    # no default notice in the history at all: held for want of one
    found = _enforcement(gb_policy, acct, date(2026, 12, 2), [pre_legal], tracks_sent=True)
    _assert_waits_for_notice([a for a in found if a[0] == PLACEMENT], PLACEMENT, "letter-default")


def test_other_jurisdictions_are_not_held(gb_policy: Policy) -> None:
    # a US account of the same policy: no default-notice rule applies to it
    due = date(2026, 8, 1)
    us = account(gb_policy, due_date=due.isoformat(), overdue_amount="900.00")
    assert _enforcement(gb_policy, us, due + timedelta(days=120)) == [
        ("T-0001-recovery-agency120-20261129", "scheduled", ("step/recovery/agency@120",))
    ]


@pytest.mark.parametrize("horizon", [0, 6])
def test_the_shared_decisions_keep_each_accounts_remedy_dates(example_copy: Path, tmp_path: Path, horizon: int) -> None:
    # A placement every 3 days from day 100: accounts 100–135 days past due meet it on days
    # that differ only in how far the notice of day 93 is behind them (held until its remedy
    # has run: 18–20 days after posting, by the weekday and the bank holidays). The columnar
    # run shares decisions between accounts whose keys agree; the remedy must not be shared.
    strategies = example_copy / "policies" / "strategies.yaml"
    text = strategies.read_text(encoding="utf-8")
    anchor = "      - day: 120\n        channel: agency\n"
    assert text.count(anchor) == 1
    strategies.write_text(text.replace(anchor, "      - day: 100\n        every: 3\n        channel: agency\n"))
    policy = _gb_policy(example_copy)
    as_of = date(2026, 12, 24)
    accounts = [_gb(policy, as_of - timedelta(days=dpd), account_id=f"G-{dpd:03d}") for dpd in range(100, 136)]
    path = tmp_path / "gb.csv"
    columns = ("account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "timezone", "phone", "address")
    cells = [{c: str(getattr(a, c)) for c in columns} for a in accounts]
    pl.DataFrame(cells, schema=dict.fromkeys(columns, pl.String)).write_csv(path)
    full = Planner(policy, as_of, horizon)
    planner = ColumnarPlanner(Planner(policy, as_of, horizon))
    got = []
    for frame, _ in AccountFile(path, chunk_rows=500).frames():
        got.extend(planner.plan(screen_frame(frame, frozenset(policy.jurisdictions)), History()).records())
    assert [r[0] for r in got] == [a.account_id for a in accounts]
    held = 0
    for record, acct in zip(got, accounts, strict=True):
        line, csv_rows, status, tier, stats = plan_record(full.plan(acct))
        assert record == (acct.account_id, record[1], status, tier, line, csv_rows, stats), acct.account_id
        held += "notice/default-remedy-running" in str(line)
    assert held >= 3  # the remedy holds some placements, and the run lets others through


def _placement_on(
    policy: Policy, acct: Account, history: list[Contact], placement: str, days: tuple[date, ...]
) -> dict[date, list[tuple[str, str, tuple[str, ...]]]]:
    """The action ``placement`` in the plan of each of ``days`` (a history that records sends)."""
    return {
        day: [a for a in _enforcement(policy, acct, day, history, tracks_sent=True) if a[0] == placement]
        for day in days
    }


def _held_until(
    placement: str, step_day: int, due: date, last_held: date, free: date
) -> dict[date, list[tuple[str, str, tuple[str, ...]]]]:
    """A placement held on its own day and, caught up, on the last day of the remedy, and
    scheduled (caught up) the day after."""
    step = f"step/recovery/agency@{step_day}"
    held = ("notice/default-remedy-running", RULE)
    return {
        due: [(placement, "suppressed", (step, *held))],
        last_held: [(placement, "suppressed", (step, "step/catch-up", *held))],
        free: [(placement, "scheduled", (step, "step/catch-up"))],
    }


def _sent(action_id: str, day: date) -> Contact:
    return Contact("G-1", datetime(day.year, day.month, day.day, 10, tzinfo=_LONDON), "letter", "sent",
                   action_id=action_id)  # fmt: skip


def test_a_notice_sent_on_the_day_the_arrears_fell_due_counts(gb_policy: Policy) -> None:
    due = date(2026, 8, 1)
    history = [
        _sent("G-1-recovery-letter91-20261031", date(2026, 10, 31)),
        _sent("G-1-recovery-letter93-20261102", due),
    ]
    found = _enforcement(gb_policy, _gb(gb_policy, due), date(2026, 11, 29), history, tracks_sent=True)
    assert found == _goes(PLACEMENT, "step/recovery/agency@120")


def test_a_bank_holiday_in_the_service_holds_the_step_longer(gb_policy: Policy) -> None:
    # the notice went out on Thursday 24 December 2026: served Tuesday 5 January 2027 (25 and
    # 28 December, 1 January and Scotland's 4 January off; plain weekdays would serve it on
    # 30 December), so the placement of day 120 (Friday 15 January) waits until 20 January
    due = date(2026, 9, 17)
    history = [
        _sent("G-1-recovery-letter91-20261217", date(2026, 12, 17)),
        _sent("G-1-recovery-letter93-20261219", date(2026, 12, 24)),
    ]
    acct = _gb(gb_policy, due)
    placement = "G-1-recovery-agency120-20270115"
    days = (date(2027, 1, 15), date(2027, 1, 19), date(2027, 1, 20))
    assert _placement_on(gb_policy, acct, history, placement, days) == _held_until(placement, 120, *days)


def test_a_step_on_the_notices_own_day_waits_for_its_remedy(example_copy: Path) -> None:
    # a legal review on the same day as the notice: the notice goes that day, its remedy runs
    same_day = NOTICE_STEP + "      - day: 93\n        channel: legal_review\n        template: legal-review\n"
    policy = _gb_policy(example_copy, steps=same_day)
    due = date(2026, 8, 1)
    assert _enforcement(policy, _gb(policy, due), due + timedelta(days=93)) == _held_by_remedy(
        "G-1-recovery-legal_review93-20261102", "step/recovery/legal_review@93"
    )


def test_a_policy_without_a_default_notice_holds_every_enforcement(example_copy: Path) -> None:
    policy = _gb_policy(example_copy, steps="", notice=False)
    due = date(2026, 8, 1)
    _assert_waits_for_notice(
        _enforcement(policy, _gb(policy, due), due + timedelta(days=120)), PLACEMENT, "default-notice"
    )
    assert (
        "uk-conc.default-notice: no default notice of this arrears that a step of the policy could have sent by "
        "2026-11-29: no agency until one is"
    ) in _trace(policy, _gb(policy, due), due + timedelta(days=120))


def test_a_tightened_remedy_period_holds_the_step_longer(example_copy: Path) -> None:
    # 5 business days and 21 days: the notice of Monday 2 November is served Monday 9
    # November, its remedy runs to 30 November, so the placement of 29 November waits; with
    # either parameter at the pack's value it would go (remedy to 23 or 27 November)
    tighten = "    tighten:\n      uk-conc.default-notice: {remedy_days: 21, service_business_days: 5}\n"
    policy = _gb_policy(example_copy, tighten=tighten)
    due = date(2026, 8, 1)
    assert _enforcement(policy, _gb(policy, due), due + timedelta(days=120)) == _held_by_remedy(
        PLACEMENT, "step/recovery/agency@120"
    )


def test_the_trace_gives_the_dates_the_hold_reads(gb_policy: Policy) -> None:
    # what `dunning explain` prints: the day of posting, of service and the remedy's end
    due = date(2026, 8, 1)
    acct = _gb(gb_policy, due)
    assert (
        "uk-conc.default-notice: the default notice assumed sent on its step's day 2026-11-02 is served "
        "2026-11-06, its remedy period runs to 2026-11-20: no legal_review before 2026-11-21"
    ) in _trace(gb_policy, acct, due + timedelta(days=105))
    pre_legal = _sent("G-1-recovery-letter91-20261031", date(2026, 10, 31))
    assert (
        "uk-conc.default-notice: no default notice of this arrears recorded as sent by 2026-12-02: "
        "no agency until one is"
    ) in _trace(gb_policy, acct, date(2026, 12, 2), [pre_legal], tracks_sent=True)
    late = _sent("G-1-recovery-letter93-20261102", date(2026, 11, 11))
    assert (
        "uk-conc.default-notice: the default notice sent 2026-11-11 is served 2026-11-17, its remedy period runs to "
        "2026-12-01: no agency before 2026-12-02"
    ) in _trace(gb_policy, acct, date(2026, 11, 29), [pre_legal, late], tracks_sent=True)


def test_a_notice_steps_promise_condition_counts_the_grace_days(example_copy: Path) -> None:
    # A notice step served only when no promise stands broken (`promise: none`). The promise
    # of Friday 28 August was paid on Sunday 30 August, two days late, inside the policy's 3
    # days of grace: kept (and 91 days before the placement, whose step wants 90 without a
    # payment). So the notice of Monday 2 November could go, its remedy ran to 20 November,
    # and the placement of 29 November goes. Read without the grace, the promise would be
    # broken, no notice could have gone, and the placement would wait for one — as it does
    # for a promise paid on the fourth day.
    kept_only = NOTICE_STEP.replace("has: [address]}", "has: [address], promise: none}")
    policy = _gb_policy(example_copy, steps=kept_only)
    assert policy.settings.promise_grace_days == 3
    due = date(2026, 8, 1)
    acct = _gb(policy, due, promise_to_pay_date="2026-08-28", last_payment_date="2026-08-30")
    assert _enforcement(policy, acct, due + timedelta(days=120)) == _goes(PLACEMENT, "step/recovery/agency@120")
    late = _gb(policy, due, promise_to_pay_date="2026-08-27", last_payment_date="2026-08-31")
    _assert_waits_for_notice(_enforcement(policy, late, due + timedelta(days=120)), PLACEMENT, "letter-default")
