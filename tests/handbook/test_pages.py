"""The generated Markdown holds the right tables for the example policy (exact rows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from dunning.handbook import context_for
from dunning.handbook.context import HandbookContext
from dunning.handbook.markdown import table, text
from dunning.handbook.pages import gallery, offers, overview, review, rules, strategies, tiers, timetables
from dunning.handbook.pages.rules import rst_to_markdown
from dunning.policy import require_policy


def body(pages: list, path: str) -> str:  # type: ignore[type-arg]
    return str(next(p.body for p in pages if p.path == path))


def test_tier_table_rows_in_evaluation_order(example_ctx: HandbookContext) -> None:
    page = body(tiers.pages(example_ctx), "tiers.md")
    expected = table(
        tiers.HEADER,
        [
            [
                "1",
                "`reminder`",
                "Friendly reminder",
                "1–7",
                "—",
                "—",
                "any",
                "any",
                "any",
                "[reminder](strategies.md#strategy-reminder)",
                "[policies/tiers.yaml:5](source/policies/tiers.yaml.md#L5)",
            ],
            [
                "2",
                "`early`",
                "Early arrears",
                "8–30",
                "—",
                "—",
                "any",
                "any",
                "any",
                "[early](strategies.md#strategy-early)",
                "[policies/tiers.yaml:10](source/policies/tiers.yaml.md#L10)",
            ],
            [
                "3",
                "`mid`",
                "Arrears",
                "31–60",
                "—",
                "—",
                "any",
                "any",
                "any",
                "[mid](strategies.md#strategy-mid)",
                "[policies/tiers.yaml:15](source/policies/tiers.yaml.md#L15)",
            ],
            [
                "4",
                "`late`",
                "Serious arrears",
                "61–90",
                "—",
                "—",
                "any",
                "any",
                "any",
                "[late](strategies.md#strategy-late)",
                "[policies/tiers.yaml:20](source/policies/tiers.yaml.md#L20)",
            ],
            [
                "5",
                "`recovery`",
                "Recovery",
                "91+",
                "—",
                "—",
                "any",
                "any",
                "any",
                "[recovery](strategies.md#strategy-recovery)",
                "[policies/tiers.yaml:27](source/policies/tiers.yaml.md#L27)",
            ],
        ],
    )
    assert expected in page
    assert '| <span id="tier-late"></span>Serious arrears | day 61 | after day 90: [Recovery](#tier-recovery) |' in page
    assert '<figure class="hb-figure" data-search-exclude><svg' in page
    assert "<title>recovery: dpd 91+</title>" in page


def test_timetable_grid_rows(example_ctx: HandbookContext) -> None:
    page = body(timetables.pages(example_ctx), "timetables.md")
    china = table(
        timetables.GRID_HEADER,
        [
            ["SMS", *["09:00-20:00"] * 7, "no contact", "09:00-20:00"],
            ["email", *["08:00-21:00"] * 7, "no contact", "08:00-21:00"],
            ["letter", *["09:00-17:00"] * 5, "no contact", "no contact", "no contact", "09:00-17:00"],
            ["phone call", *["09:00-20:00"] * 5, "10:00-18:00", "10:00-18:00", "no contact", "09:00-20:00"],
            ["field visit", *["10:00-18:00"] * 5, "no contact", "no contact", "no contact", "10:00-18:00"],
        ],
    )
    us = table(
        timetables.GRID_HEADER,
        [
            ["SMS", *["09:00-20:00"] * 5, "10:00-18:00", "10:00-18:00", "no contact", "09:00-20:00"],
            ["email", *["08:00-20:00"] * 7, "no contact", "08:00-20:00"],
            ["letter", *["09:00-17:00"] * 5, "no contact", "no contact", "no contact", "09:00-17:00"],
            ["phone call", *["09:00-20:00"] * 5, "10:00-14:00", "no contact", "no contact", "09:00-20:00"],
            ["field visit", *["no contact"] * 9],
        ],
    )
    assert china in page
    assert us in page
    assert page.index(china) < page.index(us)  # timetables in file order
    assert (
        "| 2026-12-24 | 2026-12-24 | all | Christmas Eve — no collection contact | "
        "[policies/timetables.yaml:44](source/policies/timetables.yaml.md#L44) |"
    ) in page
    assert "| 2026-12-31 | 2026-12-31 | phone call | New Year's Eve — no calls |" in page
    # law hours from the packs, with the rule linked on the compliance page
    assert "| `CN` | [cn.quiet-hours](compliance.md#cn-quiet-hours) | 08:00–22:00 | `Asia/Shanghai` |" in page


def test_holiday_calendar_is_anchored_on_as_of_with_make_up_days(example_ctx: HandbookContext) -> None:
    page = body(timetables.pages(example_ctx), "timetables.md")
    assert "### Holidays in CN, 2026-11-28 to 2027-11-27" in page
    assert "| 2027-02-06 | Sat | public holiday | Chinese New Year (Spring Festival) |" in page
    assert "| 2026-11-26 |" not in page  # Thanksgiving 2026 is before the as-of date
    assert "| 2027-11-25 | Thu | public holiday | Thanksgiving Day |" in page
    # the whole National Day break of the State Council's notice, and a warning for 2027
    assert "| 2026-10-04 | Sun | public holiday | 国庆节 National Day break |" in body(
        timetables.pages(HandbookContext(example_ctx.policy, example_ctx.root, date(2026, 9, 1), None)),
        "timetables.md",
    )
    assert "!!! warning\n    CN: the official holiday breaks are published up to 2026; for 2027 only" in page
    earlier = HandbookContext(example_ctx.policy, example_ctx.root, date(2026, 1, 1), None)
    page_2026 = body(timetables.pages(earlier), "timetables.md")
    assert "| 2026-01-04 | Sun | make-up working day | — |" in page_2026
    assert "| 2026-10-10 | Sat | make-up working day | — |" in page_2026


def test_holidays_in_gb_are_the_days_the_planner_applies() -> None:
    # the compliance tests' policy serves GB with `holidays: GB`: an account of no known nation
    # keeps every nation's bank holidays, and the page says which nation each one is from
    root = Path(__file__).resolve().parents[1] / "compliance" / "repo"
    ctx = context_for(require_policy(root), root, date(2026, 1, 1))
    page = body(timetables.pages(ctx), "timetables.md")
    section = page[page.index("### Holidays in GB, 2026-01-01 to 2026-12-31") :]
    rows = [line for line in section.splitlines() if line.startswith("| 2026-")]
    assert rows == [
        "| 2026-01-01 | Thu | public holiday | New Year's Day |",
        "| 2026-01-02 | Fri | public holiday | New Year Holiday (SCT) |",
        "| 2026-03-17 | Tue | public holiday | Saint Patrick's Day (NIR) |",
        "| 2026-04-03 | Fri | public holiday | Good Friday |",
        "| 2026-04-06 | Mon | public holiday | Easter Monday (ENG, NIR, WLS) |",
        "| 2026-05-04 | Mon | public holiday | May Day |",
        "| 2026-05-25 | Mon | public holiday | Spring Bank Holiday |",
        "| 2026-06-15 | Mon | public holiday | Scotland's participation in the FIFA World Cup final (SCT) |",
        "| 2026-07-12 | Sun | public holiday | Battle of the Boyne (NIR) |",
        "| 2026-07-13 | Mon | public holiday | Battle of the Boyne (observed) (NIR) |",
        "| 2026-08-03 | Mon | public holiday | Summer Bank Holiday (SCT) |",
        "| 2026-08-31 | Mon | public holiday | Late Summer Bank Holiday (ENG, NIR, WLS) |",
        "| 2026-11-30 | Mon | public holiday | Saint Andrew's Day (SCT) |",
        "| 2026-12-25 | Fri | public holiday | Christmas Day |",
        "| 2026-12-26 | Sat | public holiday | Boxing Day |",
        "| 2026-12-28 | Mon | public holiday | Boxing Day (observed) |",
    ]


def test_offer_rows_and_plain_words(example_ctx: HandbookContext) -> None:
    page = body(offers.pages(example_ctx), "offers-and-exclusions.md")
    expected = table(
        offers.OFFER_HEADER,
        [
            [
                "1",
                "`hardship-plan`",
                "hardship plan",
                "Only if the account is flagged hardship.",
                "12",
                "CNY 50 / USD 10",
                "30",
                "30 days",
                "10%",
                "[policies/offers.yaml:5](source/policies/offers.yaml.md#L5)",
            ],
            [
                "2",
                "`payment-plan`",
                "payment plan",
                "Only if the overdue amount is at least CNY 600 / USD 100 and the account is in tier mid or late.",
                "6",
                "CNY 100 / USD 20",
                "30",
                "10 days",
                "0%",
                "[policies/offers.yaml:15](source/policies/offers.yaml.md#L15)",
            ],
            [
                "3",
                "`settlement`",
                "settlement",
                "Only if the account is in tier recovery.",
                "1",
                "—",
                "—",
                "14 days",
                "25%",
                "[policies/offers.yaml:27](source/policies/offers.yaml.md#L27)",
            ],
        ],
    )
    assert expected in page
    assert (
        "- **settlement.** The account is in tier recovery: a settlement — one payment of the balance due "
        "14 days after the as-of date. Up to 25% of the overdue amount may be forgiven.\n"
    ) in page
    assert (
        "| `small-balance` | Only if the overdue amount is at most CNY 49.99 / USD 9.99 and the account is in tier "
        "late or recovery. | No contact at all: the account is excluded from the plan. |"
    ) in page
    assert "| `calls-per-week` | phone call | 4 in 7 days | debt | all |" in page


def test_strategy_table_and_timeline(example_ctx: HandbookContext) -> None:
    page = body(strategies.pages(example_ctx), "strategies.md")
    assert (
        "| day 10, then every 4 days until day 30 | phone call | [call-early](templates.md#template-call-early) | "
        "Only if no promise to pay is open (none on file, or the last one was broken). | 3 |"
    ) in page
    # a repeat without `until` runs to the last day of its tier (late: 61–90)
    assert "| day 62, then every 2 days until day 90 | phone call |" in page
    assert "| day 105 | **legal review** (escalation) |" in page
    # one mark per firing day: the US notice and the text on day 8, the call on 10, 14, 18,
    # 22, 26, 30, the email on 14, the CN letter on 21
    early = page[page.index("## early {") : page.index("## mid {")]
    assert early.count("<title>day ") == 1 + 1 + 6 + 1 + 1
    assert "| `challenger` | 20% | [early-empathetic](#strategy-early-empathetic) | — |" in page
    # ladder order: the tiers' strategies first, then the experiment's
    order = [page.index(f"## {s} {{") for s in ("reminder", "early", "mid", "late", "recovery", "early-empathetic")]
    assert order == sorted(order)


def test_overview_lists_jurisdictions_packs_and_no_revision_outside_git(example_ctx: HandbookContext) -> None:
    page = body(overview.pages(example_ctx), "index.md")
    assert "| **Policy revision** | not in git |" in page
    assert "| `US-MA` |" in page
    assert "Law packs in force: `cn`, `us-ma`, `us-regf`." in page


def test_rule_catalogue_has_every_code_with_examples(example_ctx: HandbookContext) -> None:
    page = body(rules.pages(example_ctx), "rules.md")
    assert "## P101 tier-gap { #p101 }" in page
    assert "| [P101](#p101) | `tier-gap` | warning | some days past due fall in no tier. |" in page
    assert "```yaml" in page


def test_review_page_lists_each_acknowledgement_once(example_ctx: HandbookContext) -> None:
    page = body(review.pages(example_ctx), "review.md")
    assert "## Open findings\n\nNone: every finding is acknowledged below, or there is none.\n" in page
    reason = "Massachusetts allows two calls or texts in seven days (209 CMR 18.14(1)(d));"
    assert page.count(reason) == 1
    assert f"| [L002](rules.md#l002) | {reason}" in page
    assert "| [policies/acknowledgements.yaml:6](source/policies/acknowledgements.yaml.md#L6) | 4 |" in page
    rows = [line for line in page.splitlines() if line.startswith("| [policies/strategies.yaml:")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| [policies/strategies.yaml:39](source/policies/strategies.yaml.md#L39)",
        "| [policies/strategies.yaml:69](source/policies/strategies.yaml.md#L69)",
        "| [policies/strategies.yaml:100](source/policies/strategies.yaml.md#L100)",
        "| [policies/strategies.yaml:172](source/policies/strategies.yaml.md#L172)",
    ]


def test_rst_literal_blocks_become_fenced_yaml() -> None:
    doc = "Why.\n\nFailing::\n\n    tiers:\n      - {id: a}\n\nAfter."
    assert rst_to_markdown(doc) == "Why.\n\nFailing:\n\n```yaml\ntiers:\n  - {id: a}\n```\n\nAfter.\n"


def test_text_escapes_markdown_but_keeps_cjk() -> None:
    assert text("a|b *c* <x> 【示例】") == "a\\|b \\*c\\* \\<x\\> 【示例】"


def test_gallery_renders_every_locale_with_sms_counts(example_ctx: HandbookContext) -> None:
    pages = gallery.pages(example_ctx)
    sms_page = body(pages, "gallery/sms-reminder.md")
    assert "## zh-CN { #zh-cn }" in sms_page and "## en-US { #en-us }" in sms_page
    assert sms_page.count('class="hb-preview" data-locale="zh-CN"') == 6
    assert sms_page.count('class="hb-preview" data-locale="en-US"') == 6
    assert "| Forgot to pay, a few days late | UCS-2 |" in sms_page
    assert "| Forgot to pay, a few days late | GSM-7 |" in sms_page
    assert "【signature】" in sms_page
    letter = body(pages, "gallery/letter-notice.md")
    assert '<iframe class="hb-html" sandbox=""' in letter  # untrusted HTML is sandboxed
    index = body(pages, "templates.md")
    assert '<span id="template-visit-sheet"></span>[visit-sheet](gallery/visit-sheet.md)' in index


def test_disclosure_patterns_in_words_and_backticks_as_code() -> None:
    from dunning.handbook.markdown import prose
    from dunning.handbook.pages.compliance import params_text

    patterns = ["(?i)\\bstop\\b", "(?i)\\bopt[ -]?out\\b", "退订", "(?i)a.*b"]
    assert params_text({"patterns": patterns, "text": "opt_out"}) == (
        "text contains one of: “stop” in any case; “opt out” (or “opt-out”, “optout”) in any case; “退订”; "
        "the pattern (?i)a.*b, text=opt_out"
    )
    assert prose("use `compliance.opt_out`, a | b and `odd") == "use `compliance.opt_out`, a \\| b and \\`odd"


def test_overview_shows_the_masking_rules_not_data(example_ctx: HandbookContext) -> None:
    page = body(overview.pages(example_ctx), "index.md")
    section = page[page.index("## Masking in customer files") :]
    assert [line for line in section.splitlines() if line.startswith("| `")] == [
        "| `name` | shown in full |",
        "| `customer_id` | shown in full |",
        "| `phone` | the last 4 character(s) only |",
        "| `email` | the first letter and the domain only |",
        "| `address` | shown in full |",
    ]
