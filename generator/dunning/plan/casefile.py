"""The customer file: everything a collector, a field visitor or a legal reviewer needs to read
about one account on one day — who, the debt, the tier and why, every flag with its source,
the whole contact timeline with notes, promises and the arrangement, what was sent and what
a required step still waits for, the law's counters per channel, the offer, and the next
planned actions with their reasons.

It is built from the same planner, state and engine as ``plan``, ``gate`` and ``explain``
(nothing is decided twice). Contact points are masked (:func:`mask_phone`,
:func:`mask_email`): a file is read by many hands, and the dialer has the number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from dunning.accounts.model import Account, Contact
from dunning.plan.backlog import step_of_action
from dunning.plan.decide import Planner
from dunning.plan.model import AccountPlan
from dunning.plan.output import iso, offer_dict
from dunning.policy.model import CONTACT_CHANNELS, Policy
from dunning.state import account_state, snapshot_reason
from dunning.text.cells import clean_text

SCHEMA_VERSION = 1


def mask_phone(phone: str) -> str:
    """``+8613812345678`` → ``+•••••••••5678``: the last four digits only (enough to tell two
    numbers apart on a call, not enough to dial)."""
    if len(phone) <= 6:
        return "•" * len(phone)
    head = "+" if phone.startswith("+") else ""
    return head + "•" * (len(phone) - len(head) - 4) + phone[-4:]


def mask_email(email: str) -> str:
    """``debtor@example.com`` → ``d•••@example.com``."""
    local, at, domain = email.partition("@")
    if not at:
        return "•" * len(email)
    return (local[:1] + "•••") + "@" + domain


@dataclass(frozen=True)
class CaseFile:
    """One account's file as plain data (the JSON contract, docs/data.md#the-customer-file)."""

    data: dict[str, Any]


def _timeline(policy: Policy, account: Account, events: Sequence[Contact], zone: ZoneInfo) -> list[dict[str, Any]]:
    out = []
    for event in events:
        step = step_of_action(policy, account.account_id, event.action_id) if event.action_id else None
        entry: dict[str, Any] = {
            "at": event.at.astimezone(zone).isoformat(timespec="minutes"),
            "channel": event.channel or None,
            "event": event.outcome,
            "action_id": event.action_id or None,
            "template": step[3] if step else None,
            "note": event.note or None,
        }
        if event.amount is not None:
            entry["amount"] = f"{event.amount} {event.currency}".strip()
        if event.on is not None:
            entry["date"] = event.on.isoformat()
        out.append(entry)
    return out


def _counters(planner: Planner, account: Account, history: Sequence[Contact], zone: ZoneInfo) -> list[dict[str, Any]]:
    """Per contact channel: may it be used at noon on the as-of day, and if not, why and when."""
    noon = datetime.combine(planner.as_of, time(12, 0), tzinfo=zone)
    out = []
    for channel in CONTACT_CHANNELS:
        verdict = planner.engine.check(account, channel, noon, history)
        out.append(
            {
                "channel": channel,
                "at": noon.isoformat(timespec="minutes"),
                "verdict": verdict.verdict,
                "next_allowed": iso(verdict.earliest),
                "reasons": [f"{r.code}: {r.message}" for r in verdict.reasons],
            }
        )
    return out


def case_file(
    policy: Policy,
    account: Account,
    history: Sequence[Contact],
    as_of: date,
    *,
    horizon: int = 7,
    held: bool = False,
    tracks_sent: bool = False,
) -> CaseFile:
    """The file of ``account`` on ``as_of`` (``horizon``: how many days of planned actions)."""
    planner = Planner(policy, as_of, horizon, tracks_sent=tracks_sent)
    trace: list[str] = []
    plan: AccountPlan = planner.plan(account, history, trace=trace, held=held)
    state = account_state(
        account,
        history,
        as_of,
        policy.settings.promise_grace_days,
        held=held,
        reasons=policy.reason_marks,
    )
    zone = ZoneInfo(plan.timezone)
    current = state.account
    sent = []
    for action_id in sorted(state.sent):
        origin = step_of_action(policy, account.account_id, action_id)
        sent.append({"action_id": action_id, "template": origin[3] if origin else None})
    sent_templates = {s["template"] for s in sent if s["template"]}
    strategy = None
    tier = policy.tier(plan.tier) if plan.tier else None
    if tier is not None:
        arm_strategy = next(
            (a.strategy for e in policy.experiments if tier.id in e.tiers for a in e.arms if a.id == plan.arm), None
        )
        strategy = policy.strategies.get(arm_strategy or tier.strategy)
    missing = []
    if strategy is not None:
        for step in strategy.steps:
            if step.required and step.day <= plan.dpd and step.template and step.template not in sent_templates:
                missing.append({"step": f"{strategy.id}/{step.id}", "template": step.template})
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "account_id": account.account_id,
        "as_of": as_of.isoformat(),
        "who": {
            "name": current.name or None,
            "customer_id": current.customer_id or None,
            "phone": mask_phone(current.phone) if current.phone else None,
            "email": mask_email(current.email) if current.email else None,
            "address": current.address or None,
            "locale": plan.locale,
            "timezone": plan.timezone,
        },
        "debt": {
            "jurisdiction": current.jurisdiction,
            "currency": current.currency,
            "overdue_amount": str(current.overdue_amount),
            "due_date": current.due_date.isoformat(),
            "dpd": plan.dpd,
            "product": current.product or None,
            # the current reason (the latest arrears_reason event, else the snapshot's; docs/data.md)
            "arrears_reason": clean_text(state.arrears_reason)
            if state.arrears_reason_since or snapshot_reason(account)
            else None,
        },
        "tier": plan.tier,
        "arm": plan.arm,
        "status": plan.status,
        "why": trace,
        "flags": [
            {"flag": f.flag, "since": f.since.isoformat() if f.since else None, "source": f.source}
            for f in sorted(state.flags.values(), key=lambda f: f.flag)
        ],
        "exclusions": [{"code": e.code, "reason": e.reason} for e in plan.exclusions],
        "timeline": _timeline(policy, account, state.events, zone),
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
        if state.arrangement is None
        else {
            "agreed": state.arrangement.agreed.isoformat(),
            "instalment": str(state.arrangement.instalment),
            "count": state.arrangement.count,
            "interval_days": state.arrangement.interval,
            "first": state.arrangement.first.isoformat(),
            "paid": str(state.arrangement.paid(as_of)),
            "arrears": str(state.arrangement.arrears(as_of)),
            "status": state.arrangement.status(as_of),
        },
        "sent": sent,
        "missing": missing,
        "counters": _counters(planner, current, history, zone),
        "offers": [offer_dict(o) for o in plan.offers],
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
            for a in plan.actions
        ],
    }
    return CaseFile(data)


def _lines(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The file as (section title, lines of text), shared by the text, Markdown and HTML forms."""
    who, debt = data["who"], data["debt"]
    sections: list[tuple[str, list[str]]] = [
        (
            "Who",
            [f"{k}: {v}" for k, v in who.items() if v is not None],
        ),
        (
            "Debt",
            [f"{k}: {v}" for k, v in debt.items() if v is not None]
            + [f"tier: {data['tier'] or '-'}, arm: {data['arm'] or '-'}, status: {data['status']}"],
        ),
        ("Why", list(data["why"])),
        (
            "Flags",
            [f"{f['flag']} (since {f['since'] or 'unknown'}, {f['source']})" for f in data["flags"]]
            + [f"{e['code']}: {e['reason']}" for e in data["exclusions"]]
            or ["none"],
        ),
        (
            "Timeline",
            [
                " ".join(
                    part
                    for part in (
                        e["at"],
                        e["channel"] or "-",
                        e["event"],
                        e.get("amount", ""),
                        f"for {e['date']}" if e.get("date") else "",
                        f"[{e['action_id']} {e['template'] or ''}]".replace(" ]", "]") if e["action_id"] else "",
                        f"— {e['note']}" if e["note"] else "",
                    )
                    if part
                )
                for e in data["timeline"]
            ]
            or ["no events on file"],
        ),
        (
            "Promises and arrangement",
            [
                f"promise of {p['amount'] or 'an unknown amount'} due {p['due']} ({p['source']}): "
                f"paid {p['paid']}, {p['status']}"
                for p in data["promises"]
            ]
            + (
                [
                    "arrangement: {count} × {instalment} every {interval_days} days from {first}: "
                    "paid {paid}, arrears {arrears}, {status}".format(**data["arrangement"])
                ]
                if data["arrangement"]
                else []
            )
            or ["none"],
        ),
        (
            "Sent and missing",
            [f"sent {s['action_id']} ({s['template'] or 'template unknown'})" for s in data["sent"]]
            + [f"missing: {m['template']} (required step {m['step']})" for m in data["missing"]]
            or ["nothing sent on file"],
        ),
        (
            "The law's counters (at noon on the as-of day)",
            [
                f"{c['channel']}: {c['verdict']}"
                + (f", next allowed {c['next_allowed']}" if c["next_allowed"] else "")
                + "".join(f"; {r}" for r in c["reasons"])
                for c in data["counters"]
            ],
        ),
        (
            "Offer",
            [
                f"{o['id']}: {o['instalments']} instalment(s) {' + '.join(o['amounts'])} = {o['total']} "
                f"{o['currency']}, first due {o['first_due_date']}, every {o['interval_days']} days"
                for o in data["offers"]
            ]
            or ["none"],
        ),
        (
            "Next actions",
            [
                f"{a['id']}: {a['status']} {a['channel']} {a['template'] or ''} "
                f"{a['not_before'] or ''} – {a['not_after'] or ''} ({'; '.join(a['reasons'])})".replace("  ", " ")
                for a in data["next_actions"]
            ]
            or ["none"],
        ),
    ]
    return sections


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
