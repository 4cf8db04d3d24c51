"""Overview: what the portfolio is, where it collects, in which languages, under which law,
and from which revision of the policy this handbook was built."""

from __future__ import annotations

from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import DASH, code, listing, table, text

PATH = "index.md"


def pages(ctx: HandbookContext) -> list[Page]:
    """The overview page."""
    p = ctx.policy
    out = [f"# {text(p.name)}\n", ctx.edit_line(p.company.source, PATH)]
    out.append(
        "This handbook is generated from the collection policy in `policies/` and the message "
        "templates in `templates/`. It shows what the policy does — who is contacted, when, how "
        "and why — without reading YAML. Every table links back to the line it comes from.\n"
    )
    revision = ctx.revision
    facts = [
        ("Portfolio", code(p.id)),
        ("Default locale", code(p.default_locale)),
        ("Locales", listing(p.locales, DASH)),
        ("Handbook as of", text(ctx.as_of.isoformat())),
        ("Policy revision", code(revision.label) if revision else "not in git"),
        ("Branch", code(revision.branch) if revision and revision.branch else DASH),
    ]
    out.append("## At a glance\n")
    out.append(table(["Item", "Value"], [[f"**{k}**", v] for k, v in facts]))
    counts = [
        ("Tiers", len(p.tiers), "tiers.md"),
        ("Strategies", len(p.strategies), "strategies.md"),
        ("Experiments", len(p.experiments), "strategies.md#experiments"),
        ("Timetables", len(p.timetables), "timetables.md"),
        ("Frequency caps", len(p.caps), "offers-and-exclusions.md#frequency-caps"),
        ("Exclusions", len(p.exclusions), "offers-and-exclusions.md#exclusions"),
        ("Offers", len(p.offers), "offers-and-exclusions.md#offers"),
        ("Templates", len(p.templates), "templates.md"),
        ("Agencies", len(p.agencies), None),
    ]
    out.append("\n## What is in force\n")
    out.append(
        table(
            ["Element", "Count"],
            [[f"[{name}]({link})" if link else name, str(n)] for name, n, link in counts],
        )
    )
    out.append("\n## Jurisdictions\n")
    rows = []
    for code_, j in sorted(p.jurisdictions.items()):
        tightened = "; ".join(
            f"{rule}: " + ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
            for rule, params in sorted(j.tighten.items())
        )
        rows.append(
            [
                code(code_),
                code(j.currency),
                listing(j.locales, DASH),
                code(j.default_locale),
                code(j.timezone),
                code(j.holidays) if j.holidays else "none",
                listing(j.packs, "none"),
                text(tightened) if tightened else DASH,
                ctx.link(j.source, PATH),
            ]
        )
    out.append(
        table(
            [
                "Code",
                "Currency",
                "Locales",
                "Default locale",
                "Time zone",
                "Holidays",
                "Law packs",
                "Tightened",
                "Source",
            ],
            rows,
        )
    )
    packs = sorted({pack for j in p.jurisdictions.values() for pack in j.packs})
    out.append(f"\nLaw packs in force: {listing(packs, 'none')}.\n")
    company = p.company
    out.append("\n## Company\n")
    out.append(
        table(
            ["Locale", "Name", "SMS signature", "Postal address"],
            [
                [
                    code(loc),
                    text(company.name.get(loc)),
                    text(company.sms_signature.get(loc)),
                    text(company.postal_address.get(loc)),
                ]
                for loc in p.locales
            ],
        )
    )
    phones = ", ".join(f"{k}: {v}" for k, v in sorted(company.phone.items()))
    out.append(
        f"\nEmail {code(company.email)} · phone {text(phones) or DASH} · website {code(company.website)} · "
        f"contact preferences {code(company.unsubscribe_url)}\n"
    )
    if p.agencies:
        out.append("\n## Agencies\n")
        out.append(
            table(
                ["Agency", "Name", "Jurisdictions", "Fields it receives", "Source"],
                [
                    [
                        code(a.id),
                        text(a.name),
                        listing(a.jurisdictions),
                        listing(a.fields, DASH),
                        ctx.link(a.source, PATH),
                    ]
                    for a in sorted(p.agencies.values(), key=lambda a: a.id)
                ],
            )
        )
    s = p.settings
    out.append("\n## Settings\n")
    out.append(
        table(
            ["Setting", "Value"],
            [
                ["Most SMS segments per message", str(s.sms_max_segments)],
                ["Days a promise to pay counts as kept after its date", str(s.promise_grace_days)],
            ],
        )
    )
    # the rules only: a customer file itself never appears in the handbook
    out.append("\n## Masking in customer files\n")
    out.append(
        "How `dunning case` and the case files of a build (`messages/cases/`) show personal "
        "fields (the policy's `masking:` section; a field it leaves out keeps the default).\n"
    )
    out.append(
        table(
            ["Field", "Shown as"],
            [[code(name), text(rule.describe())] for name, rule in p.masking.items()],
        )
    )
    return [Page(PATH, "Overview", "\n".join(out), company.source)]
