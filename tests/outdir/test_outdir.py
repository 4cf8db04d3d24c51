"""Output directories (docs/security.md, "Output directories"): what dunning refuses to write
into, owner-only files, one lock per output, and an ``--out`` that is whole at every instant,
even when the run is killed at any of its file-system steps."""

from __future__ import annotations

import hashlib
import os
import signal
import stat
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.outdir import OutputDir, append_hashed

from .outdir_support import DEMO, contents, policy_repo, run_cli, start_cli, tree

PLAN = ["plan", "--accounts", "examples/accounts.csv", "--as-of", "2026-11-28"]
ANOTHER = "  hint: choose a new or empty folder for --out"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch policy repository, the current directory (the README's commands run there)."""
    root = policy_repo(tmp_path / "repo")
    monkeypatch.chdir(root)
    return root


def _refused(tmp_path: Path, args: list[str], stderr: str, env: dict[str, str] | None = None) -> None:
    """The command exits 2 with exactly ``stderr``, and nothing under ``tmp_path`` changed."""
    before = tree(tmp_path)
    result = CliRunner().invoke(main, args, env=env)
    assert (result.exit_code, result.stderr) == (2, stderr)
    assert tree(tmp_path) == before


def test_a_folder_dunning_did_not_write_is_refused(repo: Path, tmp_path: Path) -> None:
    folder = repo / "some" / "folder"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.docx").write_bytes(b"PK\x03\x04 the only copy")
    (folder / "sub" / "keep.txt").write_text("mine\n", encoding="utf-8")
    _refused(
        tmp_path,
        [*PLAN, "--out", "some/folder", "."],
        "error: refusing to write into some/folder: it holds files dunning did not write (notes.docx, sub;"
        " no .dunning-output marker)\n" + ANOTHER + ", or move its contents away\n",
    )


@pytest.mark.parametrize(
    ("out", "why", "hint"),
    [
        ("templates", "it is the policy's templates/ folder", ", e.g. out"),
        ("templates/sms", "it is inside the policy's templates/ folder", ", e.g. out"),
        ("policies", "it is the policy's policies/ folder", ", e.g. out"),
        ("site", "it is the policy's site/ folder", ", e.g. out"),
        (".", "it is the current directory", ", e.g. --out out"),
        ("..", "it holds the current directory", ", e.g. --out out"),
        ("/", "it is the root of the file system", ""),
    ],
)
def test_places_no_output_may_go_are_refused(repo: Path, tmp_path: Path, out: str, why: str, hint: str) -> None:
    stderr = f"error: refusing to write into {out}: {why}\n{ANOTHER}{hint}\n"
    _refused(tmp_path, [*PLAN, "--out", out, "."], stderr)
    # every stage that writes a folder applies the same rules
    build = ["build", *DEMO, "--as-of", "2026-11-28", "--no-pdf", "--out", out, "."]
    _refused(tmp_path, build, stderr)
    _refused(tmp_path, ["handbook", "build", "--as-of", "2026-11-28", "--out", out, "."], stderr)
    _refused(tmp_path, ["handbook", "serve", "--as-of", "2026-11-28", "--out", out, "."], stderr)


def test_a_stale_dunning_out_pointing_home_is_refused(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "cv.odt").write_bytes(b"precious")
    env = {"HOME": str(home), "DUNNING_OUT": str(home)}
    _refused(
        tmp_path,
        [*PLAN, "."],
        f"error: refusing to write into {home}: it is the home directory\n{ANOTHER} (DUNNING_OUT is set to '{home}')\n",
        env,
    )


def test_the_policy_repository_is_refused_from_elsewhere(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    accounts = str(repo / "examples" / "accounts.csv")
    stderr = f"error: refusing to write into ../repo: it is the policy repository\n{ANOTHER}\n"
    _refused(tmp_path, ["plan", "--accounts", accounts, "--as-of", "2026-11-28", "--out", "../repo", "../repo"], stderr)
    why = "it is inside the policy's site/ folder"
    stderr = f"error: refusing to write into ../repo/site/guide: {why}\n{ANOTHER}, e.g. out\n"
    _refused(
        tmp_path,
        ["plan", "--accounts", accounts, "--as-of", "2026-11-28", "--out", "../repo/site/guide", "../repo"],
        stderr,
    )


def test_a_file_a_link_and_a_foreign_file_in_a_dunning_folder_are_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "report.pdf").write_bytes(b"%PDF")
    _refused(  # click's own check comes first, with the same exit code
        tmp_path,
        [*PLAN, "--out", "report.pdf", "."],
        "Usage: main plan [OPTIONS] [PATH]\nTry 'main plan --help' for help.\n\n"
        "Error: Invalid value for '--out': Directory 'report.pdf' is a file.\n",
    )
    (repo / "real").mkdir()
    (repo / "linked").symlink_to(repo / "real")
    _refused(
        tmp_path,
        [*PLAN, "--out", "linked", "."],
        "error: refusing to write into linked: it is a symbolic link\n"
        "  hint: give the real folder it points to, or a new folder\n",
    )
    assert CliRunner().invoke(main, [*PLAN, "--out", "out", "-q", "."]).exit_code == 0
    (repo / "out" / "notes.docx").write_bytes(b"added by hand")
    _refused(
        tmp_path,
        [*PLAN, "--out", "out", "."],
        "error: refusing to write into out: it holds files dunning did not write (notes.docx)\n"
        "  hint: move them out of the folder first\n",
    )


def test_render_writes_only_into_a_plan_folder_dunning_wrote(repo: Path, tmp_path: Path) -> None:
    (repo / "plans").mkdir()
    (repo / "plans" / "plans.jsonl").write_bytes(b"")
    _refused(
        tmp_path,
        ["render", "--plans", "plans", "--no-pdf", "."],
        "error: plans was not written by `dunning plan` (no .dunning-output marker)\n"
        "  hint: re-run `dunning plan --out DIR`; render writes only into folders dunning wrote\n",
    )


def test_render_into_a_world_readable_plan_folder_leaves_it_owner_only(repo: Path) -> None:
    assert CliRunner().invoke(main, [*PLAN, "--out", "plans", "-q", "."]).exit_code == 0
    os.chmod(repo / "plans", 0o755)
    previous = os.umask(0)  # modes are set explicitly, not left to the umask
    try:
        result = CliRunner().invoke(main, ["render", "--plans", "plans", "--no-pdf", "-q", "."])
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    _owner_only(repo / "plans")
    assert (repo / "plans" / "messages" / "sms.jsonl").is_file()


def _owner_only(root: Path) -> None:
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    modes = {p.relative_to(root).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in root.rglob("*")}
    assert modes and {m for name, m in modes.items() if (root / name).is_dir()} == {0o700}
    assert {m for name, m in modes.items() if (root / name).is_file()} == {0o600}


def test_the_readme_demo_with_relative_paths_puts_the_handbook_in_out_handbook(repo: Path) -> None:
    # `make demo`'s command as the README gives it, run from the repository's root
    demo = ["build", *DEMO, "--as-of", "2026-11-28", "--horizon", "7", "--forecast-days", "14", "--out", "out", "."]
    previous = os.umask(0)
    try:
        result = CliRunner().invoke(main, demo)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    assert "handbook built in out/handbook\nmanifest: out/manifest.json\n" in result.stdout
    assert (repo / "out" / "handbook" / "index.html").is_file()
    assert (repo / "out" / "handbook" / "forecast.html").is_file()
    assert not (repo / "out" / "handbook-src" / "out").exists()
    assert sorted(p.name for p in repo.iterdir()) == ["examples", "out", "policies", "site", "templates"]
    _owner_only(repo / "out")
    manifest = orjson.loads((repo / "out" / "manifest.json").read_bytes())
    assert "handbook/index.html" in manifest["outputs"]
    built = contents(repo / "out")
    # the case files of the accounts a person handles are there; the handbook shows none of them
    assert sorted(k for k in built if k.startswith("messages/cases/")) == [
        f"messages/cases/{account}.{form}" for account in ("CN-0027", "CN-0028", "US-0029") for form in ("html", "json")
    ]
    pages = [v for k, v in built.items() if k.startswith("handbook")]
    shown = (b"Customer file CN-", b"Customer file US-", b"CN-0027", b"CN-0028", b"US-0029", b"Patricia Davis")
    assert pages and not any(word in v for word in shown for v in pages)

    # `dunning handbook build` with its default --out: the same place; plans and messages kept
    result = CliRunner().invoke(main, ["handbook", "build", "--as-of", "2026-11-28", "."])
    assert (result.exit_code, result.stdout) == (0, "handbook: out/handbook/index.html\n")
    again = contents(repo / "out")
    assert {k: v for k, v in again.items() if not k.startswith("handbook")} == {
        k: v for k, v in built.items() if not k.startswith("handbook")
    }
    assert (repo / "out" / "handbook" / "index.html").is_file()
    assert not (repo / "out" / "handbook" / "forecast.html").exists()  # no forecast asked for this time
    assert not (repo / "out" / "handbook-src" / "out").exists()


def test_a_second_run_into_the_same_out_exits_2_and_the_first_finishes(repo: Path) -> None:
    build = ["build", *DEMO, "--no-pdf", "--no-handbook", "--out", "out", "-q", "."]
    first = start_cli([*build, "--as-of", "2026-11-28"], repo, DUNNING_TEST_SIGNAL_AT_STEP="3:STOP")
    _pid, status = os.waitpid(first.pid, os.WUNTRACED)  # stopped with its plans staged, holding the lock
    assert os.WIFSTOPPED(status)
    try:
        second = run_cli([*build, "--as-of", "2026-11-29"], repo)
    finally:
        os.kill(first.pid, signal.SIGCONT)
    assert (second.returncode, second.stdout) == (2, "")
    assert second.stderr == (
        f"error: another dunning run is writing out right now (it holds {repo / '.out.dunning-lock'})\n"
        "  hint: wait for it to finish and run again; runs into different --out folders can run at once\n"
    )
    assert first.wait(timeout=120) == 0, first.stderr.read() if first.stderr else ""
    _consistent(repo / "out", "2026-11-28")
    assert sorted(p.name for p in repo.iterdir()) == ["examples", "out", "policies", "site", "templates"]


def _consistent(out: Path, *as_of: str) -> None:
    """One run's complete output (of one of the ``as_of`` dates): its manifest lists exactly the
    files there, with their hashes."""
    import hashlib

    files = contents(out)
    manifest = orjson.loads(files.pop("manifest.json"))
    files.pop(".dunning-output")
    assert manifest["as_of"] in as_of
    assert manifest["outputs"] == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


def _two_builds(swap: str) -> tuple[list[str], list[str], dict[str, str]]:
    """The arguments of an old (2026-11-28) and a new (2026-11-29) demo build, and the
    environment forcing the ``swap`` mode."""
    build = ["build", *DEMO, "--no-pdf", "--no-handbook", "--jobs", "1", "-q", "."]
    return [*build, "--as-of", "2026-11-28"], [*build, "--as-of", "2026-11-29"], {"DUNNING_TEST_SWAP": swap}


def _old_and_new(
    repo: Path, old_args: list[str], new_args: list[str], env: dict[str, str]
) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The new build's files (written to ``new``) and the old build's, left in ``out``."""
    assert CliRunner().invoke(main, [*new_args, "--out", "new"], env=env).exit_code == 0
    new = contents(repo / "new")
    assert CliRunner().invoke(main, [*old_args, "--out", "out"], env=env).exit_code == 0
    return contents(repo / "out"), new


@pytest.mark.parametrize("swap", ["exchange", "rename"])
def test_a_build_killed_at_any_step_leaves_the_old_or_the_new_output(repo: Path, swap: str) -> None:
    old_args, new_args, env = _two_builds(swap)
    old, new = _old_and_new(repo, old_args, new_args, env)
    assert old != new
    names = sorted(p.name for p in repo.iterdir())
    seen = []
    # the steps before the swap are the same code in both modes: the fallback's run starts at
    # the marker step (6), the last before its two renames
    first = {"exchange": 1, "rename": 6}[swap]
    for number in range(first, 30):
        killed = run_cli([*new_args, "--out", "out"], repo, DUNNING_TEST_SIGNAL_AT_STEP=f"{number}:KILL", **env)
        if killed.returncode == 0:
            break
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        if (repo / "out").exists():
            state = contents(repo / "out")
            assert state in (old, new), number
            seen.append("new" if state == new else "old")
        else:
            # only the fallback has this window, between its two renames: the previous output
            # waits next to it, whole, and the next run puts it back
            assert swap == "rename"
            assert contents(repo / ".out.dunning-old") == old
            seen.append("aside")
        # the next run cleans up what the killed one left and publishes as usual
        again = CliRunner().invoke(main, [*old_args, "--out", "out"], env=env)
        assert again.exit_code == 0, again.output
        assert contents(repo / "out") == old
        assert sorted(p.name for p in repo.iterdir()) == names
    assert killed.returncode == 0
    steps = {"exchange": 8, "rename": 9}[swap]  # lock, staging, plans, messages, manifest, marker, swap...
    assert len(seen) == steps - first + 1
    assert seen[-1] == "new" and seen[0] == "old"
    assert ("aside" in seen) == (swap == "rename")


@pytest.mark.parametrize(
    ("swap", "stop", "code"), [("exchange", "TERM", 143), ("rename", "TERM", 143), ("rename", "INT", 1)]
)
def test_a_build_stopped_at_any_step_leaves_the_old_or_the_new_output_and_nothing_else(
    repo: Path, swap: str, stop: str, code: int
) -> None:
    """SIGTERM (a CI timeout, `docker stop`) and Ctrl-C stop a run with its clean-up: unlike a
    kill, nothing is left for the next run to tidy — no staging folder, no previous output
    aside or half deleted, no lock — and ``out`` is whole: the old output until the new one
    is in, the new one after (the fallback's two renames finish before the signal acts)."""
    old_args, new_args, env = _two_builds(swap)
    old, new = _old_and_new(repo, old_args, new_args, env)
    names = sorted(p.name for p in repo.iterdir())
    seen = []
    for number in range(1, 30):
        stopped = run_cli([*new_args, "--out", "out"], repo, DUNNING_TEST_SIGNAL_AT_STEP=f"{number}:{stop}", **env)
        if stopped.returncode == 0:
            break
        assert stopped.returncode == code, stopped.stderr
        assert stopped.stderr.endswith({"TERM": "dunning: stopped (SIGTERM)\n", "INT": "\nAborted!\n"}[stop])
        assert sorted(p.name for p in repo.iterdir()) == names, number
        state = contents(repo / "out")
        assert state in (old, new), number
        seen.append("new" if state == new else "old")
        if state == new:  # back to the old output for the next step
            assert CliRunner().invoke(main, [*old_args, "--out", "out"], env=env).exit_code == 0
    assert stopped.returncode == 0
    # lock, staging, plans, messages, manifest, marker, (aside,) in place, removed
    assert seen == {"exchange": ["old"] * 6 + ["new"] * 2, "rename": ["old"] * 6 + ["new"] * 3}[swap]


def test_serve_claims_its_folder_so_a_later_build_may_replace_it(repo: Path) -> None:
    OutputDir(repo / "out", protect=(repo,)).claim("handbook-src")
    (repo / "out" / "handbook-src").mkdir()  # what serve then writes there, in place
    assert (repo / "out" / ".dunning-output").read_bytes() == (
        b'{\n  "schema_version": 1,\n  "written_by": "dunning",\n  "entries": [\n    "handbook-src"\n  ]\n}\n'
    )
    assert stat.S_IMODE((repo / "out").stat().st_mode) == 0o700
    result = CliRunner().invoke(main, [*PLAN, "--out", "out", "-q", "."])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (repo / "out").iterdir()) == [
        ".dunning-output", "actions.csv", "plans.jsonl", "rejects.csv", "summary.json",
    ]  # fmt: skip


def test_two_builds_started_together_never_mix(repo: Path) -> None:
    build = ["build", *DEMO, "--no-pdf", "--no-handbook", "--out", "out", "-q", "."]
    runs = [start_cli([*build, "--as-of", day], repo) for day in ("2026-11-28", "2026-11-29")]
    codes = [run.wait(timeout=300) for run in runs]
    # the second either found the first's lock (2) or started after it ended (0)
    assert codes[0] in (0, 2) and codes[1] in (0, 2) and 0 in codes, codes
    finished = [day for day, code in zip(("2026-11-28", "2026-11-29"), codes, strict=True) if code == 0]
    _consistent(repo / "out", *finished)  # one whole run's output (either, when both ran in turn)
    assert sorted(p.name for p in repo.iterdir()) == ["examples", "out", "policies", "site", "templates"]


def test_a_folder_in_the_staging_name_that_dunning_did_not_make_is_refused(repo: Path, tmp_path: Path) -> None:
    (repo / ".out.dunning-staging").mkdir()
    (repo / ".out.dunning-staging" / "thesis.tex").write_text("\\\\begin{document}\n", encoding="utf-8")
    _refused(
        tmp_path,
        [*PLAN, "--out", "out", "."],
        f"error: {repo / '.out.dunning-staging'} is in the way and was not left there by dunning\n"
        "  hint: move it away; dunning stages its output under that name\n",
    )


def test_append_hashed_appends_each_piece_to_its_file_and_digest(tmp_path: Path) -> None:
    # more than one buffer (1 MiB) in each piece, an empty piece, and the rest of the file
    data = bytes(range(256)) * 9000  # 2,304,000 bytes
    source = tmp_path / "run"
    source.write_bytes(data)
    targets = [tmp_path / f"out{n}" for n in range(3)]
    for target in targets:
        target.write_bytes(b"head")
    digests = [hashlib.sha256(b"head") for _ in targets]
    fds = [os.open(target, os.O_WRONLY | os.O_APPEND) for target in targets]
    try:
        append_hashed(source, [(1_100_000, fds[0], digests[0]), (0, fds[1], digests[1]), (None, fds[2], digests[2])])
    finally:
        for fd in fds:
            os.close(fd)
    expected = [b"head" + data[:1_100_000], b"head", b"head" + data[1_100_000:]]
    assert [target.read_bytes() for target in targets] == expected
    assert [digest.hexdigest() for digest in digests] == [hashlib.sha256(e).hexdigest() for e in expected]
    assert source.read_bytes() == data  # the source is left for its caller to remove


def test_marks_go_to_the_file_named_by_dunning_marks_and_nowhere_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # benchmarks/build_timeline.py shows them beside the processes' CPU; a step is one too
    import time

    from dunning.outdir import mark, step

    target = tmp_path / "marks"
    monkeypatch.delenv("DUNNING_MARKS", raising=False)
    monkeypatch.delenv("DUNNING_TEST_SIGNAL_AT_STEP", raising=False)
    mark("unseen")
    assert not target.exists()
    monkeypatch.setenv("DUNNING_MARKS", str(target))
    before = time.time()
    mark("validate")
    step("plans written")
    lines = [line.split(" ", 2) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(pid, what) for _, pid, what in lines] == [
        (str(os.getpid()), "validate"),
        (str(os.getpid()), "plans written"),
    ]
    assert all(before - 1 <= float(at) <= time.time() + 1 for at, _, _ in lines)
    assert target.stat().st_mode & 0o777 == 0o600
