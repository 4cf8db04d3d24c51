"""``mkdocs.yml`` for the generated handbook: Material with search (English and Chinese), the
handbook's own fonts (no web-font fetch), and validation strict enough that a broken link or
anchor fails the build."""

from __future__ import annotations

from typing import Any

import yaml

from dunning.handbook.context import Page

SEARCH_SEPARATOR = r'[\s\u200b\-_,:!=\[\]()"`/]+|\.(?!\d)|&[lg]t;|(?=[A-Z][a-z])'
VALIDATION = {
    "nav": {"omitted_files": "warn", "not_found": "warn", "absolute_links": "warn"},
    "links": {"not_found": "warn", "anchors": "warn", "absolute_links": "warn", "unrecognized_links": "warn"},
}
MARKDOWN_EXTENSIONS: list[Any] = [
    "tables",
    "def_list",
    "attr_list",
    "md_in_html",
    "admonition",
    {"toc": {"permalink": True}},
    "pymdownx.superfences",
]
GENERATED_ORDER = (
    ("Overview", "index.md"),
    ("Tiers", "tiers.md"),
    ("Strategies", "strategies.md"),
    ("Timetables", "timetables.md"),
    ("Templates", "templates.md"),
    ("Offers and exclusions", "offers-and-exclusions.md"),
    ("Compliance", "compliance.md"),
    ("Rule catalogue", "rules.md"),
    ("Review", "review.md"),
    ("Change history", "history.md"),
)


def nav(pages: list[Page], guide: list[Page]) -> list[Any]:
    """Generated pages in reading order, the template gallery and source copies in sections,
    then the hand-written guide pages (sorted by path).

    The gallery pages (reached from the Templates page) and the numbered source copies (reached
    through the "source" links) stay out of the nav: every page carries the whole nav, so
    listing one entry per template would make the site grow with the square of the templates.
    """
    by_path = {p.path: p for p in pages}
    out: list[Any] = [{title: path} for title, path in GENERATED_ORDER if path in by_path]
    if guide:
        out.append({"Guide": [{g.title: g.path} for g in sorted(guide, key=lambda g: g.path)]})
    return out


def mkdocs_yaml(site_name: str, pages: list[Page], guide: list[Page], language: str = "en") -> str:
    """The text of ``mkdocs.yml`` (keys in a fixed order, so the same policy gives the same file)."""
    config: dict[str, Any] = {
        "site_name": site_name,
        "docs_dir": "docs",
        "use_directory_urls": False,  # the handbook also works opened from disk
        "strict": True,
        "theme": {
            "name": "material",
            "language": language,
            "font": False,
            "features": ["navigation.sections", "navigation.top", "search.highlight", "search.suggest", "toc.follow"],
            "palette": {"primary": "indigo", "accent": "amber"},
        },
        "extra_css": ["assets/handbook.css"],
        "plugins": [{"search": {"lang": ["en", "zh"], "separator": SEARCH_SEPARATOR}}],
        "markdown_extensions": MARKDOWN_EXTENSIONS,
        "validation": VALIDATION,
        "not_in_nav": "/source/\n/gallery/\n",
        "nav": nav(pages, guide),
    }
    # ``repo_url`` stays unset even when known: Material would then fetch the repository's stars
    # and forks from the host's API in every reader's browser. The source links carry the URL.
    return yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=1000)
