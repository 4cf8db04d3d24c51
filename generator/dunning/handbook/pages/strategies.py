"""Strategies: each cadence as a day-by-day timeline and a table; experiments and their arms."""

from __future__ import annotations

from dunning.handbook import svg, words
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import DASH, code, decimal, table, text
from dunning.handbook.pages.tiers import anchor
from dunning.policy.model import Policy, Strategy

PATH = "strategies.md"
ESCALATIONS = ("legal_review", "agency", "visit")
HEADER = ["Day", "Channel", "Template", "When", "Priority", "Source"]


def users(policy: Policy, strategy_id: str) -> tuple[list[str], list[str]]:
    """Tiers that run the strategy, and experiment arms (``experiment/arm``) that switch to it."""
    tiers = [t.id for t in policy.tiers if t.strategy == strategy_id]
    arms = [f"{e.id}/{a.id}" for e in policy.experiments for a in e.arms if a.strategy == strategy_id]
    return tiers, arms


def ordered(policy: Policy) -> list[str]:
    """Strategy ids in ladder order: those of tiers first (tier order), then arms', then the rest by id."""
    out: list[str] = []
    for tier in policy.tiers:
        if tier.strategy in policy.strategies and tier.strategy not in out:
            out.append(tier.strategy)
    for experiment in policy.experiments:
        for arm in experiment.arms:
            if arm.strategy and arm.strategy in policy.strategies and arm.strategy not in out:
                out.append(arm.strategy)
    return out + sorted(s for s in policy.strategies if s not in out)


def last_day(policy: Policy, strategy_id: str) -> int | None:
    """The last day past due an account can run the strategy (None: open-ended)."""
    tier_ids = set(users(policy, strategy_id)[0])
    for experiment in policy.experiments:
        if any(a.strategy == strategy_id for a in experiment.arms):
            tier_ids.update(experiment.tiers)
    highs = [t.dpd.high for t in policy.tiers if t.id in tier_ids]
    if not highs or any(h is None for h in highs):
        return None
    return max(h for h in highs if h is not None)


def step_rows(ctx: HandbookContext, strategy: Strategy) -> list[list[str]]:
    """One row per step of the cadence, in day order."""
    last = last_day(ctx.policy, strategy.id)
    out = []
    for step in sorted(strategy.steps, key=lambda s: (s.day, s.index)):
        channel = words.channel(step.channel)
        if step.channel in ESCALATIONS:
            channel = f"**{channel}** (escalation)"
        template = f"[{text(step.template)}](templates.md#template-{step.template})" if step.template else DASH
        if step.agency:
            template += f" → {code(step.agency)}"
        when = words.condition(step.when)
        if step.required:
            when += " Required: sent however late the account arrives, before later steps."
        for need in step.requires:
            days = f" at least {need.at_least_days} days before" if need.at_least_days else ""
            when += f" Waits until {need.sent} was sent{days} (and not returned)."
        if step.description:
            when += f" {step.description}"
        out.append(
            [
                text(words.cadence(step, last)),
                channel,
                template,
                text(when),
                str(step.priority),
                ctx.link(step.source, PATH),
            ]
        )
    return out


def pages(ctx: HandbookContext) -> list[Page]:
    """The strategies page."""
    p = ctx.policy
    out = ["# Strategies\n"]
    first = min((s.source for s in p.strategies.values()), default=None)
    if first is not None:
        out.append(ctx.edit_line(first, PATH))
    out.append(
        "A strategy is the cadence a tier runs: on which day past due which channel is used with "
        "which template, and under which conditions. Each step is also subject to the timetable "
        "(windows, holidays, blackouts), the frequency caps, the exclusions and the law; a step "
        "that cannot be placed is deferred or suppressed with its reason code "
        "(`step/<strategy>/<channel>@<day>`).\n\n"
        "In the timelines a filled dot is a step that always fires, a hollow dot one with "
        "conditions; a dashed tail means the step repeats while the account stays in the tier.\n"
    )
    for sid in ordered(p):
        strategy = p.strategies[sid]
        tiers, arms = users(p, sid)
        out.append(f"\n## {text(sid)} {{ #{anchor(sid)} }}\n")
        out.append(f"{text(strategy.description)}\n" if strategy.description else "")
        used = [f"tier [{text(t)}](tiers.md#about-{t})" for t in tiers] + [f"arm {code(a)}" for a in arms]
        users_text = ", ".join(used) if used else "nothing (unused)"
        out.append(f"\nUsed by: {users_text} · {ctx.link(strategy.source, PATH)}\n")
        if not strategy.steps:
            out.append("\nNo steps: accounts on this strategy are not contacted.\n")
            continue
        title = f"Cadence of {sid}"
        out.append(
            '\n<figure class="hb-figure" data-search-exclude>'
            + svg.timeline(strategy.steps, last_day(p, sid), title)
            + "</figure>\n"
        )
        out.append(table(HEADER, step_rows(ctx, strategy)))
    out.append("\n## Experiments { #experiments }\n")
    if not p.experiments:
        out.append("No experiments are running.\n")
    for experiment in p.experiments:
        out.append(f"\n### {text(experiment.id)} {{ #experiment-{experiment.id} }}\n")
        out.append(f"{text(experiment.description)}\n" if experiment.description else "")
        tier_links = ", ".join(f"[{text(t)}](tiers.md#about-{t})" for t in experiment.tiers)
        out.append(
            f"\nAccounts of tier {tier_links} are split into arms by a stable hash of the account id "
            f"and the experiment id: an account stays in its arm from run to run (reason code "
            f"`arm/{experiment.id}/<arm>`). {ctx.link(experiment.source, PATH)}\n\n"
        )
        rows = []
        for arm in experiment.arms:
            arm_strategy = "the tier's own strategy"
            if arm.strategy:
                arm_strategy = f"[{text(arm.strategy)}](#{anchor(arm.strategy)})"
            swaps = ", ".join(f"{code(a)} → {code(b)}" for a, b in sorted(arm.templates.items())) or DASH
            rows.append([code(arm.id), f"{decimal(arm.share)}%", arm_strategy, swaps, ctx.link(arm.source, PATH)])
        out.append(table(["Arm", "Share", "Strategy", "Template swaps", "Source"], rows))
    return [Page(PATH, "Strategies", "\n".join(out), first)]
