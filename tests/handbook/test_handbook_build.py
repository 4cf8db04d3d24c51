"""`mkdocs build --strict` of the example, reproducibility, broken links, git revision and history,
source links to the repository, and the serve watcher."""

from __future__ import annotations

import gc
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from dunning.errors import UserError
from dunning.handbook import build as build_module
from dunning.handbook import build_handbook, generate, gitinfo
from dunning.handbook.serve import PolicyWatcher
from dunning.policy import require_policy

from .handbook_support import AS_OF, copy_example

PAGES = (
    "index.html",
    "tiers.html",
    "strategies.html",
    "timetables.html",
    "templates.html",
    "offers-and-exclusions.html",
    "compliance.html",
    "rules.html",
    "gallery/sms-reminder.html",
    "gallery/visit-sheet.html",
    "source/policies/tiers.yaml.html",
    "source/packs/cn.yaml.html",
    "guide/reading-the-handbook.html",
    "guide/glossary.html",
    "search/search_index.json",
)


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_strict_build_of_the_example(built_site: Path) -> None:
    for page in PAGES:
        assert (built_site / page).is_file(), page
    tiers = (built_site / "tiers.html").read_text(encoding="utf-8")
    assert "<td>Serious arrears</td>" in tiers
    assert 'href="source/policies/tiers.yaml.html#L20"' in tiers
    source = (built_site / "source/policies/tiers.yaml.html").read_text(encoding="utf-8")
    assert 'id="L20"' in source
    config = (built_site.parent / "handbook-src" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "anchors: warn" in config and "strict: true" in config and "font: false" in config
    # no web fonts: nothing is fetched from a font service
    assert "fonts.googleapis" not in (built_site / "index.html").read_text(encoding="utf-8")
    # no history page outside git
    assert not (built_site / "history.html").exists()


def test_same_policy_same_bytes(example_policy_root: Path, built_site: Path, tmp_path: Path) -> None:
    again = build_handbook(require_policy(example_policy_root), example_policy_root, tmp_path, AS_OF)
    assert files(again) == files(built_site)


def test_broken_link_in_a_hand_written_page_fails_the_build(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    (root / "site" / "guide" / "broken.md").write_text("# Broken\n\nSee [tiers](../tiers.md#no-such-anchor).\n")
    with pytest.raises(UserError) as caught:
        build_handbook(require_policy(root), root, tmp_path / "out", AS_OF)
    assert "no-such-anchor" in caught.value.message


def test_hand_written_page_may_not_shadow_a_generated_one(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    (root / "site" / "tiers.md").write_text("# Mine\n")
    with pytest.raises(UserError) as caught:
        generate(require_policy(root), root, tmp_path / "out", AS_OF)
    assert caught.value.message == "site/tiers.md has the name of a generated handbook page"


def _git(root: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Policy Owner",
        "GIT_AUTHOR_EMAIL": "owner@example.com",
        "GIT_COMMITTER_NAME": "Policy Owner",
        "GIT_COMMITTER_EMAIL": "owner@example.com",
        "GIT_AUTHOR_DATE": "2026-11-20T10:00:00+08:00",
        "GIT_COMMITTER_DATE": "2026-11-20T10:00:00+08:00",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def test_revision_history_and_repository_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_example(tmp_path / "repo")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "policies", "templates", "site")
    _git(root, "commit", "-q", "-m", "First policy")
    tiers = root / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("Friendly reminder", "Gentle reminder"))
    _git(root, "commit", "-q", "-am", "Rename the first tier")
    _git(root, "remote", "add", "origin", "git@github.com:acme/collections-policy.git")
    head = _git(root, "rev-parse", "HEAD")

    src = generate(require_policy(root), root, tmp_path / "out", date(2026, 11, 28))
    docs = src / "docs"
    overview = (docs / "index.md").read_text(encoding="utf-8")
    assert f"| **Policy revision** | `{head[:12]}` |" in overview
    history = (docs / "history.md").read_text(encoding="utf-8")
    lines = [line for line in history.splitlines() if line.startswith("| 2026")]
    assert lines[0].startswith(
        "| 2026-11-20T10:00:00+08:00 | Policy Owner | Rename the first tier | `policies/tiers.yaml` |"
    )
    assert "| First policy |" in lines[1]
    assert len(lines) == 2
    tiers_md = (docs / "tiers.md").read_text(encoding="utf-8")
    assert f"(https://github.com/acme/collections-policy/blob/{head}/policies/tiers.yaml#L5)" in tiers_md
    assert "(https://github.com/acme/collections-policy/edit/main/policies/tiers.yaml)" in tiers_md
    # no repo_url for Material: it would call the host's API from every reader's browser
    assert "repo_url" not in (src / "mkdocs.yml").read_text(encoding="utf-8")

    tiers.write_text(tiers.read_text(encoding="utf-8") + "\n# an uncommitted note\n")
    asked: list[str] = []
    real = gitinfo._git

    def counted(where: Path, *args: str) -> str | None:
        asked.append(" ".join(args[:2]))
        return real(where, *args)

    monkeypatch.setattr(gitinfo, "_git", counted)
    dirty = generate(require_policy(root), root, tmp_path / "out2", date(2026, 11, 28))
    assert f"`{head[:12]} (dirty: uncommitted changes)`" in (dirty / "docs" / "index.md").read_text(encoding="utf-8")
    # the revision asked of git once a build: the history page reuses it
    assert asked == [
        "rev-parse HEAD",
        "rev-parse --show-toplevel",
        "status --porcelain",
        "symbolic-ref --quiet",
        "remote get-url",
        "log --max-count=500",
    ]


def test_watcher_regenerates_pages_when_a_policy_file_changes(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    src = generate(require_policy(root), root, tmp_path / "out", AS_OF)
    strategies_before = (src / "docs" / "strategies.md").stat().st_mtime_ns
    messages: list[str] = []
    watcher = PolicyWatcher(root, src, AS_OF, None, echo=messages.append)
    assert watcher.poll() is False
    tiers = root / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8").replace("Serious arrears", "Late arrears"))
    assert watcher.poll() is True
    assert "| 4 | `late` | Late arrears |" in (src / "docs" / "tiers.md").read_text(encoding="utf-8")
    assert watcher.regenerations == 1
    # pages whose text did not change are not rewritten (no needless reloads)
    assert (src / "docs" / "strategies.md").stat().st_mtime_ns == strategies_before
    # a broken policy keeps the last good pages and says why
    tiers.write_text("tiers: [\n")
    assert watcher.poll() is True
    assert watcher.regenerations == 1
    assert "Late arrears" in (src / "docs" / "tiers.md").read_text(encoding="utf-8")
    assert any("still serving the last good version" in m for m in messages)


def test_a_policy_without_offers_exclusions_caps_or_experiments_builds(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "repo")
    shutil.rmtree(root / "site")
    for name in ("experiments.yaml", "offers.yaml", "contact-rules.yaml"):
        (root / "policies" / name).unlink()
    strategies = root / "policies" / "strategies.yaml"
    text = strategies.read_text(encoding="utf-8")
    strategies.write_text(text[: text.index("  early-empathetic:")], encoding="utf-8")
    site = build_handbook(require_policy(root), root, tmp_path / "out", AS_OF)
    page = (site.parent / "handbook-src" / "docs" / "offers-and-exclusions.md").read_text(encoding="utf-8")
    assert "The policy makes no offers." in page
    assert "The policy adds no exclusions of its own." in page
    assert "No experiments are running." in (site.parent / "handbook-src" / "docs" / "strategies.md").read_text(
        encoding="utf-8"
    )
    assert not (site / "guide").exists()


def test_the_collector_is_put_back_after_a_build(
    example_policy_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[tuple[int, int, int], int]] = []
    real = build_module.mkdocs_build

    def watched(src: Path, site: Path, as_of: date) -> None:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        real(src, site, as_of)

    monkeypatch.setattr(build_module, "mkdocs_build", watched)
    gc.unfreeze()  # whatever an earlier test of this process may have frozen
    before = gc.get_threshold()
    build_handbook(require_policy(example_policy_root), example_policy_root, tmp_path, AS_OF)
    ((threshold, frozen),) = seen
    assert threshold == (build_module.GC_THRESHOLD, before[1], before[2])
    assert frozen > 0  # what the process held when the build started
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_caller_that_froze_objects_keeps_them_frozen() -> None:
    gc.freeze()
    try:
        frozen, before = gc.get_freeze_count(), gc.get_threshold()
        with build_module.fewer_collections():
            assert gc.get_threshold()[0] == build_module.GC_THRESHOLD
        assert gc.get_freeze_count() >= frozen  # not unfrozen by the build
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()
