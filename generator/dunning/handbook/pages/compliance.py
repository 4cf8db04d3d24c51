"""Compliance: per jurisdiction, each law rule in force with its parameters (after the policy's
tightening), citation and where it is enforced; then every rule of those packs in full.

The packs are the compliance engine's own data (:mod:`dunning.compliance.packs`): the handbook
prints exactly what validate, plan and the gate enforce.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dunning.compliance.packs import LawRule, Pack, all_packs, default_packs, effective_params
from dunning.handbook import words
from dunning.handbook.context import HandbookContext, Page, relative
from dunning.handbook.markdown import DASH, code, joined, listing, prose, table, text
from dunning.policy.model import Policy

PATH = "compliance.md"
PACK_SOURCE_DIR = "source/packs"
ENFORCED_WORDS = {
    "validate": "validate (the policy is checked before it runs)",
    "plan": "plan (every account's actions)",
    "gate": "gate (each contact at the moment it is made)",
    "render": "render (the message files)",
}


def rule_anchor(rule_id: str) -> str:
    """The anchor of a law rule on this page: ``cn.quiet-hours`` → ``cn-quiet-hours``."""
    return rule_id.replace(".", "-")


def pack_source_path(pack: Pack) -> str:
    """The docs path of the numbered copy of a shipped pack file."""
    return f"{PACK_SOURCE_DIR}/{pack.file}.md"


def pack_text(pack: Pack) -> str:
    """The pack file's text as shipped."""
    from dunning.compliance.packs import PACK_DIR

    return (PACK_DIR / pack.file).read_text(encoding="utf-8")


def rule_line(pack: Pack, rule: LawRule) -> int:
    """The 1-based line of ``- id: <rule>`` in the pack file (1 when not found)."""
    for n, line in enumerate(pack_text(pack).splitlines(), start=1):
        if line.strip() in (f"- id: {rule.id}", f'- id: "{rule.id}"'):
            return n
    return 1


def params_text(params: Mapping[str, Any]) -> str:
    """``max=7, per_days=7``; ``—`` when there are none."""
    if not params:
        return DASH
    return ", ".join(
        f"text contains {pattern_words(v)}" if k == "patterns" and isinstance(v, list | tuple) else f"{k}={_value(v)}"
        for k, v in sorted(params.items())
    )


def _value(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


_CASELESS = "(?i)"
_OPTIONAL_SPACE = re.compile(r"\[ -\]\?")
_REGEX_SYNTAX = re.compile(r"[\\^$.|?*+()\[\]{}]")


def pattern_words(patterns: Sequence[str]) -> str:
    """The disclosure patterns of a law rule as a reader says them: ``(?i)\\bopt[ -]?out\\b``
    is “opt out” (or “opt-out”, “optout”), any case, as a whole word. A pattern using other
    regular-expression syntax is shown as it is written, as code."""
    words: list[str] = []
    for pattern in patterns:
        caseless = pattern.startswith(_CASELESS)
        bare = pattern.removeprefix(_CASELESS).replace("\\b", "")
        if _OPTIONAL_SPACE.search(bare):
            variants = [_OPTIONAL_SPACE.sub(sep, bare) for sep in (" ", "-", "")]
        else:
            variants = [bare]
        if any(_REGEX_SYNTAX.search(v) for v in variants):
            words.append(f"the pattern {pattern}")
            continue
        said = f"“{variants[0]}”" + (f" (or {', '.join(f'“{v}”' for v in variants[1:])})" if variants[1:] else "")
        words.append(said + (" in any case" if caseless and variants[0].lower() != variants[0].upper() else ""))
    return "one of: " + "; ".join(words)


def packs_in_force(policy: Policy, jurisdiction: str) -> list[str]:
    """Packs the policy names for ``jurisdiction`` plus those the law applies there anyway."""
    j = policy.jurisdictions[jurisdiction]
    return sorted(set(j.packs) | set(default_packs(jurisdiction)))


def jurisdiction_rows(ctx: HandbookContext, jurisdiction: str) -> list[list[str]]:
    """Every law rule in force in ``jurisdiction``, with its effective parameters."""
    j = ctx.policy.jurisdictions[jurisdiction]
    packs = all_packs()
    rows = []
    for pack_id in packs_in_force(ctx.policy, jurisdiction):
        pack = packs.get(pack_id)
        if pack is None:
            rows.append([code(pack_id), "unknown pack: validate reports it", DASH, DASH, DASH])
            continue
        for rule in pack.rules:
            params = effective_params(rule, j.tighten.get(rule.id))
            tightened = " (tightened by the policy)" if dict(params) != dict(rule.params) else ""
            rows.append(
                [
                    f"[{text(rule.id)}](#{rule_anchor(rule.id)})",
                    text(rule.kind.replace("_", " ")),
                    text(params_text(params) + tightened),
                    text(", ".join(rule.enforced)) or DASH,
                    text(rule.citation),
                ]
            )
    return rows


def pages(ctx: HandbookContext) -> list[Page]:
    """The compliance page and the numbered copies of the pack files it cites."""
    p = ctx.policy
    packs = all_packs()
    out = ["# Compliance\n"]
    first = min((j.source for j in p.jurisdictions.values()), default=None)
    if first is not None:  # where the policy names its packs and tightens them
        out.append(ctx.edit_line(first, PATH))
    out.append(
        "The law is data: each jurisdiction's packs hold its rules with parameters and citations. "
        "A policy may tighten a parameter, never loosen it (validate refuses that), and the same "
        "rules are enforced in three places:\n\n"
        + "".join(f"- **{k}** — {v.split(' (', 1)[1].rstrip(')')}\n" for k, v in ENFORCED_WORDS.items())
        + "\nA plan or gate decision cites the rule id as its reason code (e.g. `us-regf.call-hours`). "
        "The validator's own rules are listed in the [rule catalogue](rules.md).\n"
    )
    used: set[str] = set()
    for code_ in sorted(p.jurisdictions):
        j = p.jurisdictions[code_]
        in_force = packs_in_force(p, code_)
        used.update(in_force)
        out.append(f"\n## {text(code_)} {{ #jurisdiction-{code_.lower()} }}\n")
        named = listing(j.packs, "none")
        by_law = sorted(set(default_packs(code_)) - set(j.packs))
        extra = f"; applied by law as well: {listing(by_law)}" if by_law else ""
        out.append(f"Packs named by the policy: {named}{extra} · {ctx.link(j.source, PATH)}\n\n")
        rows = jurisdiction_rows(ctx, code_)
        if rows:
            out.append(table(["Rule", "Kind", "Parameters in force", "Enforced in", "Citation"], rows))
        else:
            out.append("No law pack applies.\n")
    out.append("\n## The packs\n")
    pages_out: list[Page] = []
    for pack_id in sorted(used):
        pack = packs.get(pack_id)
        if pack is None:
            continue
        source = pack_source_path(pack)
        out.append(f"\n### {text(pack.name)} {{ #pack-{pack.id} }}\n")
        out.append(
            f"Pack {code(pack.id)}, applies by law to {listing(pack.applies_to)} · "
            f"[{text(pack.file)}]({relative(PATH, source)})\n"
        )
        for rule in pack.rules:
            link = f"{relative(PATH, source)}#L{rule_line(pack, rule)}"
            out.append(f"\n#### {text(rule.id)} {{ #{rule_anchor(rule.id)} }}\n")
            out.append(f"{prose(rule.description)}\n\n")
            facts = [
                ["Kind", text(rule.kind.replace("_", " "))],
                ["Parameters (the law's)", text(params_text(rule.params))],
                ["Channels", text(joined([words.channel(c) for c in rule.channels])) or DASH],
                ["Debt types", listing(rule.debt_types, DASH)],
                ["Counted per", text(rule.per) or DASH],
                ["Counts outcomes", listing(rule.counts, DASH)],
                ["Effect", prose(rule.effect)],
                ["Enforced in", text(", ".join(rule.enforced)) or DASH],
                ["Citation", text(rule.citation)],
                ["Source", f"[{text(pack.file)}:{rule_line(pack, rule)}]({link})"],
            ]
            out.append(table(["Item", "Value"], facts))
        pages_out.append(pack_source_page(pack))
    return [Page(PATH, "Compliance", "\n".join(out), first), *pages_out]


def pack_source_page(pack: Pack) -> Page:
    """The numbered copy of a shipped pack file."""
    from dunning.handbook.sources import NOT_SEARCHED, numbered

    title = f"compliance/packs/{pack.file}"
    note = "Shipped with `dunning`; the policy cannot change it, only tighten its parameters."
    body = f"{NOT_SEARCHED}# {text(title)}\n\n{note}\n\n"
    return Page(pack_source_path(pack), title, body + numbered(pack_text(pack)))
