"""Case files for the accounts a person handles: ``messages/cases/<account>.html`` and ``.json``.

A field visitor, a legal reviewer and an agency need the customer's file, not only their
sheet, case or placement row. For every account whose plan holds a human step (a visit,
a legal review or an agency placement) that is scheduled or deferred — the ones handed to a
person — ``build`` writes that account's file in the same two forms as
``dunning case --format html|json``, with the same bytes (the same function,
:func:`dunning.plan.casefile.case_file`, on the same row, history and horizon). The visit
sheet and the legal case carry a relative link to it, the agency CSV its relative path
(:func:`case_link`).

Only those accounts are read again: their rows are picked from the snapshot a chunk at a
time before validation (the whole snapshot is not validated twice), and one planner serves
every file. Files are written owner-only, as every message (:func:`files.write_bytes`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dunning.accounts.model import Account
from dunning.policy.model import Policy
from dunning.render.files import file_stem, write_bytes

if TYPE_CHECKING:
    import polars as pl

    from dunning.render.account_rows import RawRows

HUMAN_CHANNELS = frozenset({"visit", "legal_review", "agency"})
CASES = "cases"  # the folder under messages/
FORMS = ("html", "json")


@dataclass(frozen=True)
class CaseRequest:
    """What the case files are made from besides the plan: the run's date, history and horizon
    (``build`` knows them; ``dunning render`` alone does not, and writes no case files)."""

    as_of: date
    history: Path | None
    horizon: int


def case_file_name(account_id: str, form: str = "html") -> str:
    """The case file's path under ``messages/`` (a safe file name, as every message file's)."""
    return f"{CASES}/{file_stem(account_id)}.{form}"


def case_link(account_id: str) -> str:
    """The HTML case file as a link relative to a file one folder below ``messages/`` (a visit
    sheet, a legal case, an agency CSV: all sit one folder below ``messages/``)."""
    return f"../{case_file_name(account_id)}"


def _validated(frames: Iterable[pl.DataFrame], wanted: frozenset[str], policy: Policy) -> dict[str, Account]:
    """The wanted accounts of ``frames`` (the snapshot's, in file order, as
    :meth:`AccountFile.frames` gives them) as ``plan`` and ``dunning case`` read them (first
    row of an id). Validation is row by row: which frame holds a row does not matter."""
    import polars as pl

    from dunning.accounts.read import validate_frame

    found: dict[str, Account] = {}
    ids = pl.Series("account_id", sorted(wanted), dtype=pl.Utf8).implode()
    for frame in frames:
        kept = frame.filter(pl.col("account_id").str.strip_chars().is_in(ids))
        if kept.height:
            for account in validate_frame(kept, frozenset(policy.jurisdictions)).accounts:
                found.setdefault(account.account_id, account)
    return found


def _accounts(path: Path, wanted: frozenset[str], policy: Policy) -> dict[str, Account]:
    """The wanted accounts read from the snapshot (first row of an id)."""
    from dunning.accounts.source import AccountFile

    return _validated((frame for frame, _ in AccountFile(path).frames()), wanted, policy)


def read_accounts(path: Path, wanted: frozenset[str], policy: Policy) -> dict[str, Account]:
    """The accounts of ``wanted`` read from the snapshot at ``path`` (first valid row of an id)."""
    return _accounts(path, wanted, policy)


def human_step_candidate(line: bytes) -> bool:
    """Whether a plan line with something to render may hold a human step (a superset: each
    human channel's name as a JSON string): render keeps such accounts' snapshot rows as it
    reads them (:class:`RawRows`), for their case files."""
    return any(name in line for name in _HUMAN_NAMES)


_HUMAN_NAMES = tuple(f'"{channel}"'.encode() for channel in sorted(HUMAN_CHANNELS))


def write_case_files(
    out_root: Path,
    policy: Policy,
    accounts_path: Path,
    account_ids: Iterable[str],
    request: CaseRequest,
    raw: RawRows | None = None,
) -> list[tuple[str, str]]:
    """Write the case files of ``account_ids`` under ``out_root/messages/cases/``; returns
    ``(path relative to out_root, sha256)`` of each file written, in account order.

    ``raw``: the rows render kept of some accounts as it read the snapshot (a superset of
    the accounts with a human step, :func:`human_step_candidate`); the snapshot is read
    again only for an account outside ``raw.ids`` (never, when plans.jsonl is dunning's)."""
    wanted = frozenset(account_ids)
    if not wanted:
        return []
    accounts: dict[str, Account] = {}
    missing = wanted
    if raw is not None:
        accounts = _validated(raw.frames, wanted & raw.ids, policy)
        missing = wanted - raw.ids
    if missing:
        accounts.update(_accounts(accounts_path, missing, policy))
    return CaseWriter(out_root, policy, request).write(accounts)


class CaseWriter:
    """Writes case files: the history read once, one planner for every file."""

    def __init__(self, out_root: Path, policy: Policy, request: CaseRequest) -> None:
        from dunning.accounts.history.staging import read_history
        from dunning.plan.decide import Planner

        self.out_root, self.policy, self.request = out_root, policy, request
        self.history = read_history(request.history)
        self.tracks_sent = self.history.tracks_sent  # a walk over every event: once, not once a file
        self.planner = Planner(policy, request.as_of, request.horizon, tracks_sent=self.tracks_sent)

    def write(self, accounts: dict[str, Account]) -> list[tuple[str, str]]:
        """The case files of ``accounts`` in account order: ``(relative path, sha256)`` each."""
        from dunning.plan.casefile import as_html, as_json, case_file

        request, history = self.request, self.history
        written = []
        for account_id in sorted(accounts):
            case = case_file(
                self.policy,
                accounts[account_id],
                history.get(account_id),
                request.as_of,
                horizon=request.horizon,
                held=account_id in history.held,
                tracks_sent=self.tracks_sent,
                planner=self.planner,
            )
            for form, writer in (("html", as_html), ("json", as_json)):
                relative = f"messages/{case_file_name(account_id, form)}"
                written.append(write_bytes(self.out_root, relative, writer(case).encode("utf-8")))
        return written
