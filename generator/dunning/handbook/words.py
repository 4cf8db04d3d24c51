"""Policy elements in plain words, for reviewers who do not read YAML."""

from __future__ import annotations

from dunning.handbook.markdown import amounts, joined
from dunning.policy.model import Condition, ExclusionEffect, Promise, Step

CHANNEL_NAMES = {
    "sms": "SMS",
    "email": "email",
    "letter": "letter",
    "call": "phone call",
    "visit": "field visit",
    "agency": "agency placement",
    "legal_review": "legal review",
}
PROMISE_WORDS = {
    Promise.NONE: "no promise to pay is on file",
    Promise.BROKEN: "a promise to pay was broken",
    Promise.NOT_KEPT: "no promise to pay is open (none on file, or the last one was broken)",
}
CONTACT_POINTS = {"phone": "a phone number", "email": "an email address", "address": "a postal address"}


def channel(name: str) -> str:
    """``call`` → ``phone call``."""
    return CHANNEL_NAMES.get(name, name)


def condition(when: Condition) -> str:
    """``Only if … and …``; ``Always`` for an empty condition."""
    parts: list[str] = []
    if when.promise in PROMISE_WORDS:
        parts.append(PROMISE_WORDS[when.promise])
    if when.min_overdue:
        parts.append(f"the overdue amount is at least {amounts(when.min_overdue)}")
    if when.max_overdue:
        parts.append(f"the overdue amount is at most {amounts(when.max_overdue)}")
    if when.tiers:
        parts.append(f"the account is in tier {joined(list(when.tiers), 'or')}")
    if when.jurisdictions:
        parts.append(f"the account is in {joined(list(when.jurisdictions), 'or')}")
    if when.products:
        parts.append(f"the product is {joined(list(when.products), 'or')}")
    if when.segments:
        parts.append(f"the segment is {joined(list(when.segments), 'or')}")
    if when.flags:
        parts.append(f"the account is flagged {joined([f.replace('_', ' ') for f in when.flags])}")
    if when.not_flags:
        parts.append(f"the account is not flagged {joined([f.replace('_', ' ') for f in when.not_flags], 'or')}")
    if when.no_payment_for_days is not None:
        parts.append(f"no payment came in the last {when.no_payment_for_days} days")
    if when.no_conversation_for_days is not None:
        parts.append(f"nobody spoke with the customer in the last {when.no_conversation_for_days} days")
    if when.failed_attempts is not None:
        parts.append(f"at least {when.failed_attempts} call attempts went unanswered")
    if when.has:
        parts.append(f"we have {joined([CONTACT_POINTS.get(h, h) for h in when.has])}")
    parts.extend(_state_words(when))
    if not parts:
        return "Always"
    return "Only if " + joined(parts) + "."


def cadence(step: Step, last_day: int | None) -> str:
    """``day 10, then every 4 days until day 30``."""
    if step.every is None:
        return f"day {step.day}"
    end = step.until if step.until is not None else last_day
    until = f" until day {end}" if end is not None else " while the account stays in the tier"
    return f"day {step.day}, then every {step.every} days{until}"


def effect(kind: ExclusionEffect, channels: tuple[str, ...]) -> str:
    """What an exclusion does, in words."""
    if kind is ExclusionEffect.EXCLUDE:
        return "No contact at all: the account is excluded from the plan."
    if kind is ExclusionEffect.PAUSE:
        return "The cadence is paused: the account stays planned, with no action, until the flag is cleared."
    return f"No {joined([channel(c) for c in channels], 'or')}; other channels go on."


_YES_NO = {True: "", False: "not "}


def _state_words(when: Condition) -> list[str]:
    """The parts of a condition that read the account's state (snapshot and history)."""
    parts: list[str] = []
    if when.arrangement is not None:
        parts.append(
            "there is no payment arrangement"
            if when.arrangement == "none"
            else f"the payment arrangement is {when.arrangement}"
        )
    if when.placed is not None:
        parts.append(f"the account is {_YES_NO[when.placed]}placed with an agency or referred to legal")
    if when.disputed is not None:
        parts.append(f"the debt is {_YES_NO[when.disputed]}disputed")
    if when.represented is not None:
        parts.append(f"the customer is {_YES_NO[when.represented]}represented by a lawyer or debt adviser")
    if when.days_since_last_contact is not None:
        parts.append(f"there was no contact in the last {when.days_since_last_contact} days")
    if when.days_since_right_party_contact is not None:
        parts.append(f"nobody reached the customer in person in the last {when.days_since_right_party_contact} days")
    if when.paid_since_days is not None:
        parts.append(f"a payment came in the last {when.paid_since_days} days")
    if when.arrears_reasons:
        words = [w.replace("_", " ") for w in when.arrears_reasons]
        parts.append(f"the reason for arrears is {joined(words, 'or')}")
    for wanted in when.outcomes_in_last_days:
        what = wanted.outcome.replace("_", " ")
        parts.append(f"at least {wanted.count} × “{what}” in the last {wanted.days} days")
    return parts
