"""Property: no plan ever holds an action the gate would refuse at its scheduled time.

Random accounts (US, US-MA, CN; phones and ZIP codes in one or several time zones; flags;
promises; any days past due), random contact histories and as-of dates around DST changes
and holidays are planned with the bundled example policy; every scheduled or deferred
contact is then put to the gate (``ContactEngine.check``) at its ``not_before``, with the
history and the account's earlier planned contacts, exactly as a dialer would ask.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dunning.accounts.model import Account, Contact
from dunning.compliance.engine import ContactEngine
from dunning.plan.decide import Planner
from dunning.policy import require_policy
from dunning.policy.model import CONTACT_CHANNELS

ROOT = Path(__file__).resolve().parents[2]
POLICY = require_policy(ROOT)
ENGINE = ContactEngine(POLICY)

AS_OF = [
    date(2026, 3, 6),
    date(2026, 3, 8),
    date(2026, 9, 29),
    date(2026, 10, 30),
    date(2026, 11, 26),
    date(2026, 12, 22),
]
PLACES = {
    "US": [
        ("+12125550100", ""),
        ("+16025550100", ""),  # Arizona
        ("+14155550100", "02139"),  # Pacific phone, Eastern address
        ("+18005550100", "37402"),  # toll-free phone, ZIP on a zone line
        ("", "99501"),  # Alaska
    ],
    "US-MA": [("+16175550100", "02139"), ("+13125550100", "01002")],
    "CN": [("+8613812345678", ""), ("+8613900000000", "")],
}
FLAGS = ["dispute", "bankruptcy", "cease_contact", "hardship", "vulnerable", "sms_opt_out", "call_opt_out"]
OUTCOMES = [
    "attempted", "no_answer", "busy", "voicemail", "connected", "right_party_contact", "failed", "delivered",
    # outcomes that change the account's state (dunning.state): flags, opt-outs, contact points
    "dispute", "opt_out", "wrong_number", "third_party", "bounced", "cease_contact", "represented",
    "placed_with_agency", "returned_mail", "opt_in",
]  # fmt: skip


@st.composite
def cases(draw: st.DrawFn) -> tuple[Account, tuple[Contact, ...], date, int]:
    jurisdiction = draw(st.sampled_from(sorted(PLACES)))
    phone, postal = draw(st.sampled_from(PLACES[jurisdiction]))
    as_of = draw(st.sampled_from(AS_OF))
    dpd = draw(st.integers(min_value=1, max_value=130))
    promise = draw(st.none() | st.integers(min_value=-10, max_value=10))
    account = Account(
        account_id="P-1",
        jurisdiction=jurisdiction,
        currency="CNY" if jurisdiction == "CN" else "USD",
        overdue_amount=Decimal(draw(st.integers(1, 2_000) | st.integers(1, 3_000_000))) / 100,
        due_date=as_of - timedelta(days=dpd),
        phone=phone,
        postal_code=postal,
        email=draw(st.sampled_from(["", "p@example.com"])),
        address=draw(st.sampled_from(["", "1 Main St"])),
        flags=frozenset(draw(st.lists(st.sampled_from(FLAGS), max_size=2))),
        promise_to_pay_date=None if promise is None else as_of + timedelta(days=promise),
    )
    tz_offset = "+08:00" if jurisdiction == "CN" else "-05:00"
    history = tuple(
        Contact(
            "P-1",
            datetime.fromisoformat(f"{as_of - timedelta(days=back)}T{hour:02d}:00:00{tz_offset}"),
            channel,
            outcome,
        )
        for back, hour, channel, outcome in draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=0, max_value=9),
                    st.integers(min_value=8, max_value=19),
                    st.sampled_from(["call", "call", "sms", "email"]),
                    st.sampled_from(OUTCOMES),
                ),
                max_size=10,
            )
        )
    )
    return account, tuple(sorted(history, key=lambda c: c.at)), as_of, draw(st.integers(min_value=0, max_value=10))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_no_plan_holds_an_action_the_gate_refuses(case: tuple[Account, tuple[Contact, ...], date, int]) -> None:
    account, history, as_of, horizon = case
    plan = Planner(POLICY, as_of, horizon, ENGINE).plan(account, history)
    planned: list[Contact] = []
    for action in plan.actions:
        if action.status == "suppressed" or action.channel not in CONTACT_CHANNELS:
            continue
        assert action.not_before is not None
        template = POLICY.templates.get(action.template or "")
        verdict = ENGINE.check(
            account,
            action.channel,
            action.not_before,
            history,
            planned=planned,
            purpose=template.purpose if template else None,
        )
        assert verdict.verdict == "allow", (action, verdict)
        planned.append(Contact(account.account_id, action.not_before, action.channel, "attempted"))
