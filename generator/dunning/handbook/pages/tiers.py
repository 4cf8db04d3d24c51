"""Tiers: the thresholds in evaluation order, the ladder, and what moves an account between tiers."""

from __future__ import annotations

from dunning.handbook import svg
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import amounts, code, listing, table, text
from dunning.policy.model import Policy, Tier

PATH = "tiers.md"
HEADER = [
    "Order",
    "Tier",
    "Name",
    "Days past due",
    "Min overdue",
    "Max overdue",
    "Products",
    "Segments",
    "Jurisdictions",
    "Strategy",
    "Source",
]


def is_open(tier: Tier) -> bool:
    """True when only days past due decide whether an account is in the tier."""
    return not (tier.min_amount or tier.max_amount or tier.products or tier.segments or tier.jurisdictions)


def rows(ctx: HandbookContext) -> list[list[str]]:
    """The tier table's rows, in the order tiers are checked."""
    out = []
    for tier in ctx.policy.tiers:
        out.append(
            [
                str(tier.order + 1),
                code(tier.id),
                text(tier.name),
                text(tier.dpd),
                text(amounts(tier.min_amount)),
                text(amounts(tier.max_amount)),
                listing(tier.products),
                listing(tier.segments),
                listing(tier.jurisdictions),
                f"[{text(tier.strategy)}](strategies.md#{anchor(tier.strategy)})",
                ctx.link(tier.source, PATH),
            ]
        )
    return out


def anchor(strategy_id: str) -> str:
    """The anchor of a strategy's section on the strategies page."""
    return f"strategy-{strategy_id}"


def next_tier(policy: Policy, tier: Tier) -> Tier | None:
    """The tier an unrestricted account reaches the day after ``tier``'s last day."""
    if tier.dpd.high is None:
        return None
    day = tier.dpd.high + 1
    return next((t for t in policy.tiers if is_open(t) and t.dpd.contains(day)), None)


def pages(ctx: HandbookContext) -> list[Page]:
    """The tiers page."""
    p = ctx.policy
    if not p.tiers:
        return [Page(PATH, "Tiers", "# Tiers\n\nThe policy defines no tiers: no account is contacted.\n")]
    out = ["# Tiers\n", ctx.edit_line(p.tiers[0].source, PATH)]
    out.append(
        "Every run, each account is placed in the **first** tier (top to bottom) whose bounds all "
        "hold on the as-of date: days past due, overdue amount (per currency), product, segment and "
        "jurisdiction. A blank bound holds for every account. An account in no tier is not "
        "contacted (reason `tier/none`).\n"
    )
    out.append("## Thresholds\n")
    out.append('<div class="hb-compact" markdown>\n\n' + table(HEADER, rows(ctx)) + "\n</div>\n")
    out.append("\n## The ladder\n")
    out.append(
        "Each bar spans the days past due of one tier, in evaluation order; a dashed border marks "
        "a tier that also depends on amount, product, segment or jurisdiction, an arrow a tier "
        "without an upper bound.\n"
    )
    out.append('<figure class="hb-figure" data-search-exclude>' + svg.ladder(p.tiers) + "</figure>\n")
    out.append("## What moves an account between tiers\n")
    out.append(
        "- **Time.** Days past due grow by one every day the earliest unpaid instalment stays "
        "unpaid, so an account climbs the ladder on its own. The next run places it in the next tier.\n"
        "- **Payments.** A payment that clears the earliest unpaid instalment moves the due date "
        "forward: days past due drop and the account moves down the ladder (or leaves it when "
        "nothing is overdue).\n"
        "- **Amounts, product, segment, jurisdiction.** Tiers bounded by these are re-checked every "
        "run; a change in the balance can move an account into or out of such a tier.\n"
        "- **Not tiers.** A promise to pay pauses the cadence but does not change the tier; an "
        "exclusion stops contact but the tier is still reported; an experiment arm changes the "
        "strategy an account runs, not its tier.\n"
    )
    movement = []
    for tier in p.tiers:
        if not is_open(tier):
            continue
        after = next_tier(p, tier)
        if tier.dpd.high is None:
            leaves = "stays until the debt is paid or closed"
        elif after is None:
            leaves = f"after day {tier.dpd.high}: no tier (not contacted)"
        else:
            leaves = f"after day {tier.dpd.high}: [{text(after.name)}](#tier-{after.id})"
        movement.append([f'<span id="tier-{tier.id}"></span>{text(tier.name)}', f"day {tier.dpd.low}", leaves])
    if movement:
        out.append("\nWithout payments, an account of any amount, product and segment moves like this:\n\n")
        out.append(table(["Tier", "Enters on", "Moves on"], movement))
    for tier in p.tiers:
        out.append(f"\n### {text(tier.name)} {{ #{anchor_for(tier)} }}\n")
        out.append(f"{text(tier.description) if tier.description else ''}\n")
        out.append(
            f"\nStrategy [{text(tier.strategy)}](strategies.md#{anchor(tier.strategy)}) · "
            f"{ctx.link(tier.source, PATH)}\n"
        )
    return [Page(PATH, "Tiers", "\n".join(out), p.tiers[0].source)]


def anchor_for(tier: Tier) -> str:
    """The anchor of a tier's description on this page."""
    return f"about-{tier.id}"
