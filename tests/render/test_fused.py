"""``dunning build`` renders each chunk in the process that planned it (dunning.render.fused):
the same bytes as the build that renders after the plan, and that build whenever the
fused render's order or rows would not be render's (an unsorted snapshot, a rejected row of
an id a later chunk plans)."""

from __future__ import annotations

import csv
import functools
import hashlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

import dunning.build as build_module
import dunning.render.manifest as manifest_module
import dunning.render.run as run_module
from dunning import outdir
from dunning.build import BuildRequest, run_build
from dunning.plan.build import PlanInputs
from dunning.render.fused import FusedRender

AS_OF = date(2026, 11, 30)


def _rows(example_root: Path) -> list[dict[str, str]]:
    with (example_root / "examples" / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _sorted_unique(example_root: Path) -> list[dict[str, str]]:
    """The example's rows sorted by account id, its repeated id's later row left out."""
    seen: set[str] = set()
    rows = []
    for row in _rows(example_root):
        if row["account_id"] not in seen:
            seen.add(row["account_id"])
            rows.append(row)
    return sorted(rows, key=lambda row: row["account_id"])


def _jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _tree(root: Path) -> dict[str, Any]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    tree: dict[str, Any] = {p.relative_to(root).as_posix(): p.read_bytes() for p in files}
    manifest = orjson.loads(tree.pop("manifest.json"))
    # every digest is its file's, those taken as the files were written (plans.jsonl,
    # actions.csv, the messages) or not (the merged plans of an unsorted snapshot)
    assert set(manifest["outputs"]) == set(tree) - {".dunning-output"}
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256(tree[name]).hexdigest() == digest, name
    manifest["policy"].pop("revision")  # others commit to the shared tree meanwhile
    tree["manifest.json"] = manifest
    return tree


def _build(
    monkeypatch: pytest.MonkeyPatch,
    example_root: Path,
    accounts: Path,
    out: Path,
    *,
    jobs: int,
    fused: bool,
    chunk_rows: int = 7,
    max_reject_rate: float = 1.0,
    history: bool = True,
    email_format: str = "eml",
) -> tuple[str, list[FusedRender | None]]:
    """Build; the fused renders it made (none when ``fused`` is off: it renders after the plan)."""
    made: list[FusedRender | None] = []
    real = build_module._fused

    def spy(*args: Any) -> FusedRender | None:
        made.append(real(*args) if fused else None)
        return made[-1]

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "_fused", spy)
        patch.setattr(build_module, "PlanInputs", functools.partial(PlanInputs, chunk_rows=chunk_rows))
        request = BuildRequest(
            example_root, accounts, AS_OF, out, history=example_root / "examples" / "history.csv" if history else None,
            horizon=3,
            jobs=jobs, pdf=False, handbook=False, max_reject_rate=max_reject_rate, email_format=email_format,
        )  # fmt: skip
        result = run_build(request)
    return result.stopped, made


def _fused_equals_after(
    monkeypatch: pytest.MonkeyPatch,
    example_root: Path,
    accounts: Path,
    tmp_path: Path,
    *,
    valid: bool,
    jobs: int,
    history: bool = True,
) -> None:
    """Build with the render in the plan and with it after the plan: the fused render kept
    (``valid``) or discarded for the render after the plan, and the two trees equal."""
    options: dict[str, Any] = {"jobs": jobs, "history": history}
    stopped, made = _build(monkeypatch, example_root, accounts, tmp_path / "fused", fused=True, **options)
    assert stopped == "" and made[0] is not None and made[0].valid is valid
    stopped, _ = _build(monkeypatch, example_root, accounts, tmp_path / "after", fused=False, **options)
    assert stopped == ""
    assert _tree(tmp_path / "fused") == _tree(tmp_path / "after")


@pytest.mark.parametrize(("jobs", "history"), [(1, True), (2, True), (1, False), (2, False)])
def test_a_sorted_snapshot_in_many_chunks_renders_fused_with_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int, history: bool
) -> None:
    # without a history the case files are written chunk by chunk by the planning processes,
    # with one after the plan by the build's
    accounts = _jsonl(tmp_path / "accounts.jsonl", _sorted_unique(example_root))
    options: dict[str, Any] = {"jobs": jobs, "history": history}
    stopped, made = _build(monkeypatch, example_root, accounts, tmp_path / "fused", fused=True, **options)
    assert stopped == ""
    assert len(made) == 1 and made[0] is not None and made[0].valid  # 10 chunks, rendered as planned
    assert made[0].candidates > 0 and made[0].cases_here is not history
    stopped, _ = _build(monkeypatch, example_root, accounts, tmp_path / "after", fused=False, **options)
    assert stopped == ""
    fused, after = _tree(tmp_path / "fused"), _tree(tmp_path / "after")
    assert any(name.startswith("messages/cases/") for name in after)
    assert any(name.startswith("messages/legal_review/") for name in after)
    assert fused == after


def test_mbox_files_fill_in_the_same_order_fused(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path
) -> None:
    accounts = _jsonl(tmp_path / "accounts.jsonl", _sorted_unique(example_root))
    options: dict[str, Any] = {"jobs": 2, "email_format": "mbox"}
    _, made = _build(monkeypatch, example_root, accounts, tmp_path / "fused", fused=True, **options)
    assert made[0] is not None and made[0].valid
    _build(monkeypatch, example_root, accounts, tmp_path / "after", fused=False, **options)
    fused = _tree(tmp_path / "fused")
    assert any(name.endswith(".mbox") for name in fused)
    assert fused == _tree(tmp_path / "after")


@pytest.mark.parametrize("history", [True, False])
def test_a_sorted_csv_in_pieces_renders_fused_with_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, history: bool
) -> None:
    # pieces of at least 64 KiB, parsed by the workers (lines counted from the piece's start;
    # without a history the workers write the case files from those rows): the example's
    # rows again under new ids until the file holds several pieces
    base = _sorted_unique(example_root)
    rows = [{**row, "account_id": f"{row['account_id']}-{n:02d}"} for n in range(12) for row in base]
    accounts = _csv(tmp_path / "accounts.csv", sorted(rows, key=lambda row: row["account_id"]))
    assert accounts.stat().st_size > 3 * (1 << 16)
    _fused_equals_after(monkeypatch, example_root, accounts, tmp_path, valid=True, jobs=2, history=history)
    assert any(name.startswith("messages/cases/") for name in _tree(tmp_path / "fused"))


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_unsorted_snapshot_takes_the_render_after_the_plan(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    # the example's own order (CN and US ids interleaved, a repeated id at the end)
    accounts = _jsonl(tmp_path / "accounts.jsonl", _rows(example_root))
    _fused_equals_after(monkeypatch, example_root, accounts, tmp_path, valid=False, jobs=jobs)
    assert not list((tmp_path / "fused").glob(".*render*")) and not list((tmp_path / "fused").glob(".print*"))


def test_a_rejected_row_of_an_id_a_later_chunk_plans_takes_the_render_after_the_plan(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path
) -> None:
    # render reads an account's first row in the file: here a rejected one (a currency no
    # one uses) at the end of the second chunk, before the planned one opening the third
    # (the first chunk is the example's rejected BAD-* rows)
    rows = _sorted_unique(example_root)
    assert rows[6]["account_id"].startswith("BAD-") and not rows[13]["account_id"].startswith("BAD-")
    rejected = {**rows[13], "currency": "ZZZ", "name": "Someone Else"}
    rows.insert(13, rejected)
    accounts = _jsonl(tmp_path / "accounts.jsonl", rows)
    _fused_equals_after(monkeypatch, example_root, accounts, tmp_path, valid=False, jobs=1)
    # in one chunk the fused render reads that first row itself
    stopped, made = _build(monkeypatch, example_root, accounts, tmp_path / "one", jobs=1, fused=True, chunk_rows=1000)
    assert stopped == "" and made[0] is not None and made[0].valid
    assert _tree(tmp_path / "one") == _tree(tmp_path / "after")


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_stopped_at_plan_publishes_none_of_the_fused_messages(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    accounts = _jsonl(tmp_path / "accounts.jsonl", _sorted_unique(example_root))
    out = tmp_path / "out"
    stopped, made = _build(monkeypatch, example_root, accounts, out, jobs=jobs, fused=True, max_reject_rate=0.01)
    assert stopped == "plan" and made[0] is not None
    assert sorted(p.name for p in out.iterdir()) == [
        ".dunning-output", "actions.csv", "history-rejects.csv", "plans.jsonl", "rejects.csv", "summary.json",
    ]  # fmt: skip
    assert "render" not in orjson.loads((out / "summary.json").read_bytes())


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_manifest_reads_back_only_the_small_files_no_one_hashed_as_they_were_written(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    read: list[str] = []
    real = outdir.sha256_file

    def spy(path: Path) -> str:
        staging = tmp_path / ".out.dunning-staging"
        if path.is_relative_to(staging):
            read.append(path.relative_to(staging).as_posix())
        else:
            read.append("policy" if path.is_relative_to(example_root) else path.name)
        return real(path)

    monkeypatch.setattr(manifest_module, "sha256_file", spy)
    monkeypatch.setattr(run_module, "sha256_file", spy)  # the snapshot's digest: plan's, in summary.json
    accounts = _jsonl(tmp_path / "accounts.jsonl", _sorted_unique(example_root))
    stopped, made = _build(monkeypatch, example_root, accounts, tmp_path / "out", jobs=jobs, fused=True)
    assert stopped == "" and made[0] is not None and made[0].valid
    # plans.jsonl, actions.csv and the messages' files were hashed as they were written;
    # the policy's files and the rejects are read (small: a few hundred bytes here)
    assert sorted(set(read)) == ["history-rejects.csv", "messages/render-rejects.csv", "policy", "rejects.csv"]


def test_the_builds_own_process_never_loads_polars(example_root: Path, tmp_path: Path) -> None:
    # a sorted CSV without a history: the workers parse, plan and render every chunk and write
    # the case files; the build's process takes their results (and starts sooner without it)
    accounts = _csv(tmp_path / "accounts.csv", _sorted_unique(example_root))
    request = f"BuildRequest(Path({str(example_root)!r}), Path({str(accounts)!r}), date(2026, 11, 30), "
    request += f"Path({str(tmp_path / 'out')!r}), horizon=3, jobs=2, pdf=False, handbook=False)"
    code = f"""
import json, sys
from datetime import date
from pathlib import Path
from dunning.build import BuildRequest, run_build
from dunning.render.fused import FusedRender
result = run_build({request})
print(json.dumps([result.stopped, result.render is not None and result.render.cases, "polars" in sys.modules]))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    stopped, cases, polars_loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert (stopped, polars_loaded) == ("", False)
    assert cases > 0
