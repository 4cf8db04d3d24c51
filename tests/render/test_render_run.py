"""Render end to end on a hand-written plan: golden bytes per channel and locale, re-runs,
parallel == serial, atomic output, rejects that do not stop the batch."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from dunning.render import batch
from dunning.render.run import render_plans

from .outputs_support import output_files, same_output

BROKEN = '{% block text %}{% if account.segment == "broken" %}{{ account.nope }}{% endif %}'
GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DUNNING_UPDATE_GOLDEN") == "1"


def test_golden_outputs(plan_dir: Path, example_root: Path) -> None:
    result = render_plans(plan_dir, example_root, workers=1, pdf=False)
    assert result.rendered == {"sms": 3, "call": 2, "email": 3, "letter": 3, "agency": 2, "visit": 1, "legal_review": 1}
    assert result.failed == 1
    produced = output_files(plan_dir / "messages")
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, data in produced.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_bytes(data)
    expected = output_files(GOLDEN)
    assert sorted(produced) == sorted(expected)
    for name, data in expected.items():
        assert produced[name] == data, name


def test_sms_records(plan_dir: Path, example_root: Path) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=False)
    records = [orjson.loads(line) for line in (plan_dir / "messages" / "sms.jsonl").read_bytes().splitlines()]
    assert [r["action_id"] for r in records] == [
        "LN-CN-0001-early-sms8-20261128",
        "LN-US-0002-mid-sms31-20261128",
        "LN-US-0006-reminder-sms1-20261128",
    ]
    cn = records[0]
    assert cn["text"].startswith("【示例金融】李明您好")
    assert cn["text"].endswith("回复TD退订")
    assert (cn["encoding"], cn["length"], cn["segments"]) == ("UCS-2", 81, 2)
    assert cn["recipient"] == "+8613800138101"
    assert cn["not_before"] == "2026-11-28T09:00:00+08:00"
    us = records[1]
    assert "$720.50" in us["text"] and "6 parts of about $120.08" in us["text"]
    assert us["encoding"] == "GSM-7" and us["segments"] == 2
    assert "Reply STOP" in us["text"]


def test_rerun_is_byte_identical_and_parallel_equals_serial(plan_dir: Path, example_root: Path, tmp_path: Path) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    first = output_files(plan_dir)
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    assert same_output(output_files(plan_dir), first)
    parallel = tmp_path / "parallel"
    shutil.copytree(plan_dir.parent, parallel)
    # in a fresh interpreter, as a CLI run is: this one has typeset letters, and a process
    # that has done so renders serially (a forked child would wait for Typst's threads)
    code = (
        "import sys; from pathlib import Path; from dunning.render.run import render_plans; "
        "render_plans(Path(sys.argv[1]), Path(sys.argv[2]), workers=2, pdf=True, chunk_accounts=1)"
    )
    subprocess.run([sys.executable, "-c", code, str(parallel / "plan"), str(example_root)], check=True)
    assert same_output(output_files(parallel / "plan"), first)
    manifest = orjson.loads(first["manifest.json"])
    assert manifest["schema_version"] == 1
    assert manifest["counts"] == {
        "agency": 2, "call": 2, "email": 3, "legal_review": 1, "letter": 3, "render_failed": 1, "sms": 3, "visit": 1,
    }  # fmt: skip
    import hashlib

    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256(first[name]).hexdigest() == digest, name
    assert set(manifest["outputs"]) == set(first) - {"manifest.json", ".dunning-output"}  # the marker: at the swap
    assert "policies/tiers.yaml" in manifest["policy"]["files"]
    revision = manifest["policy"]["revision"]
    assert revision is None or (len(revision["commit"]) == 40 and isinstance(revision["dirty"], bool))
    summary = orjson.loads(first["summary.json"])
    assert summary["render"] == {
        "rendered": 15,
        "failed": 1,
        "by_channel": {"sms": 3, "email": 3, "letter": 3, "call": 2, "visit": 1, "agency": 2, "legal_review": 1},
    }
    assert summary["accounts_in"] == 7  # the planner's keys are kept


def test_failed_render_leaves_previous_output(
    plan_dir: Path, example_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=False)
    before = output_files(plan_dir)
    calls = {"n": 0}
    original = batch.ChunkRenderer.render_chunk

    def crash_on_second(
        self: batch.ChunkRenderer, items: list[tuple[bytes, object]], columns: tuple[str, ...] | None = None
    ) -> batch.ChunkResult:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return original(self, items, columns)

    monkeypatch.setattr(batch.ChunkRenderer, "render_chunk", crash_on_second)
    with pytest.raises(OSError, match="disk full"):
        render_plans(plan_dir, example_root, workers=1, pdf=False, chunk_accounts=1)
    assert output_files(plan_dir) == before
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["accounts.csv", "plan"]  # no staging left


def test_broken_template_for_one_account_does_not_stop_the_batch(plan_dir: Path, example_copy: Path) -> None:
    template = example_copy / "templates" / "email" / "email-reminder.en-US.j2"
    source = template.read_text(encoding="utf-8")
    template.write_text(
        source.replace(
            "{% block text %}", '{% block text %}{% if account.segment == "broken" %}{{ account.nope }}{% endif %}'
        ),
        encoding="utf-8",
    )
    result = render_plans(plan_dir, example_copy, workers=1, pdf=False)
    with (plan_dir / "messages" / "render-rejects.csv").open(encoding="utf-8", newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert rejects == [
        {
            "action_id": "LN-CN-0005-reminder-email3-20261128",
            "account_id": "LN-CN-0005",
            "template": "",
            "line": "",
            "message": "the account is not in the accounts file",
        },
        {
            "action_id": "LN-US-0006-reminder-email3-20261128",
            "account_id": "LN-US-0006",
            "template": "email/email-reminder.en-US.j2",
            "line": "2",
            "message": "undefined: 'dict object' has no attribute 'nope'",
        },
    ]
    # the same account's SMS and every other account's messages were still rendered
    assert result.rendered["email"] == 2 and result.rendered["sms"] == 3
    assert not (plan_dir / "messages" / "email" / "LN-US-0006-reminder-email3-20261128.eml").exists()


def test_agency_file_has_only_the_policy_fields(plan_dir: Path, example_copy: Path) -> None:
    render_plans(plan_dir, example_copy, workers=1, pdf=False)
    rows = (plan_dir / "messages" / "agency" / "northwind-recovery.csv").read_text(encoding="utf-8").splitlines()
    assert rows == [
        "account_id,name,address,postal_code,phone,currency,overdue_amount,due_date,dpd,case_file",
        # render alone writes no case file: the listed case_file field is empty
        'LN-US-0003,Jordan O\'Example,"5 Sample Rd, Albany, NY 12207",12207,+12125550103,USD,2500.00,2026-07-21,130,',
    ]
    # a placement note that reaches for a field the agency may not have is refused, not leaked
    note = example_copy / "templates" / "agency" / "agency-placement.en-US.j2"
    note.write_text(note.read_text(encoding="utf-8") + "\nEmail: {{ account.email }}\n", encoding="utf-8")
    render_plans(plan_dir, example_copy, workers=1, pdf=False)
    rejects = (plan_dir / "messages" / "render-rejects.csv").read_text(encoding="utf-8")
    assert (
        "LN-US-0003-recovery-agency120-20261130,LN-US-0003,agency/agency-placement.en-US.j2,7,"
        "undefined: 'dict object' has no attribute 'email'"
    ) in rejects


def test_missing_plans_is_a_user_error(tmp_path: Path, example_root: Path) -> None:
    from dunning.errors import UserError

    with pytest.raises(UserError, match="no plans here"):
        render_plans(tmp_path, example_root)


def test_letters_markup_spool_is_read_by_the_print_workers_and_never_published(
    plan_dir: Path, example_root: Path
) -> None:
    # the print workers take each letter's markup from a spool file in the staging folder;
    # what they typeset is what the letters say, and the spool is gone from the output
    render_plans(plan_dir, example_root, workers=2, pdf=True)
    letters = plan_dir / "messages" / "letters"
    assert sorted(p.name for p in letters.glob("batch-*.pdf")) == [
        "batch-2026-11-30-CN-A4-registered-001.pdf",
        "batch-2026-11-30-US-letter-first_class-001.pdf",
    ]
    assert len(list((letters / "archive").rglob("*.pdf"))) == 3
    assert not (plan_dir / ".print-markup").exists() and not (plan_dir / ".render-hashes").exists()
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["accounts.csv", "plan"]


def test_a_print_stage_that_fails_leaves_the_previous_output_whole_and_no_spool(
    plan_dir: Path, example_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render_plans(plan_dir, example_root, workers=1, pdf=True)
    before = output_files(plan_dir)
    # a print worker that fails after its batch is typeset: its profile file cannot be opened
    monkeypatch.setenv("DUNNING_PRINT_PROFILE", str(plan_dir.parent))
    with pytest.raises(IsADirectoryError):
        render_plans(plan_dir, example_root, workers=1, pdf=True)
    assert output_files(plan_dir) == before
    assert sorted(p.name for p in plan_dir.parent.iterdir()) == ["accounts.csv", "plan"]  # no staging, no spool
