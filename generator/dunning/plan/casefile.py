"""The customer file: everything a collector, a field visitor or a legal reviewer needs to read
about one account on one day — who, the debt, the tier and why, every flag with its source,
the whole contact timeline with notes, promises and the arrangement, what was sent and what
a required step still waits for, the law's counters per channel, the offer, and the next
planned actions with their reasons.

It is built from the same planner, state and engine as ``plan``, ``gate`` and ``explain``
(nothing is decided twice). Personal fields are shown as the policy's ``masking:`` rules say
(:mod:`dunning.plan.masking`; by default phone and email masked): a file is read by many
hands, and the dialer has the number.

The file is a list of :class:`Section` s, one per topic, each giving its keys of the JSON
document and its lines of text; a new topic is a new entry of :data:`SECTIONS` (its keys
land in the JSON in section order, its lines under its own heading in the text, Markdown
and HTML forms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dunning.accounts.model import Account, Contact
from dunning.plan.backlog import step_of_action
from dunning.plan.decide import Planner
from dunning.plan.masking import email_first_letter, keep_last, mask
from dunning.plan.model import AccountPlan
from dunning.plan.output import iso, offer_dict
from dunning.policy.model import CONTACT_CHANNELS, Policy
from dunning.state import AccountState, account_state, snapshot_reason
from dunning.text.cells import clean_text

SCHEMA_VERSION = 1


def mask_phone(phone: str) -> str:
    """``+8613812345678`` → ``+•••••••••5678``: the default rule for phones, the last four digits
    (enough to tell two numbers apart on a call, not enough to dial)."""
    return keep_last(phone, 4)


def mask_email(email: str) -> str:
    """``debtor@example.com`` → ``d•••@example.com``: the default rule for emails."""
    return email_first_letter(email)


@dataclass(frozen=True)
class CaseFile:
    """One account's file as plain data (the JSON contract, docs/data.md#the-customer-file)."""

    data: dict[str, Any]


@dataclass(frozen=True)
class CaseFacts:
    """What every section reads: the account decided once by the planner, and its state."""

    policy: Policy
    planner: Planner
    account: Account  # the snapshot row
    history: Sequence[Contact]
    state: AccountState
    plan: AccountPlan
    trace: list[str]
    zone: ZoneInfo

    @property
    def current(self) -> Account:
        """The account as the history leaves it (flags and promises folded in)."""
        return self.state.account


@dataclass(frozen=True)
class Section:
    """One topic of the file: its heading, its keys of the JSON document, its lines of text."""

    title: str
    data: Callable[[CaseFacts], dict[str, Any]]
    lines: Callable[[dict[str, Any]], list[str]]


# ---------------------------------------------------------------------------------- who
def _who(facts: CaseFacts) -> dict[str, Any]:
    current, rules = facts.current, facts.policy.masking
    return {
        "who": {
            # personal fields as the policy's masking rules show them (docs/data.md#masking)
            **{name: mask(getattr(current, name), rule, current.postal_code) for name, rule in rules.items()},
            "locale": facts.plan.locale,
            "timezone": facts.plan.timezone,
        }
    }


def _who_lines(data: dict[str, Any]) -> list[str]:
    return [f"{k}: {v}" for k, v in data["who"].items() if v is not None]


# ---------------------------------------------------------------------------------- debt
def _debt(facts: CaseFacts) -> dict[str, Any]:
    current, plan, state = facts.current, facts.plan, facts.state
    return {
        "debt": {
            "jurisdiction": current.jurisdiction,
            "currency": current.currency,
            "overdue_amount": str(current.overdue_amount),
            "due_date": current.due_date.isoformat(),
            "dpd": plan.dpd,
            "product": current.product or None,
            # the current reason (the latest arrears_reason event, else the snapshot's; docs/data.md)
            "arrears_reason": clean_text(state.arrears_reason)
            if state.arrears_reason_since or snapshot_reason(facts.account)
            else None,
        },
        "tier": plan.tier,
        "arm": plan.arm,
        "status": plan.status,
    }


def _debt_lines(data: dict[str, Any]) -> list[str]:
    return [f"{k}: {v}" for k, v in data["debt"].items() if v is not None] + [
        f"tier: {data['tier'] or '-'}, arm: {data['arm'] or '-'}, status: {data['status']}"
    ]


# ---------------------------------------------------------------------------------- flags
def _flags(facts: CaseFacts) -> dict[str, Any]:
    return {
        "flags": [
            {"flag": f.flag, "since": f.since.isoformat() if f.since else None, "source": f.source}
            for f in sorted(facts.state.flags.values(), key=lambda f: f.flag)
        ],
        "exclusions": [{"code": e.code, "reason": e.reason} for e in facts.plan.exclusions],
    }


def _flag_lines(data: dict[str, Any]) -> list[str]:
    return [f"{f['flag']} (since {f['since'] or 'unknown'}, {f['source']})" for f in data["flags"]] + [
        f"{e['code']}: {e['reason']}" for e in data["exclusions"]
    ] or ["none"]


# ---------------------------------------------------------------------------------- timeline
def timeline(policy: Policy, account_id: str, events: Sequence[Contact], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The history ``events`` of ``account_id`` as timeline entries, times in ``zone`` (the
    customer's), each with the template of the step its action came from (also ``explain``'s)."""
    out = []
    for event in events:
        step = step_of_action(policy, account_id, event.action_id) if event.action_id else None
        entry: dict[str, Any] = {
            "at": event.at.astimezone(zone).isoformat(timespec="minutes"),
            "channel": event.channel or None,
            "event": event.outcome,
            "action_id": event.action_id or None,
            "template": step[3] if step else None,
            # collector text: one line, no control or bidi-override characters
            "note": clean_text(event.note) or None,
        }
        if event.amount is not None:
            entry["amount"] = f"{event.amount} {event.currency}".strip()
        if event.on is not None:
            entry["date"] = event.on.isoformat()
        out.append(entry)
    return out


def _timeline(facts: CaseFacts) -> dict[str, Any]:
    return {"timeline": timeline(facts.policy, facts.account.account_id, facts.state.events, facts.zone)}


def timeline_line(entry: dict[str, Any]) -> str:
    """One timeline entry as a line of text (also what ``explain`` lists)."""
    parts = (
        entry["at"],
        entry["channel"] or "-",
        entry["event"],
        entry.get("amount", ""),
        f"for {entry['date']}" if entry.get("date") else "",
        f"[{entry['action_id']} {entry['template'] or ''}]".replace(" ]", "]") if entry["action_id"] else "",
        f"— {entry['note']}" if entry["note"] else "",
    )
    return " ".join(part for part in parts if part)


def _timeline_lines(data: dict[str, Any]) -> list[str]:
    return [timeline_line(e) for e in data["timeline"]] or ["no events on file"]


# ---------------------------------------------------------------------------------- money
def _promises(facts: CaseFacts) -> dict[str, Any]:
    state, as_of = facts.state, facts.planner.as_of
    arrangement = state.arrangement
    return {
        "promises": [
            {
                "due": p.due.isoformat(),
                "amount": str(p.amount) if p.amount is not None else None,
                "made": p.made.isoformat() if p.made else None,
                "source": p.source,
                "paid": str(p.paid(as_of)),
                "status": p.status(as_of),
            }
            for p in state.promises
        ],
        "arrangement": None
        if arrangement is None
        else {
            "agreed": arrangement.agreed.isoformat(),
            "instalment": str(arrangement.instalment),
            "count": arrangement.count,
            "interval_days": arrangement.interval,
            "first": arrangement.first.isoformat(),
            "paid": str(arrangement.paid(as_of)),
            "arrears": str(arrangement.arrears(as_of)),
            "status": arrangement.status(as_of),
        },
    }


def _promise_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"promise of {p['amount'] or 'an unknown amount'} due {p['due']} ({p['source']}): "
        f"paid {p['paid']}, {p['status']}"
        for p in data["promises"]
    ] + (
        [
            "arrangement: {count} × {instalment} every {interval_days} days from {first}: "
            "paid {paid}, arrears {arrears}, {status}".format(**data["arrangement"])
        ]
        if data["arrangement"]
        else []
    ) or ["none"]


# ---------------------------------------------------------------------------------- sent
def _sent(facts: CaseFacts) -> dict[str, Any]:
    policy, account_id, plan = facts.policy, facts.account.account_id, facts.plan
    sent = []
    for action_id in sorted(facts.state.sent):
        origin = step_of_action(policy, account_id, action_id)
        sent.append({"action_id": action_id, "template": origin[3] if origin else None})
    strategy = None
    tier = policy.tier(plan.tier) if plan.tier else None
    if tier is not None:
        arm_strategy = next(
            (a.strategy for e in policy.experiments if tier.id in e.tiers for a in e.arms if a.id == plan.arm), None
        )
        strategy = policy.strategies.get(arm_strategy or tier.strategy)
    missing = []
    if strategy is not None and tier is not None:
        for step in strategy.steps:
            if facts.planner.owes(step, facts.state, tier):
                missing.append({"step": f"{strategy.id}/{step.id}", "template": step.template})
    return {"sent": sent, "missing": missing}


def _sent_lines(data: dict[str, Any]) -> list[str]:
    return [f"sent {s['action_id']} ({s['template'] or 'template unknown'})" for s in data["sent"]] + [
        f"missing: {m['template']} (required step {m['step']})" for m in data["missing"]
    ] or ["nothing sent on file"]


# ---------------------------------------------------------------------------------- the law
def _counters(facts: CaseFacts) -> dict[str, Any]:
    """Per contact channel: may it be used at noon on the as-of day, and if not, why and when."""
    noon = datetime.combine(facts.planner.as_of, time(12, 0), tzinfo=facts.zone)
    out = []
    for channel in CONTACT_CHANNELS:
        verdict = facts.planner.engine.check(facts.current, channel, noon, facts.history)
        out.append(
            {
                "channel": channel,
                "at": noon.isoformat(timespec="minutes"),
                "verdict": verdict.verdict,
                "next_allowed": iso(verdict.earliest),
                "reasons": [f"{r.code}: {r.message}" for r in verdict.reasons],
            }
        )
    return {"counters": out}


def _counter_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"{c['channel']}: {c['verdict']}"
        + (f", next allowed {c['next_allowed']}" if c["next_allowed"] else "")
        + "".join(f"; {r}" for r in c["reasons"])
        for c in data["counters"]
    ]


# ---------------------------------------------------------------------------------- offer, next
def _offers(facts: CaseFacts) -> dict[str, Any]:
    return {"offers": [offer_dict(o) for o in facts.plan.offers]}


def _offer_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"{o['id']}: {o['instalments']} instalment(s) {' + '.join(o['amounts'])} = {o['total']} "
        f"{o['currency']}, first due {o['first_due_date']}, every {o['interval_days']} days"
        for o in data["offers"]
    ] or ["none"]


def _next(facts: CaseFacts) -> dict[str, Any]:
    return {
        "next_actions": [
            {
                "id": a.id,
                "channel": a.channel,
                "template": a.template,
                "status": a.status,
                "not_before": iso(a.not_before),
                "not_after": iso(a.not_after),
                "reasons": list(a.reasons),
            }
            for a in facts.plan.actions
        ]
    }


def _next_lines(data: dict[str, Any]) -> list[str]:
    return [
        f"{a['id']}: {a['status']} {a['channel']} {a['template'] or ''} "
        f"{a['not_before'] or ''} – {a['not_after'] or ''} ({'; '.join(a['reasons'])})".replace("  ", " ")
        for a in data["next_actions"]
    ] or ["none"]


SECTIONS: list[Section] = [
    Section("Who", _who, _who_lines),
    Section("Debt", _debt, _debt_lines),
    Section("Why", lambda facts: {"why": list(facts.trace)}, lambda data: list(data["why"])),
    Section("Flags", _flags, _flag_lines),
    Section("Timeline", _timeline, _timeline_lines),
    Section("Promises and arrangement", _promises, _promise_lines),
    Section("Sent and missing", _sent, _sent_lines),
    Section("The law's counters (at noon on the as-of day)", _counters, _counter_lines),
    Section("Offer", _offers, _offer_lines),
    Section("Next actions", _next, _next_lines),
]
"""The file's topics in order (JSON keys and text headings follow it)."""


def case_file(
    policy: Policy,
    account: Account,
    history: Sequence[Contact],
    as_of: date,
    *,
    horizon: int = 7,
    held: bool = False,
    tracks_sent: bool = False,
    planner: Planner | None = None,
) -> CaseFile:
    """The file of ``account`` on ``as_of`` (``horizon``: how many days of planned actions).

    ``planner``: one made for ``policy``, ``as_of``, ``horizon`` and ``tracks_sent`` already
    (``build`` makes one for all its case files); else one is made here."""
    planner = planner or Planner(policy, as_of, horizon, tracks_sent=tracks_sent)
    trace: list[str] = []
    plan = planner.plan(account, history, trace=trace, held=held)
    state = account_state(
        account,
        history,
        as_of,
        policy.settings.promise_grace_days,
        held=held,
        reasons=policy.reason_marks,
    )
    facts = CaseFacts(policy, planner, account, history, state, plan, trace, ZoneInfo(plan.timezone))
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "account_id": account.account_id,
        "as_of": as_of.isoformat(),
    }
    for section in SECTIONS:
        data.update(section.data(facts))
    return CaseFile(data)


def _lines(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The file as (section title, lines of text), shared by the text, Markdown and HTML forms."""
    return [(section.title, section.lines(data)) for section in SECTIONS]


def as_text(case: CaseFile) -> str:
    """The file as plain text (a terminal, a printout)."""
    data = case.data
    out = [f"Customer file {data['account_id']} as of {data['as_of']}"]
    for title, lines in _lines(data):
        out += ["", title, *(f"  {line}" for line in lines)]
    return "\n".join(out) + "\n"


def as_markdown(case: CaseFile) -> str:
    """The file as Markdown."""
    data = case.data
    out = [f"# Customer file {data['account_id']} as of {data['as_of']}"]
    for title, lines in _lines(data):
        out += ["", f"## {title}", "", *(f"- {line}" for line in lines)]
    return "\n".join(out) + "\n"


def as_html(case: CaseFile) -> str:
    """The file as a standalone HTML page (no scripts, no external resources, escaped)."""
    from html import escape

    data = case.data
    title = f"Customer file {data['account_id']} as of {data['as_of']}"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>',
        "<style>body{font-family:sans-serif;margin:2em;max-width:60em}li{margin:.2em 0}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    for heading, lines in _lines(data):
        parts.append(f"<h2>{escape(heading)}</h2><ul>" + "".join(f"<li>{escape(x)}</li>" for x in lines) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def as_json(case: CaseFile) -> str:
    """The file as JSON (the contract other tools read)."""
    import orjson

    return orjson.dumps(case.data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE).decode()


WRITERS = {"text": as_text, "markdown": as_markdown, "html": as_html, "json": as_json}
