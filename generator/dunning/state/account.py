"""An account's state as of a date, from its snapshot row and its contact history.

:func:`account_state` is the one place that reads the history's meaning: flags with the
day they started and where they come from, opt-outs per channel, the promise ledger, the
arrangement, the placement, contact points found unusable, the messages sent, and the
last contact and right-party contact. Where snapshot and history disagree the stricter
reading holds: a flag set by either is set (a history event can end only what the history
started — the snapshot's ``dispute = true`` stays until the snapshot says otherwise).

Events after the as-of date are not read (a plan for a past day sees that day's state).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Literal

from dunning.accounts import events as ev
from dunning.accounts.history.timeline import TimeOrdered
from dunning.accounts.model import Account, Contact
from dunning.state.ledger import Arrangement, Payment, PromiseLedger, promise_ledger

Source = Literal["snapshot", "history", "snapshot and history", "arrears_reason"]
PromiseWord = Literal["none", "open", "kept", "broken"]

# History events that set a flag, and the event that ends it (None: nothing in the history does).
_STARTS: Mapping[str, tuple[str, str | None]] = MappingProxyType(
    {
        "dispute": ("dispute", "verification_sent"),
        "cease_contact": ("cease_contact", None),
        "complaint": ("complaint", None),
        "hardship": ("hardship", None),
        "vulnerable": ("vulnerable", None),
        "breathing_space_start": ("breathing_space", "breathing_space_end"),
        "bankruptcy": ("bankruptcy", None),
        "deceased": ("deceased", None),
        "represented": ("represented", None),
        "placed_with_agency": ("placed_with_agency", "recalled"),
        "legal_referred": ("legal_referred", "recalled"),
    }
)
# Contact points, the channels that need them, and the history events that make them unusable.
POINTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"phone": ("call", "sms"), "email": ("email",), "address": ("letter", "visit")}
)
_SPOILS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "wrong_number": ("phone", "wrong-number"),
        "bounced": ("email", "bounced"),
        "returned_mail": ("address", "returned"),
    }
)
# Events that show a contact point works again (a later one lifts the spoiling event).
_WORKS = frozenset(("delivered", "connected", "right_party_contact"))
_POINT_OF_CHANNEL = {"call": "phone", "sms": "phone", "email": "email", "letter": "address", "visit": "address"}


@dataclass(frozen=True)
class FlagState:
    """A flag that holds: since when (None: the snapshot does not say) and from where."""

    flag: str
    since: date | None
    source: Source

    def words(self) -> str:
        """Where the flag comes from, for reasons: ``history, since 2026-11-29``."""
        return self.source + (f", since {self.since}" if self.since is not None else "")


@dataclass(frozen=True)
class AccountState:
    """Everything the plan, the gate and ``explain`` know about an account on ``as_of``.

    ``account`` is the snapshot row with the state folded in (flags set by either source,
    the latest payment, the current promise), so rules that read an account read the state.
    """

    account: Account
    as_of: date
    flags: Mapping[str, FlagState] = field(default_factory=dict)
    promises: tuple[PromiseLedger, ...] = ()  # every promise on file, by promised date
    arrangement: Arrangement | None = None
    unusable: Mapping[str, str] = field(default_factory=dict)  # contact point -> data code
    sent: frozenset[str] = frozenset()  # action ids of the `sent` events
    last_contact: date | None = None
    last_right_party: date | None = None
    last_third_party: date | None = None
    last_payment: date | None = None
    events: tuple[Contact, ...] = ()  # the history up to as_of, in time order
    held: bool = False  # the history has an unreadable line for this account
    # the reason for arrears: the latest arrears_reason event's word, else the snapshot's
    # column, else "unknown"; and the day it was learnt (None: the snapshot's, or none)
    arrears_reason: str = "unknown"
    arrears_reason_since: date | None = None
    unknown_reason: bool = False  # a reason on file is not a word of the vocabulary

    @property
    def promise(self) -> PromiseLedger | None:
        """The current promise: the one with the latest promised date."""
        return self.promises[-1] if self.promises else None

    def promise_status(self, on: date) -> PromiseWord:
        """The current promise on day ``on``: none, open, kept or broken."""
        current = self.promise
        return "none" if current is None else current.status(on)

    def arrangement_status(self, on: date) -> Literal["none", "active", "broken", "completed"]:
        """The arrangement on day ``on`` (none without one)."""
        return "none" if self.arrangement is None else self.arrangement.status(on)

    def placed(self) -> bool:
        """True while the account is with an agency or referred to legal."""
        return "placed_with_agency" in self.flags or "legal_referred" in self.flags

    def days_since(self, day: date | None, on: date) -> int | None:
        """Whole days from ``day`` to ``on`` (None when ``day`` is None)."""
        return None if day is None else (on - day).days

    def outcomes_in(self, word: str, days: int, on: date) -> int:
        """How many ``word`` outcomes fell in the ``days`` days up to ``on`` (``on`` and the
        ``days - 1`` before it). Besides the event words: ``promise_broken`` and
        ``promise_kept`` (the day a promise broke or was kept), ``arrangement_broken``."""
        first = on - timedelta(days=days - 1)
        if word in ("promise_broken", "promise_kept"):
            found = [(p.broken_on() if word == "promise_broken" else p.kept_on()) for p in self.promises]
            return sum(1 for d in found if d is not None and first <= d <= on)
        if word == "arrangement_broken":
            broken = self.arrangement.broken_on() if self.arrangement is not None else None
            return int(broken is not None and first <= broken <= on)
        return sum(1 for c in self.events if c.outcome == word and first <= c.at.date() <= on)


def account_state(
    account: Account,
    history: Iterable[Contact],
    as_of: date,
    grace: int,
    *,
    held: bool = False,
    reasons: Mapping[str, bool] = ev.REASON_MARKS,
) -> AccountState:
    """The account's state on ``as_of`` (``grace``: the policy's promise grace days;
    ``reasons``: the reason-for-arrears vocabulary, each word with whether it marks the
    customer vulnerable — the policy's :attr:`~dunning.policy.model.Policy.reason_marks`)."""
    if isinstance(history, TimeOrdered):  # a stable sort would keep its order
        events = tuple(c for c in history if c.at.date() <= as_of)
    else:
        events = tuple(sorted((c for c in history if c.at.date() <= as_of), key=lambda c: (c.at, c.channel, c.outcome)))
    flags: dict[str, FlagState] = {f: FlagState(f, None, "snapshot") for f in sorted(account.flags)}
    started: dict[str, date] = {}
    ended: dict[str, str] = {stop: flag for flag, stop in _STARTS.values() if stop is not None}
    unusable: dict[str, str] = {}
    spoiled: dict[str, tuple[str, str]] = {}  # point -> (code, the number/address it concerns)
    sent: set[str] = set()
    last_contact = last_rpc = last_third = None
    payments: list[Payment] = []
    promise_events: list[Contact] = []
    arrangement_event: Contact | None = None
    reason = snapshot_reason(account)
    reason_since: date | None = None
    unknown_reason = bool(reason) and reason not in reasons
    # learning a reason that marks vulnerable sets the flag for good (FG21/1: act on what is
    # learnt; no event ends `vulnerable`): from the first such reason on
    marked: date | None = None
    for c in events:
        day = c.at.date()
        word = c.outcome
        if word in _STARTS:
            flag = _STARTS[word][0]
            started.setdefault(flag, day)
        elif word == "opt_out":
            started.setdefault(f"{c.channel}_opt_out", day)
        elif word == "opt_in":
            started.pop(f"{c.channel}_opt_out", None)
        elif word in ended or word == "recalled":
            for flag in ("placed_with_agency", "legal_referred") if word == "recalled" else (ended[word],):
                started.pop(flag, None)
        if word in ev.CONTACTS:
            last_contact = day
        if word in ev.RIGHT_PARTY:
            last_rpc = day
        if word == "third_party":
            last_third = day
        if word in _SPOILS:
            point, what = _SPOILS[word]
            if _concerns(c, account, point):
                spoiled[point] = (f"data/{point}-{what}", _point_value(c, point))
        elif word in _WORKS and c.channel:
            point = _POINT_OF_CHANNEL.get(c.channel, "")
            if point in spoiled and _concerns(c, account, point):
                del spoiled[point]
        if word == "sent" and c.action_id:
            sent.add(c.action_id)
        if word == "payment":
            payments.append((c.on or day, c.amount))
        elif word == "promise":
            promise_events.append(c)
        elif word == "arrangement":
            arrangement_event = c
        elif word == "arrears_reason" and c.reason:
            reason, reason_since = c.reason, day
            # the latest word is the reason on file: a word outside the vocabulary pauses
            # collection until a later event corrects it (the stop says so), not for good
            unknown_reason = c.reason not in reasons
            if not unknown_reason and marked is None and reasons[c.reason]:
                marked = day
    for flag, day in started.items():
        before = flags.get(flag)
        flags[flag] = FlagState(flag, day, "history" if before is None else "snapshot and history")
    if "vulnerable" not in flags:
        if reasons.get(snapshot_reason(account), False):
            flags["vulnerable"] = FlagState("vulnerable", None, "arrears_reason")
        elif marked is not None:
            flags["vulnerable"] = FlagState("vulnerable", marked, "arrears_reason")
    for point, (code, _value) in spoiled.items():
        unusable[point] = code
    if account.last_payment_date is not None:
        payments.append((account.last_payment_date, None))
    promises = _promises(account, promise_events, payments, grace)
    arrangement = None
    if arrangement_event is not None:
        assert arrangement_event.amount is not None and arrangement_event.on is not None
        agreed = arrangement_event.at.date()
        arrangement = Arrangement(
            agreed=agreed,
            instalment=arrangement_event.amount,
            count=arrangement_event.instalments,
            interval=arrangement_event.interval_days,
            first=arrangement_event.on,
            grace=grace,
            payments=tuple(sorted((d, a) for d, a in payments if a is not None and d >= agreed)),
        )
    paid_days = [d for d, _ in payments]
    last_payment = max(paid_days) if paid_days else None
    current = promises[-1] if promises else None
    folded = frozenset(flags)
    due = current.due if current is not None else None
    amount = current.amount if current is not None else None
    # without history the state usually folds nothing into the row: the row itself then
    # (``dataclasses.replace`` was a tenth of a decision learned by the planning workers);
    # the amount is compared as the same object, as Decimals that compare equal may be
    # written differently ("5.0", "5.00")
    if (
        folded == account.flags
        and last_payment == account.last_payment_date
        and due == account.promise_to_pay_date
        and amount is account.promise_amount
    ):
        effective = account
    else:
        effective = replace(
            account, flags=folded, last_payment_date=last_payment, promise_to_pay_date=due, promise_amount=amount
        )
    return AccountState(
        account=effective,
        as_of=as_of,
        flags=MappingProxyType(dict(sorted(flags.items()))),
        promises=promises,
        arrangement=arrangement,
        unusable=MappingProxyType(unusable),
        sent=frozenset(sent),
        last_contact=last_contact,
        last_right_party=last_rpc,
        last_third_party=last_third,
        last_payment=last_payment,
        events=events,
        held=held,
        arrears_reason=reason or "unknown",
        arrears_reason_since=reason_since,
        unknown_reason=unknown_reason,
    )


def snapshot_reason(account: Account) -> str:
    """The snapshot's ``arrears_reason`` column, lower case ("" when absent or empty)."""
    return (account.extra.get("arrears_reason") or "").strip().lower()


def _promises(account: Account, made: list[Contact], payments: list[Payment], grace: int) -> tuple[PromiseLedger, ...]:
    """Every promise on file (snapshot and history), ordered by promised date; a snapshot
    promise the history also records (same date) is the history's (it knows when it was
    made and its amount)."""
    found: dict[date, PromiseLedger] = {}
    if account.promise_to_pay_date is not None:
        due = account.promise_to_pay_date
        found[due] = promise_ledger(due, account.promise_amount, None, "snapshot", grace, payments)
    for c in made:
        assert c.on is not None  # the reader requires a promise's date
        amount = c.amount
        if amount is None and c.on in found:
            amount = found[c.on].amount
        found[c.on] = promise_ledger(c.on, amount, c.at.date(), "history", grace, payments)
    return tuple(found[d] for d in sorted(found))


def _concerns(c: Contact, account: Account, point: str) -> bool:
    """True when event ``c`` is about the account's current ``point`` (an event naming
    another phone or email than the snapshot's is about an old one)."""
    value = _point_value(c, point)
    return not value or value == getattr(account, point)


def _point_value(c: Contact, point: str) -> str:
    return c.phone if point == "phone" else c.email if point == "email" else ""


def snapshot_state(
    account: Account, as_of: date, grace: int, reasons: Mapping[str, bool] = ev.REASON_MARKS
) -> AccountState:
    """The state of an account without history (the snapshot alone)."""
    return account_state(account, (), as_of, grace, reasons=reasons)
