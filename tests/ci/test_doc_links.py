"""The project's own documents link to each other by file and heading (README → docs/, docs
→ docs); a heading renamed or a section moved to another page breaks such a link silently on
GitHub. This checks every relative link of README.md and docs/*.md: the file exists and, for
a Markdown file, the `#anchor` is one of its headings' anchors as GitHub spells them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped (the
    backticks of code too), each space a `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor, outside code fences; a repeated heading gets `-1`, `-2`, …"""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in markdown.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match:
            anchor = github_anchor(match.group(2))
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            found.add(anchor if count == 0 else f"{anchor}-{count}")
    return found


def broken_links(document: Path) -> list[str]:
    """``line: target (why)`` for each relative link of ``document`` that leads nowhere."""
    broken = []
    fenced = False
    for number, line in enumerate(document.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("```"):
            fenced = not fenced
        if fenced:
            continue
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            linked = (document.parent / path) if path else document
            if not linked.exists():
                broken.append(f"{number}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{number}: {target} (no such heading)")
    return broken


def test_github_anchor_drops_punctuation_and_keeps_hyphens_and_underscores() -> None:
    assert github_anchor("Where the data lives (generator/dunning/accounts/location.py)") == (
        "where-the-data-lives-generatordunningaccountslocationpy"
    )
    assert github_anchor("Fill-in templates: laid out once per decision (`templating/fill.py`)") == (
        "fill-in-templates-laid-out-once-per-decision-templatingfillpy"
    )
    assert github_anchor("The workers' memory (measured 2026-12-07)") == "the-workers-memory-measured-2026-12-07"


def test_anchors_count_repeated_headings_and_skip_code_fences() -> None:
    markdown = "# Run\n\n## Run\n\n```sh\n# not a heading\n```\n\n### Tests (`tests/render/`)\n"
    assert anchors(markdown) == {"run", "run-1", "tests-testsrender"}


def test_a_link_to_a_missing_heading_or_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# Alpha\n\n## Beta gamma\n", encoding="utf-8")
    document = tmp_path / "b.md"
    document.write_text(
        "See [a](a.md#beta-gamma), [gone](a.md#delta), [none](c.md) and [site](https://x.org/#y).\n"
        "```\n[in code](nowhere.md)\n```\n[self](#heading)\n",
        encoding="utf-8",
    )
    assert broken_links(document) == [
        "1: a.md#delta (no such heading)",
        "1: c.md (no such file)",
        "5: #heading (no such heading)",
    ]


@pytest.mark.parametrize(
    "document",
    [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
    ids=lambda path: str(path.relative_to(ROOT)),
)
def test_every_relative_link_of_the_projects_documents_leads_somewhere(document: Path) -> None:
    assert broken_links(document) == []
