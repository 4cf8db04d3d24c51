"""Change history: the git log of ``policies/`` and ``templates/``, newest first."""

from __future__ import annotations

from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.gitinfo import HISTORY_LIMIT, Change, history
from dunning.handbook.markdown import code, table, text

PATH = "history.md"


def rows(changes: list[Change]) -> list[list[str]]:
    """One row per commit: date, author, message, files."""
    return [
        [
            text(c.date),
            text(c.author),
            text(c.message),
            "<br>".join(code(f) for f in c.files),
            code(c.commit[:12]),
        ]
        for c in changes
    ]


def pages(ctx: HandbookContext) -> list[Page]:
    """The change-history page; none when the policy is not in git (or has no commits there)."""
    if ctx.revision is None:
        return []
    changes = history(ctx.root, rev=ctx.revision)
    if not changes:
        return []
    out = ["# Change history\n"]
    out.append(
        "Every commit that changed the policy (`policies/`) or its templates (`templates/`), newest "
        f"first (at most {HISTORY_LIMIT}). Built from {code(ctx.revision.label)}.\n\n"
    )
    out.append(table(["Date", "Author", "Message", "Files", "Commit"], rows(changes)))
    return [Page(PATH, "Change history", "\n".join(out))]
