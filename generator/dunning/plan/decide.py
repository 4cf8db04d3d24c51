"""Per-account decisions: tier, arm, stops, promise, cadence steps placed into windows, offers.

One :class:`Planner` per run (it holds the compiled policy, the contact engine and the run's
as-of date and horizon). :meth:`Planner.plan` decides one account; with ``trace`` it also
writes the decision trace in words that ``dunning explain`` prints.

Placement of a contact step due on local day *D* (primary time zone):

1. a stop that suppresses the channel (opt-out, a policy exclusion) → suppressed;
2. the first day from *D* to the end of the horizon that has an allowed window
   (:meth:`ContactEngine.windows`: timetable ∩ law hours, holidays, blackouts, weekday
   rules, every candidate zone) — days skipped carry the blocking reason; none → suppressed;
3. the start of that window is checked with :meth:`ContactEngine.check` against the history
   and the contacts already planned for the account (caps, 7-in-7, after a conversation):
   allowed → scheduled (deferred when it moved off *D*); refused with an ``earliest`` moment
   inside the horizon → deferred to it; otherwise suppressed with the rule's code.

The check is skipped when the account has no history and nothing planned yet: every
frequency rule allows at least one contact, and the moment is inside an allowed window by
construction, so the gate's answer is known to be "allow".

A repeating step whose earlier run was deferred to its next due day (or later) is not
placed twice: the later run is suppressed with the code ``superseded``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

from dunning.accounts.model import Account, Contact
from dunning.compliance.conditions import dpd as days_past_due
from dunning.compliance.conditions import holds, in_jurisdictions, tier_for
from dunning.compliance.engine import ContactEngine, Stop
from dunning.compliance.notices import ENFORCEMENT, BankHolidays, default_notice_remedy_end, served_on
from dunning.compliance.timezones import zone
from dunning.plan.arms import assign_arm, bucket, experiment_for
from dunning.plan.backlog import MISSED, backlog, occurrence_id, senders, sent_templates, unmet
from dunning.plan.model import AccountPlan, Exclusion, OfferTerms, PlannedAction, PlanStatus
from dunning.plan.offers import choose_offer, offer_terms
from dunning.policy.model import CONTACT_CHANNELS, Policy, Step, Strategy, Tier
from dunning.state import POINTS, AccountState, account_state

# Data-quality codes of contact points that are simply absent: every plan of an account
# without an email would list one, so they show only on the actions they suppress.
_ABSENT = frozenset(f"data/{point}-missing" for point in POINTS)
HELD = Exclusion("history/unreadable", "the contact history has an unreadable line for this account: no contact")


class Planner:
    """Plans accounts for one policy, as-of date and horizon."""

    def __init__(
        self,
        policy: Policy,
        as_of: date,
        horizon: int = 0,
        engine: ContactEngine | None = None,
        *,
        tracks_sent: bool = False,
    ) -> None:
        self.policy = policy
        # the run's history records sends (`sent` events): a step without one was not sent,
        # so the cadence catches it up (plan/backlog.py); without, steps fire on their day only
        self.tracks_sent = tracks_sent
        self.as_of = as_of
        self.horizon = max(horizon, 0)
        self.last_day = as_of + timedelta(days=self.horizon)
        self.engine = engine or ContactEngine(policy)
        self.grace = policy.settings.promise_grace_days
        self._may_skip: dict[tuple[str, str], bool] = {}
        # the contact channels whose actions came to the check in the last plan() (the
        # caps' counts are read there alone): a contact suppressed by a stop or finding no
        # window before the check reads none (dunning.plan.columnar shares decisions by them)
        self.reached: set[str] = set()
        self._default_notices = sorted(t.id for t in policy.templates.values() if t.notice == "default")

    # ------------------------------------------------------------------ one account
    def plan(
        self,
        account: Account,
        history: Sequence[Contact] = (),
        trace: list[str] | None = None,
        *,
        held: bool = False,
        committed: Sequence[Contact] = (),
    ) -> AccountPlan:
        """Every decision for ``account`` from its snapshot row and its ``history``;
        ``trace`` (when given) receives the reasons in words. ``held``: the history has an
        unreadable line for the account, so nothing is planned for it. ``committed``: contacts
        already scheduled after as-of (``simulate``'s deferred actions); they count against the
        caps as the plan's own contacts do, where the history's later events count for nothing."""
        say = trace.append if trace is not None else None
        policy, as_of = self.policy, self.as_of
        self.reached = set()
        state = account_state(account, history, as_of, self.grace, held=held, reasons=policy.reason_marks)
        account = state.account
        # the events on or before as-of, as the state reads them: caps, stops and offers see
        # the same history, so re-running an earlier day with today's history plans that day
        given, history = bool(history), state.events
        dpd = days_past_due(account, as_of)
        tier = tier_for(policy, account, as_of)
        tier_id = tier.id if tier is not None else None
        if say:
            say(f"days past due: {dpd} (due {account.due_date}, as of {as_of})")
            say(_tier_words(tier, dpd))
        arm_id: str | None = None
        strategy = policy.strategies.get(tier.strategy) if tier is not None else None
        templates: dict[str, str] = {}
        experiment = experiment_for(policy, tier_id)
        if experiment is not None:
            arm = assign_arm(experiment, account.account_id)
            if arm is not None:
                arm_id = arm.id
                if arm.strategy:
                    strategy = policy.strategies.get(arm.strategy, strategy)
                templates = dict(arm.templates)
                if say:
                    slot = bucket(experiment.id, account.account_id)
                    say(
                        f"arm/{experiment.id}/{arm.id}: hash bucket {slot} of 10000 falls in arm {arm.id} "
                        f"({arm.share}%); strategy {strategy.id if strategy else '-'}"
                    )
        jurisdiction = policy.jurisdiction(account.jurisdiction)
        locale = account.locale or (jurisdiction.default_locale if jurisdiction else policy.default_locale)
        zones = self.engine.timezones(account)
        if say and len(zones) > 1:
            say(f"time zones: {', '.join(zones)} disagree; every window must hold in all of them")

        stops = self.engine.stops(account, as_of=as_of, tier_id=tier_id, history=history, state=state)
        exclusions = _unique(Exclusion(s.reason.code, s.reason.message) for s in stops if s.reason.code not in _ABSENT)
        status: PlanStatus = "active"
        if any(s.effect == "exclude" and not s.channels for s in stops):
            status = "excluded"
        elif any(s.effect == "pause" and not s.channels for s in stops):
            status = "paused"
        if held and status == "active":
            status = "paused"
        if held:
            exclusions = (*exclusions, HELD)
        promise = state.promise_status(as_of)
        current = state.promise
        promise_reasons: tuple[str, ...] = ()
        if promise == "open" and status == "active" and current is not None:
            status = "paused"
            exclusions = (
                *exclusions,
                Exclusion("promise/open", f"promise to pay on {current.due}; cadence paused until {current.until}"),
            )
        elif promise == "broken":
            promise_reasons = ("promise/broken",)
        # an arrangement being paid as agreed pauses the cadence like an open promise; a
        # missed instalment breaks it and the cadence resumes with the reason on each action
        agreed = state.arrangement
        if agreed is not None and agreed.status(as_of) == "active" and status == "active":
            status = "paused"
            exclusions = (
                *exclusions,
                Exclusion(
                    "arrangement/active",
                    f"arrangement of {agreed.count} instalment(s) of {agreed.instalment} every {agreed.interval} "
                    f"days from {agreed.first}: paid as agreed, cadence paused",
                ),
            )
        elif agreed is not None and agreed.status(as_of) == "broken":
            promise_reasons = (*promise_reasons, "arrangement/broken")
        if say:
            if given:
                say(_state_words(state, policy.reason_marks))
            for stop in stops:
                scope = f"channels {', '.join(stop.channels)}" if stop.channels else "all channels"
                say(f"{stop.reason.code}: {stop.reason.message} → {stop.effect} ({scope}; {stop.reason.citation})")
            if held:
                say(f"{HELD.code}: {HELD.reason}")
            say(_promise_words(state, as_of))
            say(f"status: {status}")

        actions: tuple[PlannedAction, ...] = ()
        if status == "active" and tier is not None and strategy is not None:
            actions = self._cadence(
                account, history, state, tier, strategy, templates, locale, stops, promise_reasons, say, committed
            )
        elif say:
            say("no cadence steps: " + ("no tier" if tier is None else f"the account is {status}"))

        offers: tuple[OfferTerms, ...] = ()
        if status != "excluded" and not held:
            offer, skipped = choose_offer(policy, account, as_of, tier_id, history, state)
            if say:
                for passed, part in skipped:
                    say(f"offer/{passed.id}: not made ({part})")
            if offer is not None:
                terms = offer_terms(offer, account, as_of)
                offers = (terms,)
                if say:
                    amounts = " + ".join(str(a) for a in terms.amounts)
                    say(
                        f"offer/{offer.id}: {terms.instalments} instalment(s) {amounts} = {terms.total} "
                        f"{terms.currency}, first due {terms.first_due_date}, every {terms.interval_days} days"
                    )
        return AccountPlan(
            account_id=account.account_id,
            as_of=as_of,
            dpd=dpd,
            tier=tier_id,
            arm=arm_id,
            status=status,
            jurisdiction=account.jurisdiction,
            locale=locale,
            timezone=zones[0],
            currency=account.currency,
            overdue_amount=account.overdue_amount,
            exclusions=exclusions,
            actions=actions,
            offers=offers,
            line=account.line,
        )

    # ------------------------------------------------------------------ cadence
    def _cadence(
        self,
        account: Account,
        history: Sequence[Contact],
        state: AccountState,
        tier: Tier,
        strategy: Strategy,
        templates: dict[str, str],
        locale: str,
        stops: Sequence[Stop],
        promise_reasons: tuple[str, ...],
        say: object,
        committed: Sequence[Contact] = (),
    ) -> tuple[PlannedAction, ...]:
        out: list[PlannedAction] = []
        planned: list[Contact] = list(committed)
        outstanding: dict[int, date] = {}  # step index -> local day its deferred action moved to
        dpd = days_past_due(account, self.as_of)
        log = say if callable(say) else None
        fired: set[int] = set()
        sent = sent_templates(self.policy, account.account_id, state.events)
        hold = self._notice_hold(account, sent)
        waiting_for: list[Step] = []  # required steps still owed: later steps wait for them

        def keep(code: str, due: date, action: PlannedAction) -> None:
            """Take ``action`` into the plan; a contact it makes counts against later caps."""
            if log:
                log(_action_words(code, due, action))
            if action.status != "suppressed" and action.channel in CONTACT_CHANNELS:
                assert action.not_before is not None
                planned.append(Contact(account.account_id, action.not_before, action.channel, "attempted"))
            out.append(action)

        if self.tracks_sent:
            for step in strategy.steps:
                for back, kind in backlog(strategy, step, dpd, tier.dpd.low, tier.dpd.high):
                    due_on = self.as_of - timedelta(days=back)
                    owed = occurrence_id(account.account_id, strategy, step, due_on)
                    code = f"step/{strategy.id}/{step.id}"
                    if owed in state.sent or not self._takes(step, account, history, tier, state, self.as_of):
                        continue
                    if self._notice_given(step, account, sent) is not None:
                        continue
                    if step.required:
                        waiting_for.append(step)
                    why = (code, "step/catch-up", *promise_reasons)
                    before = [r for r in waiting_for if r.day < step.day and r is not step]
                    waiting = self._waiting(
                        account, strategy, step, due_on, why, locale, sent, hold, before, today=self.as_of, log=log
                    )
                    if kind == MISSED:
                        action = self._held(
                            account, strategy, step, due_on, (code, "step/missed", *promise_reasons), locale
                        )
                    elif waiting is not None:
                        action = waiting
                    else:
                        action = self._place(
                            account, history, state, planned, strategy, step, self.as_of,
                            templates, locale, stops, why, id_due=due_on,
                        )  # fmt: skip
                    keep(code, due_on, action)
        for offset in range(self.horizon + 1):
            due = self.as_of + timedelta(days=offset)
            for step in strategy.steps:
                if not step.fires_on(dpd + offset, tier.dpd.high):
                    continue
                fired.add(step.index)
                code = f"step/{strategy.id}/{step.id}"
                ok, part = holds(
                    step.when,
                    account,
                    as_of=due,
                    tier_id=tier.id,
                    history=history,
                    promise_grace_days=self.grace,
                    state=state,
                )
                if not ok:
                    if log:
                        log(f"{code} due {due}: not taken ({part})")
                    continue
                given = self._notice_given(step, account, sent)
                if given is not None:
                    if log:
                        log(f"{code} due {due}: not taken ({given})")
                    continue
                before = [r for r in waiting_for if r.day < step.day and r is not step]
                held_back = self._waiting(
                    account, strategy, step, due, (code, *promise_reasons), locale, sent, hold, before, log=log
                )
                if held_back is not None:
                    keep(code, due, held_back)
                    continue
                pending = outstanding.get(step.index)
                if pending is not None and pending >= due:
                    # An earlier run of this step was deferred to this day or later: it already
                    # makes the contact, a second one would only pile up behind it.
                    action = self._superseded(account, strategy, step, due, (code, *promise_reasons), locale)
                else:
                    action = self._place(
                        account,
                        history,
                        state,
                        planned,
                        strategy,
                        step,
                        due,
                        templates,
                        locale,
                        stops,
                        (code, *promise_reasons),
                    )
                if action.status == "deferred" and action.not_before is not None:
                    outstanding[step.index] = action.not_before.date()
                keep(code, due, action)
        if log:
            last = dpd + self.horizon
            for step in strategy.steps:
                if step.index not in fired:
                    repeat = f", every {step.every} days" if step.every else ""
                    log(f"step/{strategy.id}/{step.id}: not due (day {step.day}{repeat}; dpd {dpd}–{last})")
        return tuple(out)

    def _takes(
        self, step: Step, account: Account, history: Sequence[Contact], tier: Tier, state: AccountState, on: date
    ) -> bool:
        ok, _part = holds(
            step.when, account, as_of=on, tier_id=tier.id, history=history, promise_grace_days=self.grace, state=state
        )
        return ok

    def _could_not_have_sent(self, step: Step, account: Account, on: date) -> str | None:
        """Without sent events: the first template ``step`` requires that no step of the policy
        could have sent long enough before (its day passed, its conditions hold today)."""
        dpd = days_past_due(account, on)
        for need in step.requires:
            possible = senders(self.policy, need.sent, dpd, need.at_least_days)
            if not any(self._sender_holds(strategy, sender, account, on) for strategy, sender in possible):
                return need.sent
        return None

    def _sender_holds(self, strategy: Strategy, step: Step, account: Account, on: date) -> bool:
        tier = next((t for t in self.policy.tiers if t.strategy == strategy.id), None)
        ok, _part = holds(
            step.when,
            account,
            as_of=on,
            tier_id=tier.id if tier is not None else None,
            promise_grace_days=self.grace,
        )
        return ok

    def owes(self, step: Step, state: AccountState, tier: Tier) -> bool:
        """True when ``step`` is a ``required`` step the account is still owed as of the
        plan's day: its day has come, its conditions hold, its template was not sent in this
        arrears (or came back), and for a notice, no notice of its kind went out in this
        arrears. What the customer file lists as missing; the plan catches the same steps up
        (a send of an earlier arrears has another occurrence id, so it does not count there
        either)."""
        account = state.account
        if not step.required or step.template is None or step.day > days_past_due(account, self.as_of):
            return False
        sent = sent_templates(self.policy, account.account_id, state.events)
        return (
            sent.get(step.template, date.min) < account.due_date
            and self._takes(step, account, state.events, tier, state, self.as_of)
            and self._notice_given(step, account, sent) is None
        )

    def _notice_given(self, step: Step, account: Account, sent: dict[str, date]) -> str | None:
        """Why a ``required`` step that sends a notice (a template registered with ``notice:``)
        owes nothing, or None when it is owed. Such a step stands in every tier an account may
        first be seen in, so that a notice the law wants first (Regulation F's validation
        notice) is sent however late the account arrives; once a notice of that kind has gone
        out it must not go again in every tier. With a history that records sends, it is owed
        until a message of a template of the same notice kind was sent, and not returned, in
        the current arrears (on or after the due date: a new arrears gets a new notice, the
        stricter reading). Without one, the plan cannot know, and assumes what it assumes of
        every step: an earlier step of the policy that sends that kind of notice to this
        jurisdiction fired on its day, so this one stands down."""
        template = self.policy.templates.get(step.template or "")
        if not step.required or template is None or template.notice is None:
            return None
        kind = template.notice
        if self.tracks_sent:
            given = [
                (on, t.id)
                for t in self.policy.templates.values()
                if t.notice == kind and (on := sent.get(t.id)) is not None and on >= account.due_date
            ]
            if not given:
                return None
            on, sent_as = max(given)
            return f"notice/{kind}-sent: {sent_as} on {on}"
        earlier = self._earlier_notice(step, kind, account.jurisdiction)
        return None if earlier is None else f"notice/{kind}-assumed-sent by {earlier}"

    def _earlier_notice(self, step: Step, kind: str, jurisdiction: str) -> str | None:
        """``strategy/step`` of the first step of the policy, on a day before ``step``'s, that
        sends a notice of ``kind`` to accounts of ``jurisdiction``; None when there is none."""
        for strategy in self.policy.strategies.values():
            for other in strategy.steps:
                template = self.policy.templates.get(other.template or "")
                wanted = other.when.jurisdictions
                if (
                    other.day < step.day
                    and template is not None
                    and template.notice == kind
                    and (not wanted or in_jurisdictions(jurisdiction, wanted))
                ):
                    return f"{strategy.id}/{other.id}"
        return None

    def _notice_hold(self, account: Account, sent: dict[str, date]) -> tuple[str, str] | None:
        """(law rule id, notice template) when the account's jurisdiction requires a notice
        first (Regulation F's validation notice) and none has been sent: every other
        communication waits. Only a history that records sends can tell (``tracks_sent``)."""
        if not self.tracks_sent:
            return None
        rule = next(
            (r for r, _p in self.engine.jurisdiction(account.jurisdiction).rules if r.kind == "notice_first"), None
        )
        if rule is None:
            return None
        notices = sorted(t.id for t in self.policy.templates.values() if t.notice == "validation")
        # only a notice of this arrears counts (as for a required notice step, _notice_given)
        if any(sent.get(n, date.min) >= account.due_date for n in notices):
            return None
        return rule.id, notices[0] if notices else "validation-notice"

    def _waiting(
        self,
        account: Account,
        strategy: Strategy,
        step: Step,
        due: date,
        reasons: tuple[str, ...],
        locale: str,
        sent: dict[str, date],
        hold: tuple[str, str] | None,
        before: Sequence[Step],
        *,
        today: date | None = None,
        log: Callable[[str], None] | None = None,
    ) -> PlannedAction | None:
        """The step's action held back (suppressed, ``step/waiting/<template>``) while what it
        waits for has not been sent: a required notice of the strategy, the messages it
        ``requires``, or the validation notice the law wants first; None when nothing holds it.
        ``log`` gets the dates a default notice's hold reads (the trace ``explain`` prints)."""
        why: list[str] = []
        if before:
            why.append(f"step/waiting/{before[0].template or before[0].id}")
        on = today or due  # a caught-up step checks what was sent by today
        missing = unmet(step, sent, on) if self.tracks_sent else self._could_not_have_sent(step, account, on)
        if missing is not None:
            why.append(f"step/waiting/{missing}")
        template = self.policy.templates.get(step.template or "")
        is_notice = template is not None and template.notice == "validation"
        if hold is not None and step.channel in CONTACT_CHANNELS and not is_notice:
            why += [f"step/waiting/{hold[1]}", hold[0]]
        why += self._remedy_wait(step, account, sent, on, log)
        if not why:
            return None
        return self._held(account, strategy, step, due, (*reasons, *_unique(why)), locale)

    def _remedy_wait(
        self, step: Step, account: Account, sent: dict[str, date], on: date, log: Callable[[str], None] | None = None
    ) -> list[str]:
        """Why an agency or legal step on ``on`` waits for a default notice, or [] when it need
        not: where a ``default_notice`` law rule applies (the UK: Consumer Credit Act 1974 ss.
        87(1), 88(2)), enforcement may start only the day after the remedy period of a default
        notice of this arrears has run (:func:`default_notice_remedy_end`, the nation's bank
        holidays not counted as days of service). With a history that records sends, the
        notice is the latest template of kind ``default`` sent, and not returned, on or after
        the due date; without one, the latest step of the policy that sends one and whose day
        had come by ``on`` (its conditions holding), assumed sent on its day. No notice at
        all: no enforcement is lawful, so the step waits for one (the stricter reading)."""
        if step.channel not in ENFORCEMENT:
            return []
        rules = self.engine.jurisdiction(account.jurisdiction).rules
        found = next(((r, p) for r, p in rules if r.kind == "default_notice"), None)
        if found is None:
            return []
        rule, params = found
        if self.tracks_sent:
            posted = max(
                (day for n in self._default_notices if (day := sent.get(n)) is not None and day >= account.due_date),
                default=None,
            )
        else:
            dpd = days_past_due(account, on)
            days = [
                sender.day
                for strategy in self.policy.strategies.values()
                for sender in strategy.steps
                if sender.day <= dpd
                and sender.template in self._default_notices
                and self._sender_holds(strategy, sender, account, on)
            ]
            posted = account.due_date + timedelta(days=max(days)) if days else None
        if posted is None:
            if log:
                known = "recorded as sent" if self.tracks_sent else "that a step of the policy could have sent"
                log(f"{rule.id}: no default notice of this arrears {known} by {on}: no {step.channel} until one is")
            return [f"step/waiting/{self._default_notices[0] if self._default_notices else 'default-notice'}", rule.id]
        holidays, business_days = BankHolidays(account.jurisdiction), int(params["service_business_days"])
        end = default_notice_remedy_end(
            posted, holidays, remedy_days=int(params["remedy_days"]), business_days=business_days
        )
        if on > end:
            return []
        if log:
            how = "sent" if self.tracks_sent else "assumed sent on its step's day"
            served = served_on(posted, holidays, business_days)
            log(
                f"{rule.id}: the default notice {how} {posted} is served {served}, its remedy period runs to "
                f"{end}: no {step.channel} before {end + timedelta(days=1)}"
            )
        return ["notice/default-remedy-running", rule.id]

    def _place(
        self,
        account: Account,
        history: Sequence[Contact],
        state: AccountState,
        planned: list[Contact],
        strategy: Strategy,
        step: Step,
        due: date,
        templates: dict[str, str],
        locale: str,
        stops: Sequence[Stop],
        reasons: tuple[str, ...],
        *,
        id_due: date | None = None,
    ) -> PlannedAction:
        channel = step.channel
        template = templates.get(step.template, step.template) if step.template else None
        registered = self.policy.templates.get(template) if template else None
        if registered is not None and registered.locales and locale not in registered.locales:
            locale = registered.locales[0]
        # a caught-up occurrence keeps the id of the day it was due, so its `sent` event matches
        action_id = f"{account.account_id}-{strategy.id}-{channel}{step.day}-{(id_due or due):%Y%m%d}"
        agency = self._agency(account, step) if channel == "agency" else None

        def make(status: str, start: datetime | None, end: datetime | None, extra: Sequence[str] = ()) -> PlannedAction:
            return PlannedAction(
                id=action_id,
                step=f"{strategy.id}/{step.id}",
                channel=channel,
                template=template,
                locale=locale,
                not_before=start,
                not_after=end,
                status=status,  # type: ignore[arg-type]
                priority=step.priority,
                reasons=(*reasons, *_unique(extra)),
                agency=agency,
            )

        # a stop may let a purpose through (a notice after a cease request): the gate's check
        # below is asked for the same purpose, or it would refuse what the stop allows
        purpose = registered.purpose if registered else None
        blocking = [s.reason.code for s in stops if s.blocks(channel, purpose)]
        if blocking:
            return make("suppressed", None, None, blocking)
        if channel not in CONTACT_CHANNELS:  # hand-overs (legal review, agency): the whole local day
            tz = zone(self.engine.timezones(account)[0])
            start = datetime(due.year, due.month, due.day, tzinfo=tz)
            nxt = due + timedelta(days=1)
            return make("scheduled", start, datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz))
        moved: list[str] = []
        day = due
        while day <= self.last_day:
            windows = self.engine.windows(account, channel, day)
            if not windows:
                blocked = self.engine.day_blocked(account, channel, day)
                moved.append(blocked.code if blocked is not None else "timetable/none")
                day += timedelta(days=1)
                continue
            start, end = windows[0]
            # reached: checked, or left unchecked below only for want of a history (the same
            # key's account with one is checked here)
            self.reached.add(channel)
            # The first contact of an account without a history needs no check when no cap can
            # refuse it, but only on the as-of day: the stops above are the as-of day's, and on
            # a later day (a step due later, or one the timetable moved) the account may be in
            # another tier or past a dated exclusion, which the check reads on that day.
            if (
                day == self.as_of
                and not history
                and not planned
                and self._no_cap_refuses_first(account.jurisdiction, channel)
            ):
                return make("deferred" if moved else "scheduled", start, end, moved)
            verdict = self.engine.check(account, channel, start, history, planned=planned, purpose=purpose, state=state)
            if verdict.allowed:
                return make("deferred" if moved else "scheduled", start, end, moved)
            codes = [r.code for r in verdict.reasons]
            earliest = verdict.earliest
            if verdict.verdict == "reschedule" and earliest is not None:
                local = earliest.astimezone(start.tzinfo)
                if local.date() <= self.last_day:
                    for w_start, w_end in self.engine.windows(account, channel, local.date()):
                        if w_start <= local < w_end:
                            return make("deferred", local, w_end, [*moved, *codes])
            return make("suppressed", None, None, [*moved, *codes])
        return make("suppressed", None, None, moved or ["horizon"])

    def _superseded(
        self, account: Account, strategy: Strategy, step: Step, due: date, reasons: tuple[str, ...], locale: str
    ) -> PlannedAction:
        return self._held(account, strategy, step, due, (*reasons, "superseded"), locale)

    def _held(
        self, account: Account, strategy: Strategy, step: Step, due: date, reasons: tuple[str, ...], locale: str
    ) -> PlannedAction:
        """The step's occurrence due on ``due``, suppressed for ``reasons`` (no window)."""
        return PlannedAction(
            id=occurrence_id(account.account_id, strategy, step, due),
            step=f"{strategy.id}/{step.id}",
            channel=step.channel,
            template=step.template,
            locale=locale,
            not_before=None,
            not_after=None,
            status="suppressed",
            priority=step.priority,
            reasons=reasons,
        )

    def _no_cap_refuses_first(self, jurisdiction: str, channel: str) -> bool:
        key = (jurisdiction, channel)
        found = self._may_skip.get(key)
        if found is None:
            counters = self.engine.jurisdiction(jurisdiction).counters
            found = self._may_skip[key] = all(c.max >= 1 for c in counters if channel in c.channels)
        return found

    def _agency(self, account: Account, step: Step) -> str | None:
        if step.agency:
            return step.agency
        country = account.jurisdiction.split("-", 1)[0]
        for agency in self.policy.agencies.values():
            if account.jurisdiction in agency.jurisdictions or country in agency.jurisdictions:
                return agency.id
        return None


T = TypeVar("T")


def _unique(items: Iterable[T]) -> tuple[T, ...]:
    """Items without repeats, first occurrence kept (deterministic, unlike a set)."""
    return tuple(dict.fromkeys(items))


def _tier_words(tier: Tier | None, dpd: int) -> str:
    if tier is None:
        return f"tier/none: no tier holds {dpd} days past due with this balance, product and segment"
    return f"tier/{tier.id}: the first tier (file order) whose bounds hold — dpd {tier.dpd} ({tier.source})"


def _promise_words(state: AccountState, as_of: date) -> str:
    current = state.promise
    if current is None:
        return "no promise to pay on file"
    amount = f"{current.amount} {state.account.currency}" if current.amount is not None else "no amount named"
    paid = current.paid(as_of)
    what = f"promised for {current.due} ({amount}; {current.source}), paid against it {paid}"
    return {
        "open": f"promise/open: {what}, grace {current.grace} days until {current.until} — cadence paused",
        "kept": f"promise kept: {what}, kept on {current.kept_on()}",
        "broken": f"promise/broken: {what}, not kept by {current.until} — cadence resumes",
    }[current.status(as_of)]


def _state_words(state: AccountState, reasons: Mapping[str, bool]) -> str:
    """The history's contribution to the state, in one line (``reasons``: the vocabulary; a
    word outside it is account-supplied text and is not repeated)."""
    parts = [f"{len(state.events)} event(s) on file up to {state.as_of}"]
    if state.flags:
        parts.append("flags " + ", ".join(f"{f} ({v.words()})" for f, v in state.flags.items()))
    if state.arrears_reason != "unknown":
        since = state.arrears_reason_since
        where = f"history, since {since}" if since else "snapshot"
        word = state.arrears_reason if state.arrears_reason in reasons else "outside the vocabulary"
        parts.append(f"reason for arrears {word} ({where})")
    if state.unusable:
        parts.append("unusable " + ", ".join(f"{p} ({c})" for p, c in state.unusable.items()))
    if state.arrangement is not None:
        a = state.arrangement
        parts.append(
            f"arrangement {a.status(state.as_of)}: {a.count} × {a.instalment} every {a.interval} days from "
            f"{a.first}, paid {a.paid(state.as_of)}, arrears {a.arrears(state.as_of)}"
        )
    if state.last_contact is not None:
        parts.append(f"last contact {state.last_contact}")
    if state.last_right_party is not None:
        parts.append(f"last right-party contact {state.last_right_party}")
    if state.last_payment is not None:
        parts.append(f"last payment {state.last_payment}")
    if state.sent:
        parts.append(f"{len(state.sent)} message(s) sent")
    return "state: " + "; ".join(parts)


def _action_words(code: str, due: date, action: PlannedAction) -> str:
    why = ", ".join(action.reasons[1:]) or "allowed"
    if action.status == "suppressed":
        return f"{code} due {due}: suppressed ({why})"
    assert action.not_before is not None and action.not_after is not None
    window = f"{action.not_before.isoformat(timespec='seconds')} – {action.not_after.isoformat(timespec='seconds')}"
    if action.status == "deferred":
        return f"{code} due {due}: deferred to {window} ({why})"
    return f"{code} due {due}: scheduled {window}"
