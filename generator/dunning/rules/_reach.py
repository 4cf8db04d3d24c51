"""Who can reach what: which tiers run a strategy, and which jurisdictions and locales a step
can be sent in. Shared by the reference, cadence and template-file rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dunning.policy.compile import DEFAULT_TEMPLATE_FILE
from dunning.policy.model import Arm, Experiment, Jurisdiction, Policy, Step, Template, Tier


@dataclass(frozen=True)
class User:
    """A tier that runs a strategy, directly or through an experiment arm."""

    tier: Tier
    experiment: Experiment | None = None
    arm: Arm | None = None

    def describe(self) -> str:
        """``tier 'early'`` or ``tier 'early' (arm 'challenger' of 'early-empathy')``."""
        if self.arm is None or self.experiment is None:
            return f"tier {self.tier.id!r}"
        return f"tier {self.tier.id!r} (arm {self.arm.id!r} of {self.experiment.id!r})"

    def template(self, template_id: str) -> str:
        """The template actually sent for ``template_id`` (an arm may replace it)."""
        if self.arm is None:
            return template_id
        return self.arm.templates.get(template_id, template_id)


def users(policy: Policy, strategy_id: str) -> list[User]:
    """Every tier (and experiment arm) that runs ``strategy_id``, in tier order."""
    found = [User(t) for t in policy.tiers if t.strategy == strategy_id]
    for experiment in policy.experiments:
        for tier_id in experiment.tiers:
            tier = policy.tier(tier_id)
            if tier is None:
                continue
            for arm in experiment.arms:
                if (arm.strategy or tier.strategy) == strategy_id:
                    found.append(User(tier, experiment, arm))
    return found


def covers(listed: str, code: str) -> bool:
    """True when a listed jurisdiction covers an account's (``US`` covers ``US-MA``)."""
    return code == listed or code.startswith(listed + "-")


def reached(policy: Policy, *lists: Sequence[str]) -> list[Jurisdiction]:
    """The jurisdiction settings an account can have when it matches every list (empty: any)."""
    candidates: set[str] = set(policy.jurisdictions)
    for codes in lists:
        candidates.update(codes)
    # a subdivision that is not configured falls back to its country's settings
    candidates.update(f"{c.split('-', 1)[0]}-ZZZ" for c in list(candidates))
    out: dict[str, Jurisdiction] = {}
    for code in sorted(candidates):
        if all(not codes or any(covers(c, code) for c in codes) for codes in lists):
            settings = policy.jurisdiction(code)
            if settings is not None:
                out[settings.code] = settings
    return [out[c] for c in sorted(out)]


def fires_within(step: Step, low: int, high: int | None) -> bool:
    """True when the step is due on some day past due within ``[low, high]``."""
    first = max(low, step.day)
    last = high
    if step.every is None:
        last = step.day if last is None else min(last, step.day)
    elif step.until is not None:
        last = step.until if last is None else min(last, step.until)
    if last is not None and first > last:
        return False
    if step.every is None:
        return first == step.day
    offset = (first - step.day) % step.every
    day = first if offset == 0 else first + step.every - offset
    return last is None or day <= last


def step_reaches(step: Step, user: User) -> bool:
    """True when ``user``'s accounts can ever get ``step`` (days and ``when.tiers`` allow it)."""
    if step.when.tiers and user.tier.id not in step.when.tiers:
        return False
    return fires_within(step, user.tier.dpd.low, user.tier.dpd.high)


def template_path(template: Template | None, template_id: str, channel: str, locale: str) -> str:
    """Where the file of ``template_id`` in ``locale`` is (relative to templates/)."""
    if template is not None and locale in template.files:
        return template.files[locale]
    if template is not None and template.files:
        loc, path = sorted(template.files.items())[0]
        return path.replace(loc, locale)
    return DEFAULT_TEMPLATE_FILE.format(channel=channel, id=template_id, locale=locale)
