"""Publish stage: the policy handbook, a browsable MkDocs site generated from the compiled policy.

:func:`build_handbook` writes Markdown and ``mkdocs.yml`` into ``OUT/handbook-src`` (never into
the repository's ``site/``, so ``serve`` has no rebuild loop) and builds the site into
``OUT/handbook`` with ``mkdocs build --strict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dunning.handbook.context import HandbookContext, SourceLinks
from dunning.handbook.gitinfo import Revision, revision
from dunning.policy.model import Policy

if TYPE_CHECKING:
    from dunning.validate import Validation

SOURCE_FOLDER = "handbook-src"
SITE_FOLDER = "handbook"


def links_for(rev: Revision | None, repo_url: str | None) -> SourceLinks:
    """Where source links point: ``repo_url`` (or git's ``origin``) at the built commit, else the
    handbook's own numbered copies."""
    url = (repo_url or (rev.remote_url if rev else None) or "").rstrip("/") or None
    if url is None:
        return SourceLinks()
    return SourceLinks(
        repo_url=url,
        ref=rev.commit if rev else None,
        branch=rev.branch if rev else None,
        prefix=rev.prefix if rev else "",
    )


def context_for(
    policy: Policy, repo_root: Path, as_of: date, repo_url: str | None = None, found: Validation | None = None
) -> HandbookContext:
    """Everything the page generators need (``repo_root`` may be any folder inside the repository;
    ``found``: validate's result for this policy, when the caller has it)."""
    from dunning.load.repository import find_root

    repo_root = find_root(repo_root)
    rev = revision(repo_root)
    return HandbookContext(policy, repo_root, as_of, rev, links_for(rev, repo_url), found)


def generate(
    policy: Policy,
    repo_root: Path,
    out_dir: Path,
    as_of: date,
    repo_url: str | None = None,
    found: Validation | None = None,
) -> Path:
    """Write the handbook's Markdown and ``mkdocs.yml`` into ``out_dir/handbook-src``; return that folder."""
    from dunning.handbook.writer import write_sources

    src = out_dir / SOURCE_FOLDER
    write_sources(context_for(policy, repo_root, as_of, repo_url, found), src)
    return src


def add_pages(src: Path, pages: Mapping[str, bytes], nav_title: str) -> None:
    """Add pages made by another stage (``dunning build --forecast-days``: the simulation's
    forecast) to generated sources: files under ``docs/``, each Markdown page in the nav."""
    import yaml

    docs = src / "docs"
    for name, data in sorted(pages.items()):
        target = docs / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    config_path = src / "mkdocs.yml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["nav"].extend({nav_title: name} for name in sorted(pages) if name.endswith(".md"))
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")


def build_handbook(
    policy: Policy,
    repo_root: Path,
    out_dir: Path,
    as_of: date,
    repo_url: str | None = None,
    extra_pages: Mapping[str, bytes] | None = None,
    results_page: bytes | None = None,
    found: Validation | None = None,
) -> Path:
    """Generate and build the handbook; return the built site folder ``out_dir/handbook``.

    ``dunning build`` and ``dunning handbook build`` both call this. ``as_of`` anchors the
    holiday calendar and the build date; nothing reads the clock. ``extra_pages`` (relative
    path → bytes) are added as they are, their Markdown pages under "Forecast" in the nav;
    ``results_page`` (Markdown made by ``dunning.results``) becomes the "Results" page;
    ``found``: validate's result for this policy when the caller has just run it (the review
    page shows it rather than validating again).
    """
    from dunning.handbook.build import fewer_collections, mkdocs_build
    from dunning.handbook.writer import clean

    with fewer_collections():
        src = generate(policy, repo_root, out_dir, as_of, repo_url, found)
        if extra_pages:
            add_pages(src, extra_pages, "Forecast")
        if results_page is not None:
            add_pages(src, {"results.md": results_page}, "Results")
        site = out_dir / SITE_FOLDER
        clean(site)
        mkdocs_build(src, site, as_of)
    return site


__all__ = ["add_pages", "build_handbook", "context_for", "generate"]
