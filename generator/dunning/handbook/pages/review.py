"""The review page: what ``dunning validate`` says about this policy — the open notes and
warnings, and the findings the policy owners acknowledged, each reason once with the places
it covers. Reviewers see the judgement calls without running the tool."""

from __future__ import annotations

from dunning.acknowledge import grouped
from dunning.handbook.context import HandbookContext, Page
from dunning.handbook.markdown import table, text
from dunning.policy.model import Source
from dunning.problems import Problem

PATH = "review.md"


def _place(ctx: HandbookContext, file: str, line: int, col: int = 1) -> str:
    if file in ctx.policy.files and line > 0:
        return ctx.link(Source(file, line, col), PATH)
    return text(f"{file}:{line}" if line > 0 else file)


def _finding(ctx: HandbookContext, problem: Problem) -> str:
    return _place(ctx, problem.file, problem.line, problem.col)


def pages(ctx: HandbookContext) -> list[Page]:
    """The review page."""
    from dunning.validate import validation

    result = ctx.found if ctx.found is not None else validation(ctx.root)
    out = ["# Review\n"]
    out.append(
        "What `dunning validate` reports for this policy. Acknowledged findings were looked at and "
        "accepted by the policy owners, with the reason written in the policy (an "
        "`acknowledgements` entry or a `# dunning: ignore[CODE] reason` comment); they never fail "
        "`--strict`. Codes are explained in the [rule catalogue](rules.md).\n"
    )
    out.append("## Open findings\n")
    if result.problems:
        rows = [
            [_finding(ctx, p), text(p.level.value), f"[{text(p.code)}](rules.md#{p.code.lower()})", text(p.message)]
            for p in result.problems
        ]
        out.append(table(["Where", "Level", "Code", "Finding"], rows))
    else:
        out.append("None: every finding is acknowledged below, or there is none.\n")
    out.append("\n## Acknowledged\n")
    if result.acknowledged:
        rows = []
        for code, reason, where, found in grouped(result.acknowledged):
            file, line = where.rsplit(":", 1)
            link = f"[{text(code)}](rules.md#{code.lower()})"
            rows.append([link, text(reason), _place(ctx, file, int(line)), str(len(found))])
        out.append(table(["Code", "Reason", "Acknowledged at", "Findings"], rows))
        out.append("\nThe acknowledged findings:\n")
        rows = [[_finding(ctx, a.problem), text(a.problem.code), text(a.problem.message)] for a in result.acknowledged]
        out.append(table(["Where", "Code", "Finding"], rows))
    else:
        out.append("None.\n")
    return [Page(PATH, "Review", "\n".join(out))]
