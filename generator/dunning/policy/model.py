"""The compiled policy: immutable, typed, cross-referenced. The one artifact later stages share.

Every element keeps a :class:`Source` (file, line, column) so that plans, ``explain``, the
handbook and validate can all point back at the YAML line that made a decision.
Money is ``Decimal``; an :class:`Amounts` holds a threshold per currency, because one book
spans CNY and USD and ``500`` means different things in each.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from types import MappingProxyType

from dunning.accounts.events import ARREARS_REASONS, VULNERABLE_REASONS

CHANNELS = ("sms", "email", "letter", "call", "visit", "agency", "legal_review")
# What a message is for. collection: asks for payment (US: carries the mini-Miranda);
# notice: a notice the law requires or allows (a US letter or email notice is the validation
# notice, T013); reply: an answer to the customer's own query (allowed during a Breathing
# Space moratorium, never planned); limited_content: a voicemail; internal: staff only.
PURPOSES = ("collection", "notice", "reply", "limited_content", "internal")
# Channels that reach the debtor (the others are internal hand-overs).
# Notices the law attaches duties to, as a template registers them (`notice:`): the US
# validation notice (12 CFR 1006.34), the UK default notice (CCA 1974 s. 87) and a plain
# notice of arrears (CCA s. 86B, or a lender's own).
NOTICE_KINDS = ("validation", "default", "arrears")
# Postage classes a letter template may state (`postage:`); print batches are cut by it.
# Without one: `registered` for purpose `notice`, `first_class` otherwise (render/letter.py).
POSTAGE_CLASSES = ("first_class", "second_class", "standard", "registered")
# A one-off step that did not go out on its day may still go out this many days later
# (docs/cadence.md): a week covers a weekend, a holiday break and a cap's deferral.
DEFAULT_CATCH_UP = 7
CONTACT_CHANNELS = ("sms", "email", "letter", "call", "visit")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_TYPES = (*WEEKDAYS, "workdays", "weekends", "holidays", "every_day")
FLAGS = (
    "dispute",
    "bankruptcy",
    "deceased",
    "cease_contact",
    "hardship",
    "vulnerable",
    "legal_hold",
    "breathing_space",
    "sms_opt_out",
    "email_opt_out",
    "call_opt_out",
    # set by the contact history only (docs/data.md)
    "letter_opt_out",
    "visit_opt_out",
    "represented",
    "complaint",
    "placed_with_agency",
    "legal_referred",
)


@dataclass(frozen=True, order=True)
class Source:
    """Where a policy element is written: repository-relative file, 1-based line and column."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


def frozen_map(data: Mapping[str, object] | None = None) -> Mapping[str, object]:
    """A read-only view, so the compiled model cannot be changed by a later stage."""
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Amounts:
    """A money threshold per ISO 4217 currency; ``default`` applies to currencies not listed."""

    by_currency: Mapping[str, Decimal] = field(default_factory=frozen_map)  # type: ignore[arg-type]
    default: Decimal | None = None

    def get(self, currency: str) -> Decimal | None:
        """The threshold for ``currency`` (None: no threshold for it)."""
        return self.by_currency.get(currency, self.default)

    def __bool__(self) -> bool:
        return bool(self.by_currency) or self.default is not None


@dataclass(frozen=True)
class Localized:
    """A text per BCP 47 locale (company name, signature, address)."""

    texts: Mapping[str, str]

    def get(self, locale: str, fallback: str = "") -> str:
        """The text for ``locale``, else the first one given, else ``fallback``."""
        if locale in self.texts:
            return self.texts[locale]
        return next(iter(self.texts.values()), fallback)


@dataclass(frozen=True)
class ArrearsReason:
    """A word of the reason-for-arrears vocabulary: built in (docs/data.md) or the policy's own
    (``arrears_reasons:``), its label per locale and whether learning it marks the customer
    vulnerable (FCA FG21/1; the built-in default: :data:`VULNERABLE_REASONS`)."""

    word: str
    label: Localized
    marks_vulnerable: bool
    source: Source | None = None  # None: built in


# The built-in labels (a policy may relabel a word in its `arrears_reasons:` section).
_REASON_LABELS: Mapping[str, tuple[str, str]] = {
    "forgot": ("Forgot to pay", "忘记还款"),
    "income_drop": ("Income dropped", "收入下降"),
    "unemployment": ("Unemployment", "失业"),
    "illness": ("Illness", "疾病"),
    "family_emergency": ("Family emergency", "家庭变故"),
    "bereavement": ("Bereavement", "亲人离世"),
    "dispute": ("Disputes the debt", "对债务有异议"),
    "fraud_claim": ("Claims fraud", "声称欺诈"),
    "over_indebted": ("Over-indebted", "过度负债"),
    "refuses": ("Refuses to pay", "拒绝还款"),
    "unknown": ("Unknown", "未知"),
}


def builtin_reasons() -> Mapping[str, ArrearsReason]:
    """The built-in vocabulary, each word with its default vulnerability marking."""
    return MappingProxyType(
        {
            word: ArrearsReason(
                word,
                Localized(MappingProxyType({"en-US": _REASON_LABELS[word][0], "zh-CN": _REASON_LABELS[word][1]})),
                word in VULNERABLE_REASONS,
            )
            for word in ARREARS_REASONS
        }
    )


@dataclass(frozen=True)
class Company:
    """Who is collecting: what templates sign with and what disclosures name."""

    name: Localized
    sms_signature: Localized
    phone: Mapping[str, str]  # per jurisdiction country
    email: str
    website: str
    postal_address: Localized
    unsubscribe_url: str
    source: Source


@dataclass(frozen=True)
class Jurisdiction:
    """Settings for accounts of one ISO 3166 country or subdivision (``US-MA`` falls back to ``US``)."""

    code: str
    currency: str
    locales: tuple[str, ...]
    default_locale: str
    timezone: str
    holidays: str | None  # country code for the holiday calendar, None for no calendar
    packs: tuple[str, ...]
    tighten: Mapping[str, Mapping[str, object]]  # pack rule id -> stricter parameters
    source: Source


@dataclass(frozen=True)
class Agency:
    """A collection agency accounts can be placed with; ``fields`` is all it may receive."""

    id: str
    name: str
    jurisdictions: tuple[str, ...]
    fields: tuple[str, ...]
    email: str
    source: Source


@dataclass(frozen=True)
class Range:
    """An inclusive integer range; ``high`` None means unbounded."""

    low: int
    high: int | None

    def contains(self, value: int) -> bool:
        """True when ``low <= value <= high``."""
        return value >= self.low and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        return f"{self.low}+" if self.high is None else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class Tier:
    """A delinquency grade: the first tier (in file order) whose bounds hold takes the account."""

    id: str
    name: str
    order: int
    dpd: Range
    min_amount: Amounts
    max_amount: Amounts
    products: tuple[str, ...]  # empty: any
    segments: tuple[str, ...]  # empty: any
    jurisdictions: tuple[str, ...]  # empty: any
    strategy: str
    description: str
    source: Source


class Promise(StrEnum):
    """Promise-to-pay states a step condition can ask for."""

    ANY = "any"
    NONE = "none"  # no promise on file
    BROKEN = "broken"  # a promise whose date (+ grace) passed unpaid
    NOT_KEPT = "not_kept"  # none or broken: "only if no promise to pay"


@dataclass(frozen=True)
class OutcomeCount:
    """At least ``count`` history outcomes ``outcome`` in the last ``days`` days."""

    outcome: str
    count: int
    days: int


@dataclass(frozen=True)
class Condition:
    """When a step, exclusion or offer applies; every given part must hold (AND)."""

    promise: Promise = Promise.ANY
    min_overdue: Amounts = field(default_factory=Amounts)
    max_overdue: Amounts = field(default_factory=Amounts)
    products: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # all of these flags set
    not_flags: tuple[str, ...] = ()  # none of these flags set
    no_payment_for_days: int | None = None  # last payment at least N days before as-of
    no_conversation_for_days: int | None = None  # no conversation in the last N days
    failed_attempts: int | None = None  # at least N unanswered call attempts on file
    has: tuple[str, ...] = ()  # contact points that must exist: phone, email, address
    # read from the account's state (snapshot + history, dunning.state)
    arrangement: str | None = None  # none | active | broken | completed
    placed: bool | None = None  # with an agency or referred to legal
    disputed: bool | None = None
    represented: bool | None = None
    days_since_last_contact: int | None = None  # no contact in the last N days
    days_since_right_party_contact: int | None = None  # no right-party contact in the last N days
    paid_since_days: int | None = None  # a payment in the last N days
    outcomes_in_last_days: tuple[OutcomeCount, ...] = ()  # each: at least count outcomes in days
    arrears_reasons: tuple[str, ...] = ()  # the account's current reason for arrears is one of these

    def is_empty(self) -> bool:
        """True when the condition always holds."""
        return self == Condition()


@dataclass(frozen=True)
class Requirement:
    """A step waits until a message of template ``sent`` went out at least ``at_least_days``
    days before (and was not returned undelivered)."""

    sent: str  # a template id
    at_least_days: int
    source: Source


@dataclass(frozen=True)
class Step:
    """One cadence step: on day ``day`` past due (and every ``every`` days until ``until``)."""

    index: int
    day: int
    channel: str
    template: str | None
    every: int | None
    until: int | None
    when: Condition
    agency: str | None
    priority: int
    description: str
    source: Source
    catch_up: int | None = None  # days a missed occurrence may still go out (None: the default)
    required: bool = False  # a notice: sent however late the account arrives, before later steps
    requires: tuple[Requirement, ...] = ()  # what must have been sent first

    @property
    def id(self) -> str:
        """Stable within the strategy: the step's channel and first day."""
        return f"{self.channel}@{self.day}"

    def fires_on(self, dpd: int, tier_high: int | None) -> bool:
        """True when the step is due on the day the account is ``dpd`` days past due."""
        if dpd < self.day:
            return False
        if self.every is None:
            return dpd == self.day
        last = self.until if self.until is not None else tier_high
        if last is not None and dpd > last:
            return False
        return (dpd - self.day) % self.every == 0


@dataclass(frozen=True)
class Strategy:
    """A cadence: the ordered steps a tier (or an experiment arm) runs."""

    id: str
    description: str
    steps: tuple[Step, ...]
    source: Source
    catch_up: int | None = None  # the strategy's default for its steps

    def catch_up_days(self, step: Step) -> int:
        """How many days after an occurrence's due day it may still be sent: the step's
        ``catch_up``, else the strategy's, else up to the next occurrence of a repeating step
        (``every - 1``), else :data:`DEFAULT_CATCH_UP`."""
        if step.catch_up is not None:
            return step.catch_up
        if self.catch_up is not None:
            return self.catch_up
        if step.every is not None:
            return step.every - 1
        return DEFAULT_CATCH_UP


@dataclass(frozen=True)
class Window:
    """A daily contact window in the debtor's local time; ``end`` is exclusive."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class ChannelHours:
    """Windows per day type for one channel; a day type mapped to () means no contact."""

    channel: str
    by_day_type: Mapping[str, tuple[Window, ...]]
    source: Source


@dataclass(frozen=True)
class Blackout:
    """Dates with no contact (on the listed channels; empty: all channels)."""

    start: date
    end: date
    channels: tuple[str, ...]
    reason: str
    source: Source


@dataclass(frozen=True)
class Timetable:
    """When each channel may be used for accounts of some jurisdictions."""

    id: str
    jurisdictions: tuple[str, ...]
    holidays: str | None
    hours: Mapping[str, ChannelHours]
    blackouts: tuple[Blackout, ...]
    source: Source


@dataclass(frozen=True)
class FrequencyCap:
    """The policy's own cap: at most ``max`` contacts on ``channels`` in ``per_days`` days."""

    id: str
    channels: tuple[str, ...]
    max: int
    per_days: int
    scope: str  # debt | debtor | number
    outcomes: tuple[str, ...]  # history outcomes that count; empty: all but failed/busy
    jurisdictions: tuple[str, ...]
    description: str
    source: Source


class ExclusionEffect(StrEnum):
    """What an exclusion does to an account."""

    EXCLUDE = "exclude"  # no contact at all; the account is counted as excluded
    PAUSE = "pause"  # cadence paused; the account is planned with status paused
    SUPPRESS = "suppress"  # only ``channels`` are suppressed


@dataclass(frozen=True)
class Exclusion:
    """The policy's own stop rule, with its reason code."""

    id: str
    when: Condition
    effect: ExclusionEffect
    channels: tuple[str, ...]
    reason: str
    source: Source

    @property
    def code(self) -> str:
        """The reason code plans and ``explain`` carry."""
        return f"exclusion/{self.id}"


@dataclass(frozen=True)
class Offer:
    """A payment-plan or hardship offer; the first offer (file order) whose condition holds applies."""

    id: str
    kind: str  # payment_plan | hardship | settlement
    when: Condition
    instalments: int
    min_instalment: Amounts
    interval_days: int
    grace_days: int
    max_discount: Decimal  # fraction of the overdue amount that may be forgiven
    description: str
    source: Source


@dataclass(frozen=True)
class Arm:
    """One experiment arm: a traffic share and what it changes."""

    id: str
    share: Decimal  # percent
    strategy: str | None
    templates: Mapping[str, str]  # template id -> replacement template id
    source: Source


@dataclass(frozen=True)
class Acknowledgement:
    """A finding the policy owners have looked at and accept, with their reason: every finding
    of ``code`` (in ``file``, and whose message contains ``contains``, when given)."""

    code: str
    reason: str
    file: str | None
    contains: str | None
    source: Source


@dataclass(frozen=True)
class Experiment:
    """Champion/challenger: accounts of ``tiers`` split into arms by a stable hash."""

    id: str
    tiers: tuple[str, ...]
    arms: tuple[Arm, ...]
    description: str
    source: Source


@dataclass(frozen=True)
class Template:
    """A registered message template: one file per locale under ``templates/``."""

    id: str
    channel: str
    purpose: str  # one of PURPOSES
    locales: tuple[str, ...]
    files: Mapping[str, str]  # locale -> path relative to templates/
    description: str
    source: Source
    notice: str | None = None  # the notice the law names it as (NOTICE_KINDS), for purpose notice
    postage: str | None = None  # a letter's postage class (POSTAGE_CLASSES); None: by purpose


@dataclass(frozen=True)
class Settings:
    """Portfolio-wide knobs."""

    sms_max_segments: int
    promise_grace_days: int
    tone_extra_words: Mapping[str, tuple[str, ...]]  # locale -> extra banned words


# The fields of a customer file that masking rules govern, and the rules each may take besides
# `show`, `hide` and `{keep_last: N}` (docs/data.md#masking-in-customer-files).
MASKED_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("initials",),
    "customer_id": (),
    "phone": (),
    "email": ("first_letter_and_domain", "domain"),
    "address": ("postal_code",),
}
MASK_WORDS = ("show", "hide")


@dataclass(frozen=True)
class MaskRule:
    """How one field of a customer file is shown: ``show``, ``hide``, ``keep_last`` (``keep``
    characters), ``initials``, ``first_letter_and_domain``, ``domain`` or ``postal_code``."""

    kind: str
    keep: int = 0

    def describe(self) -> str:
        """The rule in words (the handbook's table)."""
        return {
            "show": "shown in full",
            "hide": "hidden (•••)",
            "keep_last": f"the last {self.keep} character(s) only",
            "initials": "initials only",
            "first_letter_and_domain": "the first letter and the domain only",
            "domain": "the domain only",
            "postal_code": "the postal code only",
        }[self.kind]


# Without a `masking:` section: phone and email masked, the rest shown (a file is read by many
# hands, and the dialer and the mail server have the contact points).
DEFAULT_MASKING: Mapping[str, MaskRule] = MappingProxyType(
    {
        "name": MaskRule("show"),
        "customer_id": MaskRule("show"),
        "phone": MaskRule("keep_last", 4),
        "email": MaskRule("first_letter_and_domain"),
        "address": MaskRule("show"),
    }
)


@dataclass(frozen=True)
class Policy:
    """The whole compiled policy. Built once by :func:`dunning.policy.compile.compile_policy`."""

    root: str
    id: str
    name: str
    default_locale: str
    company: Company
    settings: Settings
    jurisdictions: Mapping[str, Jurisdiction]
    agencies: Mapping[str, Agency]
    tiers: tuple[Tier, ...]
    strategies: Mapping[str, Strategy]
    timetables: tuple[Timetable, ...]
    caps: tuple[FrequencyCap, ...]
    exclusions: tuple[Exclusion, ...]
    offers: tuple[Offer, ...]
    experiments: tuple[Experiment, ...]
    templates: Mapping[str, Template]
    files: tuple[str, ...]  # policy and template files, repository-relative, sorted
    costs: Mapping[str, Amounts] = field(default_factory=frozen_map)  # type: ignore[arg-type]  # channel -> unit cost
    acknowledgements: tuple[Acknowledgement, ...] = ()
    # the reason-for-arrears vocabulary: the built-in words and the policy's own (word -> reason)
    arrears_reasons: Mapping[str, ArrearsReason] = field(default_factory=builtin_reasons)

    @cached_property  # asked once per account by the planner
    def reason_marks(self) -> Mapping[str, bool]:
        """The reason-for-arrears vocabulary as the state reads it: word -> marks vulnerable."""
        return MappingProxyType({w: r.marks_vulnerable for w, r in self.arrears_reasons.items()})

    masking: Mapping[str, MaskRule] = field(
        default_factory=lambda: DEFAULT_MASKING
    )  # every MASKED_FIELDS key, in that order

    @property
    def locales(self) -> tuple[str, ...]:
        """Every locale some jurisdiction serves, sorted."""
        return tuple(sorted({loc for j in self.jurisdictions.values() for loc in j.locales}))

    def jurisdiction(self, code: str) -> Jurisdiction | None:
        """Settings for ``US-MA``-style codes, falling back to the country (``US``)."""
        return self.jurisdictions.get(code) or self.jurisdictions.get(code.split("-", 1)[0])

    def timetable_for(self, jurisdiction: str) -> Timetable | None:
        """The timetable of a jurisdiction code (exact, then its country)."""
        for code in (jurisdiction, jurisdiction.split("-", 1)[0]):
            for timetable in self.timetables:
                if code in timetable.jurisdictions:
                    return timetable
        return None

    @cached_property
    def _tiers_by_id(self) -> dict[str, Tier]:
        # render asks for the tier of every plan line (≈ 1M times at 1M accounts): a search of
        # the tuple cost ≈ 1 µs a time. The first tier of an id, as the search finds it
        by_id: dict[str, Tier] = {}
        for tier in self.tiers:
            by_id.setdefault(tier.id, tier)
        return by_id

    def tier(self, tier_id: str) -> Tier | None:
        """The tier with this id."""
        if type(tier_id) is str:
            return self._tiers_by_id.get(tier_id)
        # anything else (a bad plan line's value: a number, a list) finds what the search found,
        # without the look-up's TypeError for an unhashable one
        return next((t for t in self.tiers if t.id == tier_id), None)
