"""Emails filled per decision key (dunning.render.columns.EmailColumns) are render's own bytes:
a build whose planning workers fill them equals, file for file, the build that renders every
email in Python after the plan; the rows a guard refuses (control characters, header
injection, an unreadable due date, a block over MAX_OUTPUT, a plan line not the key's) are
rendered or rejected by the Python path, and each filled row's file is the one render_chunk
writes for its plan line alone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

from dunning.build import BuildRequest, run_build
from dunning.policy import require_policy
from dunning.render import columns
from dunning.render.account_rows import CONTEXT_UNUSED, dropped_columns
from dunning.render.batch import ChunkResult
from dunning.render.fused import FusedRender
from dunning.render.run import make_renderer
from dunning.templating.sandbox import MAX_OUTPUT

from .fused_support import SATURDAY, build, same_trees, tree, variant_accounts

# bench portfolio rows whose one message on Saturday 2026-11-28 is an email: each email
# template, with and without an offer, in both jurisdictions
BENCH_ROWS = Path(__file__).parents[1] / "data" / "emails-bench-rows.csv"
VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("a", {}),
    ("b", {"name": 'Lee, "Al" \\ <Kim> & Co', "overdue_amount": "1234567.89"}),  # quotes, HTML, a big amount
    ("c", {"name": ""}),  # no name: the bare address
    ("d", {"name": "José Müller-Ñúñez"}),  # accented: an encoded display name, a base64 body
    ("e", {"name": "张伟 Zhang"}),  # CJK in an en-US email
    # header injection, a tab: the snapshot's screening makes them spaces before either path
    ("f", {"name": "Eve\r\nBcc: x@evil.example"}),
    ("g", {"name": "Tab\there"}),
    ("h", {"name": "x" * 1000}),  # a line over 998 characters: the body in base64
    ("i", {"name": "y" * (MAX_OUTPUT + 10)}),  # the blocks over MAX_OUTPUT: the Python path's reject
    ("j", {"due_date": "2026-02-29"}),  # no such day: the Python path decides
]
FILLED = "abcdefgh"  # the variants filled per key (where the key's template is filled at all)
REFUSED = "ij"


def _accounts(path: Path) -> Path:
    return variant_accounts(BENCH_ROWS, VARIANTS, path)


def _build(
    monkeypatch: pytest.MonkeyPatch, root: Path, accounts: Path, out: Path, *, jobs: int, fused: bool, fmt: str = "eml"
) -> tuple[list[FusedRender | None], list[str]]:
    """Build (fused or rendering after the plan); the ids whose email was filled per key (in
    this process: with ``jobs`` 1)."""

    def ids(args: tuple[Any, ...], done: list[int]) -> list[str]:
        return [orjson.loads(args[1][n][0])["account_id"] for n in done]

    request = BuildRequest(root, accounts, SATURDAY, out, jobs=jobs, pdf=False, handbook=False, email_format=fmt)
    made, filled, _ = build(
        monkeypatch, request, fused=fused, filler=(columns.EmailColumns, "messages"), filled_ids=ids, chunk_rows=41
    )
    return made, filled


@pytest.mark.parametrize("jobs", [1, 2])
def test_emails_filled_per_key_are_the_python_renders_bytes(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    accounts = _accounts(tmp_path / "accounts.csv")
    made, filled = _build(monkeypatch, example_root, accounts, tmp_path / "fused", jobs=jobs, fused=True)
    assert made[0] is not None and made[0].valid
    _build(monkeypatch, example_root, accounts, tmp_path / "after", jobs=jobs, fused=False)
    after = same_trees(tmp_path / "fused", tmp_path / "after")
    emails = [name for name in after if name.startswith("messages/email/")]
    assert len(emails) >= 150
    rejected = after["messages/render-rejects.csv"].decode()
    assert "-early-" in rejected or "-reminder-" in rejected  # the HTML block over MAX_OUTPUT (i)
    if jobs == 1:  # the per-key path ran in this process: which rows it filled
        assert len(filled) == len(set(filled))
        assert not [account for account in filled if account[-1] in REFUSED]
        for suffix in FILLED:
            assert any(account.endswith(suffix) for account in filled), suffix
        assert len(filled) >= 100
        # a header injected through the name is one cleaned display name, in both builds
        injected = [after[name] for name in emails if "f-" in name.rsplit("/", 1)[1][:12]]
        assert injected and all(b"\r\nBcc:" not in data for data in injected)


def test_mbox_builds_render_every_email_in_python(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path
) -> None:
    """An mbox holds its messages in plan order: its emails are not filled per key (the same
    bytes as before, one process)."""
    accounts = _accounts(tmp_path / "accounts.csv")
    _, filled = _build(monkeypatch, example_root, accounts, tmp_path / "fused", jobs=1, fused=True, fmt="mbox")
    assert filled == []
    _build(monkeypatch, example_root, accounts, tmp_path / "after", jobs=1, fused=False, fmt="mbox")
    assert tree(tmp_path / "fused") == tree(tmp_path / "after")


def test_rows_a_guard_refuses_are_left_to_the_python_path(example_root: Path, tmp_path: Path) -> None:
    """Each guard's row, next to its key's own row: the filled ones' files are the bytes
    render_chunk writes for the plan line alone, the refused ones are not written."""
    accounts = _accounts(tmp_path / "accounts.csv")
    run_build(BuildRequest(example_root, accounts, SATURDAY, tmp_path / "out", jobs=1, pdf=False, handbook=False))
    plans = {}
    for line in (tmp_path / "out" / "plans.jsonl").read_text().splitlines(keepends=True):
        plan = orjson.loads(line)
        actions = [a for a in plan["actions"] if a["status"] in ("scheduled", "deferred")]
        if plan["account_id"][-1] == "a" and [a["channel"] for a in actions] == ["email"]:
            plans[plan["account_id"]] = line
    assert len(plans) >= 20
    frame = pl.read_csv(accounts, infer_schema=False).drop(dropped_columns(CONTEXT_UNUSED), strict=False)
    rows = frame.with_columns(pl.all().str.strip_chars()).filter(pl.col("account_id").is_in(list(plans)))
    changes: dict[str, tuple[dict[str, str], Any]] = {
        "": ({}, None),
        "p": ({"email": ""}, None),  # no address: the Python path's reject
        "q": ({"email": "a@b"}, None),  # not an address this channel writes
        "r": ({"name": "A\x7fB"}, None),  # DEL
        "s": ({}, lambda line: line.replace('"not_before":"2026-11-28T', '"not_before":"2026-11-27T', 1)),
        "t": ({}, lambda line: line.replace('"status":"scheduled"', '"status":"deferred"', 1)),
        "u": ({}, lambda line: re.sub(r'"dpd":(-?[0-9]+)', r'"dpd":\1.0', line, count=1)),  # not plan's form
        "v": ({"itemization_amount": "1e3", "interest_since_itemization": "1", "fees_since_itemization": "1",
               "payments_since_itemization": "1", "credits_since_itemization": "1"}, None),
    }  # fmt: skip
    made, wanted = [], []
    for row in rows.iter_rows(named=True):
        base = row["account_id"]
        for tag, (change, edit) in changes.items():
            account_id = base + tag
            line = plans[base].replace(f'"{base}', f'"{account_id}')
            made.append({**row, **change, "account_id": account_id})
            wanted.append((account_id, edit(line) if edit else line, base))
    kept = pl.DataFrame(made, schema=rows.schema)
    columns_of = tuple(kept.columns)
    row_of = dict(zip(kept.get_column("account_id").to_list(), kept.rows(), strict=True))
    policy = require_policy(example_root)
    renderer = make_renderer(policy, tmp_path / "r", pdf=False, email_format="eml", case_files=False)
    result = ChunkResult()
    items = [(line, row_of[account_id]) for account_id, line, _ in wanted]
    done = columns.EmailColumns(renderer).messages([key for _, _, key in wanted], items, columns_of, result)
    got = {wanted[n][0] for n in done}
    # the keys that are filled at all (email-plan loops over the offer's amounts: Python)
    keys = {base for base, line in plans.items() if '"template":"email-plan"' not in line}
    assert len(keys) >= 15
    # a float's days past due is refused where the template writes them (email-early), and
    # nothing to the reminders, which do not
    reminders = {base + "u" for base in keys if '"template":"email-reminder"' in plans[base]}
    assert reminders and got == keys | reminders
    written = {relative: (tmp_path / "r" / relative).read_bytes() for relative, _ in result.files}
    assert len(written) == len(got)
    for n in done:
        own_dir = tmp_path / "own" / str(n)
        own = make_renderer(policy, own_dir, pdf=False, email_format="eml", case_files=False)
        alone = own.render_chunk([items[n]], columns_of)
        ((relative, _),) = alone.files
        assert written[relative] == (own_dir / relative).read_bytes(), wanted[n][0]
