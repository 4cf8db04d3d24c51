"""Compiled policy → Markdown pages and ``mkdocs.yml`` in a build folder (never in ``site/``).

This is the whole generator; it does not use MkDocs's plugin API (MkDocs 2 drops plugins), so
MkDocs is only asked to turn a finished folder of Markdown into HTML.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from dunning.errors import UserError
from dunning.handbook.config import mkdocs_yaml
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.pages import (
    compliance,
    gallery,
    history,
    offers,
    overview,
    review,
    rules,
    strategies,
    tiers,
    timetables,
)
from dunning.handbook.sources import pages as source_pages
from dunning.load.repository import files_under

ASSETS = Path(__file__).with_name("assets")
GUIDE_DIR = "site"  # hand-written pages in the policy repository
DOCS = "docs"
PageBuilder = Callable[[HandbookContext], list[Page]]
BUILDERS: tuple[PageBuilder, ...] = (
    overview.pages,
    tiers.pages,
    strategies.pages,
    timetables.pages,
    gallery.pages,
    offers.pages,
    compliance.pages,
    rules.pages,
    review.pages,
    history.pages,
)


def generated_pages(ctx: HandbookContext) -> list[Page]:
    """Every generated page, sorted by path."""
    pages: list[Page] = []
    for build in BUILDERS:
        pages.extend(build(ctx))
    pages.extend(source_pages(ctx, list(ctx.policy.files)))
    seen: set[str] = set()
    for page in pages:
        if page.path in seen:  # pragma: no cover - a programming error
            raise RuntimeError(f"two generated pages share {page.path}")
        seen.add(page.path)
    return sorted(pages, key=lambda p: p.path)


def guide_pages(root: Path) -> tuple[list[Page], list[Path]]:
    """Hand-written Markdown pages under ``site/`` and the other files there (images, CSS)."""
    base = root / GUIDE_DIR
    files = files_under(root, GUIDE_DIR)
    if files.outside:
        rel = files.outside[0].relative_to(root).as_posix()
        raise UserError(
            f"{rel} resolves outside the repository (a symlink out of it); the handbook publishes "
            "only files inside the repository",
            "replace the symlink with the file itself, or delete it",
        )
    pages, others = [], []
    for path in files.inside:
        rel = path.relative_to(base).as_posix()
        if path.suffix == ".md":
            body = path.read_text(encoding="utf-8")
            title = next((ln[2:].strip() for ln in body.splitlines() if ln.startswith("# ")), path.stem)
            pages.append(Page(rel, title, body))
        else:
            others.append(path)
    return pages, others


def _write(path: Path, content: str | bytes) -> None:
    """Write only when the content changed, so ``serve`` reloads only what really changed."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def write_sources(ctx: HandbookContext, src_dir: Path) -> list[Page]:
    """Write ``src_dir/docs/**.md``, the assets and ``src_dir/mkdocs.yml``; return the pages.

    Files of an earlier generation that are no longer produced are removed.
    """
    pages = generated_pages(ctx)
    guide, guide_files = guide_pages(ctx.root)
    generated = {p.path for p in pages}
    for page in guide:
        if page.path in generated:
            raise UserError(
                f"{GUIDE_DIR}/{page.path} has the name of a generated handbook page",
                f"rename it, or put hand-written pages in a folder such as {GUIDE_DIR}/guide/",
            )
    docs = src_dir / DOCS
    wanted: dict[Path, str | bytes] = {}
    for page in [*pages, *guide]:
        wanted[docs / page.path] = page.body if page.body.endswith("\n") else page.body + "\n"
    for path in guide_files:
        wanted[docs / path.relative_to(ctx.root / GUIDE_DIR)] = path.read_bytes()
    for asset in sorted(ASSETS.iterdir()):
        if asset.is_file():
            wanted[docs / "assets" / asset.name] = asset.read_bytes()
    if docs.is_dir():
        for old in sorted(docs.rglob("*"), reverse=True):
            if old.is_file() and old not in wanted:
                old.unlink()
            elif old.is_dir() and not any(old.iterdir()):
                old.rmdir()
    for path, content in sorted(wanted.items()):
        _write(path, content)
    site_name = f"{ctx.policy.name} — handbook"
    _write(src_dir / "mkdocs.yml", mkdocs_yaml(site_name, pages, guide))
    return pages


def clean(path: Path) -> None:
    """Remove a generated folder (used before a full build)."""
    if path.is_dir():
        shutil.rmtree(path)
