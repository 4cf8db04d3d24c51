"""``dunning build`` end to end on the bundled example: stages in order, byte-identical re-runs."""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from dunning.cli import main

MA_REASON = (
    "Massachusetts allows two calls or texts in seven days (209 CMR 18.14(1)(d)); for US-MA accounts the planner "
    "defers the third contact of these weeks to the next allowed day. We keep one cadence for every state rather "
    "than a separate Massachusetts strategy (decided with compliance, 2026-11)."
)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _build(example_root: Path, out: Path, *options: str) -> tuple[int, str]:
    args = ["build", "--accounts", str(example_root / "examples" / "accounts.csv")]
    args += ["--history", str(example_root / "examples" / "history.csv"), "--as-of", "2026-11-30", "--horizon", "3"]
    args += ["--out", str(out), "--no-pdf", "--no-handbook", *(options or ("--jobs", "1")), str(example_root)]
    result = CliRunner().invoke(main, args)
    return result.exit_code, result.output


def test_build_runs_every_stage_and_is_byte_identical(example_root: Path, tmp_path: Path) -> None:
    code, output = _build(example_root, tmp_path / "out")
    assert code == 0, output
    first = _tree(tmp_path / "out")
    assert {"plans.jsonl", "actions.csv", "rejects.csv", "summary.json", "manifest.json"} <= set(first)
    assert "messages/sms.jsonl" in first and "messages/calls.csv" in first
    summary = orjson.loads(first["summary.json"])
    manifest = orjson.loads(first["manifest.json"])
    assert summary["render"]["failed"] == 0
    assert summary["render"]["rendered"] == sum(summary["render"]["by_channel"].values()) > 0
    # the marker is written after the manifest, at the swap (see docs/security.md)
    assert set(manifest["outputs"]) == set(first) - {"manifest.json", ".dunning-output"}
    for name, digest in manifest["outputs"].items():  # those taken as the files were written too
        assert hashlib.sha256(first[name]).hexdigest() == digest, name
    assert "rendered " in output and "manifest: " in output
    code, _ = _build(example_root, tmp_path / "out")
    assert code == 0
    second = _tree(tmp_path / "out")
    # other people commit to this shared tree while the suite runs: the revision may move
    # between the two builds, nothing else may
    manifests = [orjson.loads(tree.pop("manifest.json")) for tree in (first, second)]
    for document in manifests:
        document["policy"].pop("revision")
    assert second == first
    assert manifests[0] == manifests[1]


def test_build_quiet_prints_only_the_balance_line_and_jobs_reach_both_stages(
    example_root: Path, tmp_path: Path
) -> None:
    # one --jobs for plan and render (--workers, render's first name for it, still works);
    # with --quiet the validate stage's notes and the render report stay out of the output
    code, output = _build(example_root, tmp_path / "one", "--jobs", "1", "--quiet")
    assert (code, output) == (0, "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n")
    code, output = _build(example_root, tmp_path / "two", "-j", "2", "--quiet")
    assert (code, output) == (0, "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n")
    code, _ = _build(example_root, tmp_path / "alias", "--workers", "2", "--quiet")
    assert code == 0
    code, _ = _build(example_root, tmp_path / "auto", "--jobs", "0", "--quiet")  # 0: the default, as for gate
    assert code == 0
    trees = [_tree(tmp_path / name) for name in ("one", "two", "alias", "auto")]
    for tree in trees:
        tree.pop("manifest.json")  # holds the policy revision, which may move meanwhile
    assert trees[0] == trees[1] == trees[2] == trees[3]


def test_build_stops_at_validate(example_copy: Path, tmp_path: Path) -> None:
    (example_copy / "examples").mkdir()
    (example_copy / "examples" / "accounts.csv").write_text("account_id\n", encoding="utf-8")
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    code, output = _build(example_copy, tmp_path / "out")
    assert code == 1
    assert "build stopped: validate found errors" in output
    assert not (tmp_path / "out").exists()


def test_build_lists_the_acknowledged_findings_once_as_validate_does(
    example_copy: Path, example_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as the README runs it: from the policy repository, relative paths, default --out
    shutil.copytree(example_root / "examples", example_copy / "examples")
    monkeypatch.chdir(example_copy)
    args = ["--accounts", "examples/accounts.csv", "--history", "examples/history.csv", "--as-of", "2026-11-30"]
    validated = CliRunner().invoke(main, ["validate", "--format", "text"])
    built = CliRunner().invoke(main, ["build", *args, "--no-pdf", "--no-handbook"])
    assert (validated.exit_code, built.exit_code) == (0, 0)
    assert validated.output == (
        "acknowledged:\n"
        "  L002 policies/strategies.yaml:39:9, 69:9, 100:9, 172:9\n"
        f"      = {MA_REASON} (policies/acknowledgements.yaml:6)\n"
        "0 error(s), 0 warning(s), 0 note(s), 4 acknowledged\n"
    )
    assert built.output == validated.output + (
        "plans written to out/ (actions: scheduled 12, suppressed 1)\n"
        "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n"
        "rendered 12 messages (call 9, email 3) into out/messages\n"
        "manifest: out/manifest.json\n"
    )
    # --quiet leaves the list out, as validate --quiet does
    quiet = CliRunner().invoke(main, ["build", *args, "--no-pdf", "--no-handbook", "--quiet"])
    assert (quiet.exit_code, quiet.output) == (0, "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n")


def test_the_handbook_built_beside_plan_and_render_is_the_one_built_after_them(
    example_root: Path, tmp_path: Path
) -> None:
    # with more than one process the handbook is built by a forked process while plan and
    # render run; with --jobs 1 after render, in this process: the same bytes
    trees = []
    for name, jobs in (("beside", "2"), ("after", "1")):
        args = ["build", "--accounts", str(example_root / "examples" / "accounts.csv"), "--as-of", "2026-11-28"]
        args += ["--out", str(tmp_path / name), "--no-pdf", "--jobs", jobs, str(example_root)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert f"handbook built in {tmp_path / name / 'handbook'}\n" in result.output
        trees.append(_tree(tmp_path / name))
    manifests = [orjson.loads(tree.pop("manifest.json")) for tree in trees]
    for manifest in manifests:
        manifest["policy"].pop("revision")  # others commit to this tree while the suite runs
    # the revision is also printed on the handbook's front page, its search index and sources
    for tree in trees:
        for page in ("handbook/index.html", "handbook/search/search_index.json", "handbook-src/docs/index.md"):
            tree.pop(page)
        for manifest in manifests:
            for page in ("handbook/index.html", "handbook/search/search_index.json", "handbook-src/docs/index.md"):
                manifest["outputs"].pop(page, None)
    assert "handbook/404.html" in trees[0]
    assert trees[0] == trees[1]
    assert manifests[0] == manifests[1]


def test_a_build_stopped_at_plan_publishes_no_handbook_though_it_was_built_beside(
    example_copy: Path, tmp_path: Path
) -> None:
    (example_copy / "accounts.csv").write_text(
        "account_id,jurisdiction,currency,overdue_amount,due_date\n"
        + "".join(f"A-{n},US,usd,10.00,2026-10-01\n" for n in range(5)),
        encoding="utf-8",
    )
    args = ["build", "--accounts", str(example_copy / "accounts.csv"), "--as-of", "2026-11-28"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "out"), "--no-pdf", "-j", "2", str(example_copy)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "build stopped: plan failed"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        ".dunning-output", "actions.csv", "plans.jsonl", "rejects.csv", "summary.json",
    ]  # fmt: skip


def test_the_planning_workers_start_before_validate_and_none_outlives_a_build_stopped_there(
    example_root: Path, example_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with more than one process the planning workers load their modules and compile the
    # policy while this process validates (dunning.plan.pool.build_pool, forked from one server): both run while
    # validate does; a build that validate stops ends them, and publishes nothing
    import multiprocessing

    import dunning.build as build_module
    from dunning.validate import validation as real

    alive: list[list[str]] = []
    expected = [2]  # worker processes the build starts

    def spy(path: Path) -> Any:
        # the workers are asked of the fork server in the background (it forks them once it
        # has imported their modules): they come up while validate has not returned
        deadline = time.monotonic() + 60
        while True:
            children = sorted(type(p).__name__ for p in multiprocessing.active_children())
            if len(children) >= expected[0] or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        alive.append(children)
        return real(path)

    monkeypatch.setattr(build_module, "validation", spy)
    code, output = _build(example_root, tmp_path / "two", "--jobs", "2", "--quiet")
    assert (code, output) == (0, "accounts_in 66 == planned 51 + excluded 8 + rejected 7\n")
    assert alive == [["ForkServerProcess", "ForkServerProcess"]]
    expected[0] = 0
    code, _ = _build(example_root, tmp_path / "one", "--jobs", "1", "--quiet")
    assert code == 0 and alive[1] == []  # one process: none started
    assert multiprocessing.active_children() == []
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    one.pop("manifest.json"), two.pop("manifest.json")  # the policy revision may move meanwhile
    assert one == two
    (example_copy / "examples").mkdir()
    (example_copy / "examples" / "accounts.csv").write_text("account_id\n", encoding="utf-8")
    tiers = example_copy / "policies" / "tiers.yaml"
    tiers.write_text(tiers.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    expected[0] = 2
    code, output = _build(example_copy, tmp_path / "out", "--jobs", "2")
    assert code == 1 and "build stopped: validate found errors" in output
    assert alive[2] == ["ForkServerProcess", "ForkServerProcess"]
    assert multiprocessing.active_children() == []
    assert not (tmp_path / "out").exists()


def test_an_error_mid_plan_ends_the_workers_started_before_validate_and_leaves_no_output(
    example_root: Path, tmp_path: Path
) -> None:
    # the snapshot's last record opens a quote it never closes: found by the build's process
    # as it cuts the last piece, with chunks in the workers' hands; the workers started before
    # validate are ended before the staging folder goes, and nothing is published
    import multiprocessing

    rows = "".join(f"A-{n:05d},US,USD,10.00,2026-10-01\n" for n in range(4000))
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f'account_id,jurisdiction,currency,overdue_amount,due_date\n{rows}"A-99999,US\n')
    args = ["build", "--accounts", str(accounts), "--as-of", "2026-11-28", "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, [*args, "--no-pdf", "--no-handbook", "--jobs", "2", str(example_root)])
    assert result.exit_code == 2
    assert f"error: {accounts}: line 4002: a quoted field opens in this record and is never closed" in result.output
    assert "build stopped: plan failed" in result.output
    assert multiprocessing.active_children() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["accounts.csv"]
