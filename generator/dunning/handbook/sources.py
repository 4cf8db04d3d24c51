"""Numbered copies of the policy and template files, so every "source" link in the handbook
lands on the very line, even when the handbook is read offline without the repository."""

from __future__ import annotations

from pathlib import Path

from dunning.handbook.context import HandbookContext, Page, source_page_path
from dunning.handbook.markdown import escape_html, text
from dunning.load.repository import resolves_inside

# Front matter for Material's search: the numbered copies would drown real results in YAML lines.
NOT_SEARCHED = "---\nsearch:\n  exclude: true\n---\n\n"


def numbered(content: str) -> str:
    """``content`` as a raw HTML block: one line per row, each with an ``L<n>`` anchor."""
    rows = []
    for n, line in enumerate(content.splitlines() or [""], start=1):
        rows.append(
            f'<span class="hb-line" id="L{n}"><a class="hb-lineno" href="#L{n}">{n}</a>{escape_html(line)}</span>'
        )
    # one physical line: Markdown must not see blank lines (or indentation) inside the block
    return '<pre class="hb-source"><code>' + "\n".join(rows).replace("\n", "&#10;") + "</code></pre>\n"


def pages(ctx: HandbookContext, files: list[str]) -> list[Page]:
    """One page per repository file (``policies/…``, ``templates/…``) in ``files``."""
    out = []
    root = Path(ctx.policy.root)
    for rel in sorted(files):
        path = root / rel
        if path.is_symlink() or not resolves_inside(root, path) or not path.is_file():
            continue  # a symlink is never followed (validate reports it)
        content = path.read_text(encoding="utf-8", errors="replace")
        body = f"{NOT_SEARCHED}# {text(rel)}\n\n{numbered(content)}"
        out.append(Page(source_page_path(rel), rel, body))
    return out
