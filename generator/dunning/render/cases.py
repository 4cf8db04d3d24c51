"""Case files for the accounts a person handles: ``messages/cases/<account>.html`` and ``.json``.

A field visitor, a legal reviewer and an agency need the customer's file, not only their
sheet, case or placement row. For every account whose plan holds a human step (a visit,
a legal review or an agency placement) that is scheduled or deferred — the ones handed to a
person — ``build`` writes that account's file in the same two forms as
``dunning case --format html|json``, with the same bytes (the same function,
:func:`dunning.plan.casefile.case_file`, on the same row, history and horizon). The visit
sheet and the legal case carry a relative link to it, the agency CSV its relative path
(:func:`case_link`).

Their rows are picked out of the snapshot by render's own read of it (a chunk at a time,
before validation: the whole snapshot is neither read nor validated twice), and one planner
serves every file. From :data:`BESIDE_FROM` accounts on, with more than one process, the files
are written by a spawned process beside render's chunks. Files are written owner-only, as
every message (:func:`files.write_bytes`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dunning.accounts.model import Account
from dunning.policy.model import Policy
from dunning.render.files import file_stem, write_bytes

if TYPE_CHECKING:
    import polars as pl

HUMAN_CHANNELS = frozenset({"visit", "legal_review", "agency"})
RENDERABLE = frozenset({"scheduled", "deferred"})
# The cases are written by a process of their own beside render's chunks from this many
# accounts on (its start, ≈ 1 s of CPU to import and compile the policy, is ≈ 150 case files'
# work); fewer are written by render's parent after the chunks, as before.
BESIDE_FROM = 150
CASES = "cases"  # the folder under messages/
FORMS = ("html", "json")


@dataclass(frozen=True)
class CaseRequest:
    """What the case files are made from besides the plan: the run's date, history and horizon
    (``build`` knows them; ``dunning render`` alone does not, and writes no case files)."""

    as_of: date
    history: Path | None
    horizon: int


def needs_case_file(plan: Mapping[str, Any]) -> bool:
    """Whether a plan line hands its account to a person: a visit, a legal review or an agency
    placement that is scheduled or deferred."""
    return any(
        action.get("channel") in HUMAN_CHANNELS and action.get("status") in RENDERABLE
        for action in plan.get("actions", ())
    )


def case_file_name(account_id: str, form: str = "html") -> str:
    """The case file's path under ``messages/`` (a safe file name, as every message file's)."""
    return f"{CASES}/{file_stem(account_id)}.{form}"


def case_link(account_id: str) -> str:
    """The HTML case file as a link relative to a file one folder below ``messages/`` (a visit
    sheet, a legal case, an agency CSV: all sit one folder below ``messages/``)."""
    return f"../{case_file_name(account_id)}"


def _accounts(
    path: Path, wanted: frozenset[str], policy: Policy, frames: list[pl.DataFrame] | None = None
) -> dict[str, Account]:
    """The wanted accounts as ``plan`` and ``dunning case`` read them (first row of an id):
    from ``frames`` when render's read of the snapshot kept their rows (as the snapshot gave
    them, see :func:`dunning.render.account_rows.read_account_rows`), else read again."""
    import polars as pl

    from dunning.accounts.read import validate_frame
    from dunning.accounts.source import AccountFile

    found: dict[str, Account] = {}
    ids = pl.Series("account_id", sorted(wanted), dtype=pl.Utf8).implode()
    chunks = frames if frames is not None else (frame for frame, _ in AccountFile(path).frames())
    for frame in chunks:
        kept = frame.filter(pl.col("account_id").str.strip_chars().is_in(ids))
        if kept.height:
            for account in validate_frame(kept, frozenset(policy.jurisdictions)).accounts:
                found.setdefault(account.account_id, account)
    return found


def write_case_files(
    out_root: Path,
    policy: Policy,
    accounts_path: Path,
    account_ids: Iterable[str],
    request: CaseRequest,
    frames: list[pl.DataFrame] | None = None,
) -> list[tuple[str, str]]:
    """Write the case files of ``account_ids`` under ``out_root/messages/cases/``; returns
    ``(path relative to out_root, sha256)`` of each file written, in account order.
    ``frames``: those accounts' rows as the snapshot gave them (else it is read again)."""
    wanted = frozenset(account_ids)
    if not wanted:
        return []
    from dunning.accounts.history import read_history
    from dunning.plan.casefile import as_html, as_json, case_file
    from dunning.plan.decide import Planner

    accounts = _accounts(accounts_path, wanted, policy, frames)
    history = read_history(request.history)
    tracks_sent = history.tracks_sent  # a walk over every event: once, not once a file
    planner = Planner(policy, request.as_of, request.horizon, tracks_sent=tracks_sent)
    written = []
    for account_id in sorted(accounts):
        case = case_file(
            policy,
            accounts[account_id],
            history.get(account_id),
            request.as_of,
            horizon=request.horizon,
            held=account_id in history.held,
            tracks_sent=tracks_sent,
            planner=planner,
        )
        for form, writer in (("html", as_html), ("json", as_json)):
            relative = f"messages/{case_file_name(account_id, form)}"
            written.append(write_bytes(out_root, relative, writer(case).encode("utf-8")))
    return written


def write_case_files_beside(
    out_root: Path,
    policy_root: Path,
    accounts_path: Path,
    account_ids: list[str],
    request: CaseRequest,
    frames: list[pl.DataFrame],
) -> list[tuple[str, str]]:
    """:func:`write_case_files` in a spawned process (:class:`dunning.workers.Beside`), which
    compiles the policy again from ``policy_root``: a compiled policy cannot be pickled."""
    from dunning.policy import require_policy

    return write_case_files(out_root, require_policy(policy_root), accounts_path, account_ids, request, frames)
