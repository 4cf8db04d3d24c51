"""Stops: what ends or limits contact whatever the time — the law packs' stops on flags,
opt-outs per channel, the engine's own safety stops (flags no pack covers, representation,
placements), unusable contact points (a data-quality reason, never the whole account),
missing disclosures in a message, and the policy's exclusions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from dunning.accounts.model import Account, Contact
from dunning.compliance.answers import Reason, Stop, StopEffect
from dunning.compliance.conditions import holds, tier_for
from dunning.compliance.jurisdictions import JurisdictionResolver, _Jurisdiction
from dunning.compliance.outcomes import KIND as AFTER_OUTCOME
from dunning.compliance.outcomes import outcome_stops
from dunning.policy.model import (
    CONTACT_CHANNELS,
    Condition,
    Exclusion,
    ExclusionEffect,
)
from dunning.state import POINTS, AccountState, account_state


class StopRules(JurisdictionResolver):
    """The stops of an account under one policy (a part of :class:`ContactEngine`)."""

    # ------------------------------------------------------------------ stops
    def stops(
        self,
        account: Account,
        *,
        as_of: date | None = None,
        tier_id: str | None = None,
        history: Sequence[Contact] = (),
        state: AccountState | None = None,
    ) -> tuple[Stop, ...]:
        """Law and policy stops for the account: law stops first, then opt-outs, the engine's
        safety stops, unusable contact points and the policy's exclusions (in file order).

        ``state`` is the account's state (snapshot + history, :mod:`dunning.state`); without
        it it is derived from ``account`` and ``history`` as of ``as_of``. Exclusions whose
        conditions need a date (tiers, days without payment or conversation) are evaluated
        only when ``as_of`` is given; ``tier_id`` defaults to the account's tier on ``as_of``.
        """
        if state is None:
            state = account_state(
                account,
                history,
                as_of or date.max,
                self.policy.settings.promise_grace_days,
                reasons=self.policy.reason_marks,
            )
        account = state.account
        j = self.jurisdiction(account.jurisdiction)
        found: list[Stop] = []
        if account.flags:  # most accounts carry none: skip the flag rules at once
            covered: set[str] = set()
            for rule in j.law_stops:
                flag = str(rule.params.get("flag", ""))
                covered.add(flag)
                if account.flag(flag):
                    found.append(
                        Stop(
                            _stop_effect(rule.effect),
                            (),
                            Reason(rule.id, rule.id, rule.citation, _stop_message(flag, rule.effect, state)),
                            True,
                            tuple(rule.params.get("allow_purposes") or ()),
                        )
                    )
            for channel in CONTACT_CHANNELS:
                flag = f"{channel}_opt_out"
                if account.flag(flag):
                    opt_rule = j.opt_out_rule
                    legal = opt_rule is not None and channel in opt_rule.channels
                    found.append(
                        Stop(
                            "suppress",
                            (channel,),
                            Reason(
                                f"opt-out/{channel}",
                                opt_rule.id if (legal and opt_rule) else "opt-out",
                                opt_rule.citation if (legal and opt_rule) else "the debtor's own request",
                                f"the debtor asked not to be contacted by {channel}; other channels stay open"
                                + _source_words(flag, state),
                            ),
                            legal,
                        )
                    )
            for flag, safety_effect in _SAFETY_STOPS:
                if flag in covered or not account.flag(flag):
                    continue
                found.append(
                    Stop(
                        safety_effect,
                        (),
                        Reason(
                            f"flag/{flag}",
                            f"flag/{flag}",
                            "dunning safety stop",
                            _stop_message(flag, safety_effect, state),
                        ),
                        False,
                    )
                )
        if state.events:  # the law's stops after an outcome (a third party answered, refusals, a complaint)
            after = [(rule, params) for rule, params in j.rules if rule.kind == AFTER_OUTCOME]
            if after:
                found.extend(outcome_stops(after, account, state.events, as_of or date.max))
        if account.overdue_amount <= 0:  # paid in full: nothing to collect, nobody to contact
            found.append(Stop("exclude", (), SETTLED, False))
        if state.unknown_reason:
            found.append(Stop("pause", (), UNKNOWN_REASON, False))
        found.extend(_point_stops(account, state))
        found.extend(self._exclusion_stops(account, self.policy.exclusions, as_of, tier_id, history, state))
        return tuple(found)

    def _exclusion_stops(
        self,
        account: Account,
        exclusions: Iterable[Exclusion],
        as_of: date | None,
        tier_id: str | None,
        history: Sequence[Contact],
        state: AccountState | None = None,
    ) -> Iterator[Stop]:
        """The stops of those ``exclusions`` that hold for the account (see :meth:`stops`)."""
        tier_known = tier_id is not None
        for exclusion in exclusions:
            when = exclusion.when
            if not _may_hold(when, account):
                continue
            if as_of is None and _needs_date(when):
                continue
            if when.tiers and not tier_known and as_of is not None:
                tier = tier_for(self.policy, account, as_of)
                tier_id, tier_known = (tier.id if tier is not None else None), True
            ok, _part = holds(
                exclusion.when,
                account,
                as_of=as_of or date.min,
                tier_id=tier_id,
                history=history,
                promise_grace_days=self.policy.settings.promise_grace_days,
                state=state,
            )
            if ok:
                effect = _EXCLUSION_EFFECTS[exclusion.effect]
                channels = exclusion.channels if exclusion.effect is ExclusionEffect.SUPPRESS else ()
                yield Stop(
                    effect,
                    channels,
                    Reason(exclusion.code, exclusion.id, str(exclusion.source), exclusion.reason),
                    False,
                )


# Flags the engine stops on even where no pack names them (policy layer, not law).
_SAFETY_STOPS: tuple[tuple[str, StopEffect], ...] = (
    ("bankruptcy", "exclude"),
    ("deceased", "exclude"),
    ("cease_contact", "exclude"),
    ("legal_hold", "exclude"),
    ("breathing_space", "exclude"),
    ("dispute", "pause"),
    # contact the representative, not the customer; the agency or the lawyers collect
    ("represented", "pause"),
    ("placed_with_agency", "pause"),
    ("legal_referred", "pause"),
)

_EXCLUSION_EFFECTS: dict[ExclusionEffect, StopEffect] = {
    ExclusionEffect.EXCLUDE: "exclude",
    ExclusionEffect.PAUSE: "pause",
    ExclusionEffect.SUPPRESS: "suppress",
}

_FLAG_WORDS = {
    "bankruptcy": "the debtor is in bankruptcy",
    "deceased": "the debtor is deceased",
    "cease_contact": "the debtor asked us to stop contacting them",
    "legal_hold": "the account is on legal hold",
    "breathing_space": "the debtor is in a Breathing Space moratorium",
    "dispute": "the debt is disputed",
    "represented": "the debtor is represented (a lawyer or debt adviser): contact the representative",
    "placed_with_agency": "the account is placed with a collection agency",
    "legal_referred": "the account is referred to legal",
}


def _stop_effect(effect: str) -> StopEffect:
    return effect if effect in ("exclude", "pause", "suppress") else "exclude"  # type: ignore[return-value]


def _stop_message(flag: str, effect: str, state: AccountState | None = None) -> str:
    what = {"exclude": "no contact", "pause": "collection paused", "suppress": "channel suppressed"}.get(
        effect, "no contact"
    )
    return f"{_FLAG_WORDS.get(flag, flag)}: {what}" + _source_words(flag, state)


def _source_words(flag: str, state: AccountState | None) -> str:
    """`` (history, since 2026-11-29)`` when the history set the flag; nothing for the
    snapshot alone (its words are those of every plan without history)."""
    found = state.flags.get(flag) if state is not None else None
    if found is None or found.source == "snapshot":
        return ""
    return f" ({found.words()})"


SETTLED = Reason(
    "balance/settled", "balance", "dunning safety stop", "nothing is overdue (paid in full): no collection"
)

# A reason for arrears outside the vocabulary (built in and the policy's own) might be one that
# marks the customer vulnerable: the stricter reading pauses until it is corrected or declared.
# The word itself is never repeated (it is account-supplied text).
UNKNOWN_REASON = Reason(
    "data/arrears-reason-unknown",
    "data/arrears-reason-unknown",
    "dunning safety stop",
    "a reason for arrears on file is not a word of the vocabulary (docs/data.md) nor of the policy's "
    "arrears_reasons: collection paused until it is corrected or declared",
)

_POINT_WORDS = {
    "missing": "no {point} on file",
    "invalid": "the {point} on file is not usable",
    "wrong-number": "the phone on file reached someone else (wrong_number)",
    "bounced": "email to the address on file bounced",
    "returned": "a letter to the address on file came back (returned_mail)",
}


def _point_stops(account: Account, state: AccountState) -> Iterator[Stop]:
    """A contact point that is missing, invalid or found unusable removes the channels that
    need it (a data-quality reason), never the account."""
    for point, channels in POINTS.items():
        if not getattr(account, point):
            what = "invalid" if point in account.invalid else "missing"
            code = f"data/{point}-{what}"
        elif point in state.unusable:
            code = state.unusable[point]
            what = code.split(f"data/{point}-", 1)[1]
        else:
            continue
        message = _POINT_WORDS[what].format(point=point) + f": no {' or '.join(channels)}"
        source = "the contact history" if point in state.unusable else "the account snapshot"
        yield Stop("suppress", channels, Reason(code, "data-quality", source, message), False)


_DISCLOSURE_WORDS = {"opt_out": "opt-out instruction", "mini_miranda": "debt-collector disclosure"}


def _missing_disclosures(j: _Jurisdiction, channel: str, content: str, purpose: str | None) -> list[Stop]:
    """Law stops for a rendered message that lacks a disclosure its jurisdiction requires.

    A message without a stated purpose is read as a collection message (the stricter side).
    """
    out = []
    for rule, patterns in j.disclosures:
        if channel not in rule.channels or (rule.purposes and (purpose or "collection") not in rule.purposes):
            continue
        if any(p.search(content) for p in patterns):
            continue
        what = _DISCLOSURE_WORDS.get(str(rule.params.get("text")), "required disclosure")
        message = f"the {channel} content has no {what}; send it only with the disclosure"
        out.append(Stop("suppress", (channel,), Reason(rule.id, rule.id, rule.citation, message), True))
    return out


def _may_hold(cond: Condition, account: Account) -> bool:
    """False when a part of ``cond`` that does not depend on the date already fails:
    flags, segments, balance bounds — the cheap parts, checked before any tier or history."""
    if (cond.flags and not account.flags.issuperset(cond.flags)) or (
        cond.segments and account.segment not in cond.segments
    ):
        return False
    if cond.max_overdue or cond.min_overdue:
        high, low = cond.max_overdue.get(account.currency), cond.min_overdue.get(account.currency)
        if (high is not None and account.overdue_amount > high) or (low is not None and account.overdue_amount < low):
            return False
    return True


def _needs_date(cond: Any) -> bool:
    return bool(
        cond.tiers
        or cond.promise.value != "any"
        or cond.no_payment_for_days is not None
        or cond.no_conversation_for_days is not None
        or cond.arrangement is not None
        or cond.days_since_last_contact is not None
        or cond.days_since_right_party_contact is not None
        or cond.paid_since_days is not None
        or cond.outcomes_in_last_days
    )
