"""``dunning diff`` as a function: open both revisions, diff them, measure, judge ``--fail-on``."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date
from pathlib import Path

from dunning.review.failon import FailCondition
from dunning.review.report import DiffReport, Side, Verdict
from dunning.review.revision import open_revision
from dunning.review.semantic import semantic_diff


def run_diff(
    stack: ExitStack,
    path: Path,
    base_ref: str,
    head_ref: str | None,
    accounts: Path | None = None,
    as_of: date | None = None,
    history: Path | None = None,
    conditions: tuple[FailCondition, ...] = (),
    examples: int = 5,
    horizon: int = 0,
    jobs: int | None = None,
) -> DiffReport:
    """The full report. Scratch copies of the revisions live as long as ``stack``."""
    base = stack.enter_context(open_revision(path, base_ref))
    head = stack.enter_context(open_revision(path, head_ref))
    changes = semantic_diff(base, head)
    impact = None
    if accounts is not None and as_of is not None:
        from dunning.review.impact import measure_impact

        impact = measure_impact(base, head, changes, accounts, as_of, history, examples, horizon, jobs)
    report = DiffReport(
        Side(base.label, base.commit, base.prefix), Side(head.label, head.commit, head.prefix), changes, impact
    )
    metrics = report.metrics()
    accounts_compared = impact.accounts_compared if impact is not None else 0
    verdicts = []
    for cond in conditions:
        holds, measured = cond.holds(metrics, accounts_compared)
        verdicts.append(Verdict(cond, measured, holds))
    return DiffReport(report.base, report.head, changes, impact, tuple(verdicts))


__all__ = ["run_diff"]
