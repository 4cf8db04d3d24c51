"""``dunning explain``: one account's decisions, in words, from the same planner as ``plan``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dunning.accounts.history.staging import read_history
from dunning.accounts.read import read_accounts
from dunning.accounts.record import RowReject
from dunning.errors import UserError
from dunning.plan.build import PlanInputs
from dunning.plan.casefile import timeline, timeline_line
from dunning.plan.decide import Planner
from dunning.plan.output import iso
from dunning.policy import require_policy
from dunning.state import account_state


def explain_account(inputs: PlanInputs, account_id: str) -> str:
    """The decision trace of ``account_id`` (its first line in the snapshot), as text."""
    policy = require_policy(inputs.policy_path)
    history = read_history(inputs.history)
    for chunk in read_accounts(inputs.accounts, inputs.accounts_format, frozenset(policy.jurisdictions)):
        reject = next((r for r in chunk.rejects if r.account_id == account_id), None)
        account = next((a for a in chunk.accounts if a.account_id == account_id), None)
        if reject is not None and (account is None or reject.line < account.line):
            return _rejected(reject)
        if account is None:
            continue
        trace: list[str] = []
        contacts = history.get(account_id, ())
        planner = Planner(policy, inputs.as_of, inputs.horizon, tracks_sent=history.tracks_sent)
        plan = planner.plan(account, contacts, trace=trace, held=account_id in history.held)
        # the events the plan read (up to the as-of date), as the customer file lists them
        read = account_state(account, contacts, inputs.as_of, policy.settings.promise_grace_days).events
        later = len(contacts) - len(read)
        head = [
            f"account {account_id} (line {account.line}), as of {inputs.as_of}, "
            f"{account.jurisdiction}, {plan.locale}, time zone {plan.timezone}",
            f"history: {len(read)} event(s) on file up to {inputs.as_of}"
            + (f" ({later} later, not read)" if later else "")
            + (", held: an unreadable line (history/unreadable)" if account_id in history.held else ""),
            *(f"  {timeline_line(e)}" for e in timeline(policy, account_id, read, ZoneInfo(plan.timezone))),
        ]
        tail = [f"result: {plan.status}, tier {plan.tier or '-'}, arm {plan.arm or '-'}"]
        for action in plan.actions:
            window = f"{iso(action.not_before)} – {iso(action.not_after)}" if action.not_before else "no window"
            tail.append(f"  {action.id}: {action.status} {action.channel} {action.template or ''} {window}".rstrip())
        return "\n".join([*head, *(f"- {line}" for line in trace), *tail]) + "\n"
    raise UserError(f"account {account_id!r} is not in {inputs.accounts}", hint="check the id and --accounts")


def _rejected(reject: RowReject) -> str:
    return f"account {reject.account_id} (line {reject.line}) is rejected: {reject.code} {reject.message}\n"
