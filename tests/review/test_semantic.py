"""The semantic diff: every kind of change between the two fixture revisions, in exact words."""

from __future__ import annotations

import shutil
from pathlib import Path

from dunning.review.revision import open_revision
from dunning.review.semantic import Change, semantic_diff

from .review_support import commit_all, git

EXPECTED = [
    ("pack.added", "jurisdictions/CN/packs/cn-extra", "Jurisdiction `CN` now applies compliance pack `cn-extra`."),
    (
        "pack.removed",
        "jurisdictions/US-MA/packs/us-ma",
        "Jurisdiction `US-MA` no longer applies compliance pack `us-ma`.",
    ),
    (
        "tighten.changed",
        "jurisdictions/US-MA/tighten/us-regf.call-frequency/max",
        "Jurisdiction `US-MA` now tightens `us-regf.call-frequency`: max 5.",
    ),
    (
        "tighten.changed",
        "jurisdictions/US/tighten/us-regf.call-frequency/max",
        "Jurisdiction `US` now tightens `us-regf.call-frequency`: max 5.",
    ),
    (
        "tier.reordered",
        "tiers",
        "Tiers reordered: early → mid → recovery → late (was early → mid → late → recovery); "
        "the first tier that fits takes the account.",
    ),
    ("tier.threshold", "tiers/early/dpd", "Tier `early` now covers 1-35 days past due (was 1-30)."),
    ("tier.threshold", "tiers/mid/dpd", "Tier `mid` now covers 36-60 days past due (was 31-60)."),
    ("tier.changed", "tiers/mid/name", "Tier `mid`: name changed from Arrears to Arrears and plans."),
    ("tier.threshold", "tiers/recovery/dpd", "Tier `recovery` now covers 91-180 days past due (was 91+)."),
    (
        "tier.added",
        "tiers/write-off",
        "New tier `write-off` (Write-off review) at position 5: 181+ days past due, strategy `recovery`.",
    ),
    ("strategy.added", "strategies/write-off", "New strategy `write-off` with 1 step(s)."),
    (
        "step.changed",
        "strategies/early/steps/call@5/every",
        "Strategy `early`: call step on day 5 now repeats every 3 days (was every 4 days).",
    ),
    ("step.removed", "strategies/early/steps/email@14", "Strategy `early`: email step on day 14 removed."),
    (
        "step.moved",
        "strategies/early/steps/letter@20/day",
        "Strategy `early`: letter step moved from day 21 to day 20.",
    ),
    (
        "step.changed",
        "strategies/late/steps/sms@75/template",
        "Strategy `late`: sms step on day 75: template changed from sms-early to sms-late.",
    ),
    (
        "step.added",
        "strategies/mid/steps/email@50",
        "Strategy `mid`: new email step on day 50 with template `email-notice` when promise not_kept, has email.",
    ),
    (
        "window.changed",
        "timetables/china/call/weekends",
        "Timetable `china`: call on weekends now 10:00-17:00 (was 10:00-18:00).",
    ),
    (
        "window.changed",
        "timetables/united-states/call/sat",
        "Timetable `united-states`: call on sat now no contact (was 10:00-14:00).",
    ),
    (
        "window.changed",
        "timetables/united-states/call/workdays",
        "Timetable `united-states`: call on workdays now 09:00-19:00 (was 09:00-20:00).",
    ),
    (
        "blackout.added",
        "timetables/china/blackouts/2027-02-05",
        "Timetable `china`: new blackout 2027-02-05 to 2027-02-11 (all channels): Spring Festival",
    ),
    (
        "blackout.changed",
        "timetables/united-states/blackouts/2026-12-24/channels",
        "Timetable `united-states`: blackout 2026-12-24 now stops call, sms (was all channels).",
    ),
    (
        "blackout.removed",
        "timetables/united-states/blackouts/2026-12-31",
        "Timetable `united-states`: blackout 2026-12-31 (call) removed.",
    ),
    ("cap.changed", "caps/calls-per-week/max", "Cap `calls-per-week`: maximum contacts changed from 4 to 3."),
    ("cap.removed", "caps/one-touch-a-day", "Cap `one-touch-a-day` removed."),
    (
        "cap.added",
        "caps/texts-per-week",
        "New cap `texts-per-week`: at most 3 contact(s) by sms in 7 day(s) per debtor.",
    ),
    (
        "exclusion.added",
        "exclusions/legal-hold",
        "New exclusion `legal-hold` (exclude) when flags legal_hold: Legal department handles it",
    ),
    ("exclusion.removed", "exclusions/staff", "Exclusion `staff` removed."),
    (
        "exclusion.changed",
        "exclusions/vulnerable/reason",
        "Exclusion `vulnerable`: reason changed from Vulnerable customer "
        "to Vulnerable customer — specialist team first.",
    ),
    ("offer.changed", "offers/payment-plan/grace_days", "Offer `payment-plan`: grace days changed from 10 to 14."),
    ("offer.changed", "offers/payment-plan/instalments", "Offer `payment-plan`: instalments changed from 6 to 8."),
    (
        "offer.changed",
        "offers/payment-plan/when",
        "Offer `payment-plan`: condition changed from tiers mid, late "
        "to min overdue CNY 600, USD 100, tiers mid, late.",
    ),
    (
        "offer.added",
        "offers/settlement",
        "New offer `settlement` (settlement): 1 instalment(s) every 30 days, "
        "maximum discount 0.25, when tiers recovery.",
    ),
    (
        "experiment.changed",
        "experiments/soft-start/tiers",
        "Experiment `soft-start`: tiers changed from early to early, mid.",
    ),
    (
        "arm.changed",
        "experiments/soft-start/arms/challenger/share",
        "Experiment `soft-start`: arm `challenger` now gets 30% of accounts (was 20%).",
    ),
    (
        "arm.changed",
        "experiments/soft-start/arms/champion/share",
        "Experiment `soft-start`: arm `champion` now gets 70% of accounts (was 80%).",
    ),
    (
        "template.changed",
        "templates/letter-notice/description",
        "Template `letter-notice`: description changed from nothing to Notice of arrears.",
    ),
    ("template.removed", "templates/letter-old", "Template `letter-old` removed."),
    ("template.wording", "templates/sms-early/en-US", "Template `sms-early` (en-US): wording changed in 1 place."),
    ("template.wording", "templates/sms-early/zh-CN", "Template `sms-early` (zh-CN): wording changed in 1 place."),
    ("template.added", "templates/sms-late", "New template `sms-late` (sms) in en-US, zh-CN."),
    (
        "template-file.wording",
        "template-files/_footer.j2",
        "Template file `templates/_footer.j2`: wording changed in 1 place.",
    ),
    ("template-file.added", "template-files/_new.j2", "New template file `templates/_new.j2`."),
    ("template-file.removed", "template-files/_old.j2", "Template file `templates/_old.j2` removed."),
]


def _diff(root: Path, base: str | None, head: str | None) -> tuple[Change, ...]:
    with open_revision(root, base) as old, open_revision(root, head) as new:
        return semantic_diff(old, new)


def test_every_kind_of_change_is_found_and_described(policy_git: Path) -> None:
    changes = _diff(policy_git, "base", "main")
    assert [(c.kind, c.path, c.summary) for c in changes] == EXPECTED


def test_changes_point_at_their_yaml_lines(policy_git: Path) -> None:
    by_path = {c.path: c for c in _diff(policy_git, "base", "main")}
    # Changed and added elements point into the head revision, removed ones into the base.
    assert (str(by_path["tiers/early/dpd"].source), by_path["tiers/early/dpd"].side) == (
        "policies/policy.yaml:29:5",
        "head",
    )
    removed = by_path["strategies/early/steps/email@14"]
    assert (str(removed.source), removed.side) == ("policies/policy.yaml:52:9", "base")
    moved = by_path["strategies/early/steps/letter@20/day"]
    assert (moved.before, moved.after, str(moved.source)) == (21, 20, "policies/policy.yaml:58:9")
    assert str(by_path["caps/one-touch-a-day"].source) == "policies/policy.yaml:114:5"


def test_law_changes_are_marked(policy_git: Path) -> None:
    law = [c.path for c in _diff(policy_git, "base", "main") if c.law]
    assert law == [
        "jurisdictions/CN/packs/cn-extra",
        "jurisdictions/US-MA/packs/us-ma",
        "jurisdictions/US-MA/tighten/us-regf.call-frequency/max",
        "jurisdictions/US/tighten/us-regf.call-frequency/max",
    ]


def test_wording_diff_is_per_word_and_per_cjk_character(policy_git: Path) -> None:
    by_path = {c.path: c for c in _diff(policy_git, "base", "main")}
    assert by_path["templates/sms-early/en-US"].detail == (
        "line 1: …ney }} is overdue. Please pay [-today-]{+this week+}. Reply STOP to opt out."
    )
    assert by_path["templates/sms-early/zh-CN"].detail == (
        "line 1: …ny.sms_signature }}】您好，您的账单已逾期{+三天+}，请[-尽快-]{+及时+}还款。退订回T"
    )
    assert str(by_path["templates/sms-early/zh-CN"].source) == "templates/sms/sms-early.zh-CN.j2:1:1"


def test_reverse_diff_swaps_added_and_removed(policy_git: Path) -> None:
    kinds = {(c.kind, c.path) for c in _diff(policy_git, "main", "base")}
    assert ("tier.removed", "tiers/write-off") in kinds
    assert ("step.added", "strategies/early/steps/email@14") in kinds
    assert ("step.moved", "strategies/early/steps/letter@21/day") in kinds


def test_working_tree_is_the_default_head(policy_git: Path) -> None:
    (policy_git / "policies" / "policy.yaml").write_text(
        (policy_git / "policies" / "policy.yaml")
        .read_text()
        .replace("max: 3\n    per_days: 7\n  - id: texts", "max: 2\n    per_days: 7\n  - id: texts"),
        encoding="utf-8",
    )
    changes = _diff(policy_git, "main", None)
    assert [(c.kind, c.summary) for c in changes] == [
        ("cap.changed", "Cap `calls-per-week`: maximum contacts changed from 3 to 2.")
    ]


def test_bundled_example_against_itself_has_no_changes(example_root: Path, tmp_path: Path) -> None:
    # Through git too: the example committed, then compared with its own working tree.
    for folder in ("policies", "templates"):
        shutil.copytree(example_root / folder, tmp_path / folder)
    git(tmp_path, "init", "-q", "-b", "main")
    commit_all(tmp_path, "example")
    assert _diff(tmp_path, "HEAD", None) == ()
    assert _diff(example_root, None, None) == ()


def test_policy_in_a_subfolder_of_the_git_repository(tmp_path: Path, policy_git: Path) -> None:
    # The policy root need not be the top of the git work tree.
    outer = tmp_path / "outer"
    (outer / "collections").mkdir(parents=True)
    for folder in ("policies", "templates"):
        shutil.copytree(policy_git / folder, outer / "collections" / folder)
    git(outer, "init", "-q", "-b", "main")
    commit_all(outer, "policy in a subfolder")
    assert _diff(outer / "collections", "HEAD", None) == ()


def test_reordered_arms_are_a_change(example_copy: Path) -> None:
    # Arms take consecutive slices of the hash range in file order, so the order matters.
    git(example_copy, "init", "-q", "-b", "main")
    commit_all(example_copy, "example")
    experiments = example_copy / "policies" / "experiments.yaml"
    text = experiments.read_text(encoding="utf-8")
    champion = "      - id: champion\n        share: 80\n"
    assert champion in text
    experiments.write_text(text.replace(champion, "") + champion, encoding="utf-8")
    changes = _diff(example_copy, "HEAD", None)
    assert [(c.kind, c.summary) for c in changes] == [
        (
            "arm.reordered",
            "Experiment `early-empathy`: arms reordered to challenger, champion (was champion, challenger); "
            "accounts change arm.",
        )
    ]
