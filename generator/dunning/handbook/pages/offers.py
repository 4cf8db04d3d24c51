"""Offers and exclusions: who gets which offer, what stops or limits contact — in plain words."""

from __future__ import annotations

from dunning.handbook import words
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import DASH, amounts, code, joined, listing, percent, table, text
from dunning.policy.model import ExclusionEffect, Offer

PATH = "offers-and-exclusions.md"
KIND_WORDS = {"payment_plan": "payment plan", "hardship": "hardship plan", "settlement": "settlement"}
OFFER_HEADER = [
    "Order",
    "Offer",
    "Kind",
    "Who gets it",
    "Instalments",
    "Minimum instalment",
    "Days between",
    "First due after",
    "Largest discount",
    "Source",
]
EXCLUSION_HEADER = ["Exclusion", "When", "Effect", "Reason", "Code", "Source"]
CAP_HEADER = ["Cap", "Channels", "At most", "Counted per", "Jurisdictions", "What it means", "Source"]


def offer_sentence(offer: Offer) -> str:
    """The offer in one sentence."""
    kind = KIND_WORDS.get(offer.kind, offer.kind)
    who = words.condition(offer.when)
    who = "Every account" if who == "Always" else who.removeprefix("Only if ").rstrip(".").capitalize()
    if offer.instalments == 1:
        shape = f"one payment of the balance due {offer.grace_days} days after the as-of date"
    else:
        shape = (
            f"{offer.instalments} instalments {offer.interval_days} days apart, the first due "
            f"{offer.grace_days} days after the as-of date"
        )
        if offer.min_instalment:
            shape += f", none smaller than {amounts(offer.min_instalment)}"
    discount = (
        f" Up to {percent(offer.max_discount)} of the overdue amount may be forgiven."
        if offer.max_discount
        else " Nothing is forgiven."
    )
    return f"{who}: a {kind} — {shape}.{discount}"


def offer_rows(ctx: HandbookContext) -> list[list[str]]:
    """The offers table, in the order offers are tried."""
    return [
        [
            str(i + 1),
            code(o.id),
            text(KIND_WORDS.get(o.kind, o.kind)),
            text(words.condition(o.when)),
            str(o.instalments),
            text(amounts(o.min_instalment)),
            str(o.interval_days) if o.instalments > 1 else DASH,
            f"{o.grace_days} days",
            percent(o.max_discount),
            ctx.link(o.source, PATH),
        ]
        for i, o in enumerate(ctx.policy.offers)
    ]


def exclusion_rows(ctx: HandbookContext) -> list[list[str]]:
    """The policy's own exclusions, in file order."""
    return [
        [
            code(e.id),
            text(words.condition(e.when)),
            text(words.effect(e.effect, e.channels)),
            text(e.reason),
            code(e.code),
            ctx.link(e.source, PATH),
        ]
        for e in ctx.policy.exclusions
    ]


def cap_rows(ctx: HandbookContext) -> list[list[str]]:
    """The policy's own frequency caps."""
    return [
        [
            code(c.id),
            text(joined([words.channel(ch) for ch in c.channels])),
            text(f"{c.max} in {c.per_days} day{'s' if c.per_days != 1 else ''}"),
            text(c.scope),
            listing(c.jurisdictions, "all"),
            text(c.description),
            ctx.link(c.source, PATH),
        ]
        for c in ctx.policy.caps
    ]


def pages(ctx: HandbookContext) -> list[Page]:
    """The offers-and-exclusions page."""
    p = ctx.policy
    first = min([o.source for o in p.offers] + [e.source for e in p.exclusions], default=None)
    out = ["# Offers and exclusions\n"]
    if first is not None:
        out.append(ctx.edit_line(first, PATH))
    out.append("## Offers { #offers }\n")
    if not p.offers:
        out.append("The policy makes no offers.\n")
    else:
        out.append(
            "Offers are tried top to bottom; the **first** whose conditions hold is made (reason "
            "code `offer/<id>`). Instalments always add up exactly to the balance after the discount.\n\n"
        )
        out.extend(f"- **{text(o.id)}.** {text(offer_sentence(o))}\n" for o in p.offers)
        out.append("\n" + table(OFFER_HEADER, offer_rows(ctx)))
    out.append("\n## Exclusions { #exclusions }\n")
    out.append(
        "The law's stops (bankruptcy, deceased, cease contact, dispute, Breathing Space, opt-outs …) "
        "always apply: see [Compliance](compliance.md). On top of them the policy stops or limits "
        "contact here:\n\n"
    )
    if p.exclusions:
        out.append(table(EXCLUSION_HEADER, exclusion_rows(ctx)))
        excluded = [e for e in p.exclusions if e.effect is ExclusionEffect.EXCLUDE]
        if excluded:
            out.append(
                "\nAn excluded account is still counted in every run's summary: nothing is lost, it is "
                "planned with no action and its reason codes.\n"
            )
    else:
        out.append("The policy adds no exclusions of its own.\n")
    out.append("\n## Frequency caps { #frequency-caps }\n")
    if p.caps:
        out.append(
            "A planned contact over a cap is deferred to the first day it is allowed, or suppressed "
            "when that is past the plan's horizon (reason code `cap/<id>`). The law's caps apply too.\n\n"
        )
        out.append(table(CAP_HEADER, cap_rows(ctx)))
    else:
        out.append("The policy adds no caps of its own; the law's caps apply.\n")
    return [Page(PATH, "Offers and exclusions", "\n".join(out), first)]
