"""Tracking and evaluation: what the policy achieved in a period (`dunning report`).

Reads the contact history, the start snapshot (who was in which tier, strategy and arm) and
optionally the end snapshot (who cured or rolled); counts columnar; writes Markdown, JSON or
HTML. The handbook's Results page shows the same numbers with small groups suppressed.
"""

from dunning.results.report import ReportRequest, compute
from dunning.results.writers import WRITERS

__all__ = ["WRITERS", "ReportRequest", "compute"]
