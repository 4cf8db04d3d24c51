"""``dunning build`` writes the customer file of every account a person handles (visit, legal
review, agency) into messages/cases/, linked from the sheet, the case and the agency row."""

from __future__ import annotations

import hashlib
import stat
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.render.cases import case_file_name, case_link

DEMO = ["--accounts", "examples/accounts.csv", "--history", "examples/history.csv", "--as-of", "2026-11-28"]


@pytest.fixture(scope="module")
def built(example_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The README's example build (relative paths, run from the repository), a week's horizon."""
    out = tmp_path_factory.mktemp("cases") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(example_root)
        args = ["build", *DEMO, "--horizon", "7", "--out", str(out), "--no-pdf", "--no-handbook", "-j", "1", "."]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out, result.output


def _case(example_root: Path, account: str, fmt: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(example_root)
        result = CliRunner().invoke(main, ["case", account, *DEMO, "--horizon", "7", "--format", fmt, "."])
    assert result.exit_code == 0, result.output
    return result.output


def test_exactly_the_accounts_with_a_human_step_get_a_file(built: tuple[Path, str]) -> None:
    out, output = built
    cases = out / "messages" / "cases"
    assert sorted(p.name for p in cases.iterdir()) == [
        "CN-0027.html", "CN-0027.json",  # visit, deferred
        "CN-0028.html", "CN-0028.json",  # legal review
        "US-0029.html", "US-0029.json",  # agency placement
    ]  # fmt: skip
    assert f"case files: 3 (HTML and JSON) in {out / 'messages' / 'cases'}\n" in output
    humans = set()
    for line in (out / "plans.jsonl").read_bytes().splitlines():
        plan = orjson.loads(line)
        for action in plan["actions"]:
            if action["channel"] in ("visit", "legal_review", "agency") and action["status"] != "suppressed":
                humans.add(plan["account_id"])
    assert humans == {"CN-0027", "CN-0028", "US-0029"}


@pytest.mark.parametrize("account", ["CN-0027", "CN-0028", "US-0029"])
@pytest.mark.parametrize("fmt", ["html", "json"])
def test_each_file_is_what_dunning_case_prints(
    built: tuple[Path, str], example_root: Path, account: str, fmt: str
) -> None:
    out, _ = built
    written = (out / "messages" / "cases" / f"{account}.{fmt}").read_text(encoding="utf-8")
    assert written == _case(example_root, account, fmt)


def test_case_files_are_owner_only_and_in_the_manifest(built: tuple[Path, str]) -> None:
    out, _ = built
    cases = out / "messages" / "cases"
    assert stat.S_IMODE(cases.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in cases.iterdir()} == {0o600}
    manifest = orjson.loads((out / "manifest.json").read_bytes())
    listed = {k: v for k, v in manifest["outputs"].items() if k.startswith("messages/cases/")}
    assert listed == {
        f"messages/cases/{p.name}": hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(cases.iterdir())
    }
    assert manifest["counts"] == {
        "agency": 1, "call": 96, "case_files": 3, "email": 24, "legal_review": 1, "letter": 8, "render_failed": 0,
        "sms": 9, "visit": 1,
    }  # fmt: skip


def test_the_sheet_the_case_and_the_agency_row_link_to_the_file(built: tuple[Path, str]) -> None:
    out, _ = built
    messages = out / "messages"
    sheet = messages / "visits" / "CN-0027-late-visit70-20261128.txt"
    assert sheet.read_text(encoding="utf-8").endswith("\n\n客户档案：../cases/CN-0027.html\n")
    assert (sheet.parent / "../cases/CN-0027.html").resolve() == (messages / "cases" / "CN-0027.html").resolve()
    legal = messages / "legal_review" / "CN-0028-recovery-legal_review105-20261203.txt"
    lines = legal.read_text(encoding="utf-8").splitlines()
    assert lines[10:12] == ["reasons: step/recovery/legal_review@105", "case_file: ../cases/CN-0028.html"]
    assert (legal.parent / "../cases/CN-0028.html").is_file()
    agency = messages / "agency" / "northwind-recovery.csv"
    header, row = (line.split(",") for line in agency.read_text(encoding="utf-8").splitlines())
    assert header[-1] == "case_file" and row[0] == "US-0029" and row[-1] == "../cases/US-0029.html"
    assert (agency.parent / row[-1]).is_file()


def test_render_alone_writes_no_case_files(example_root: Path, tmp_path: Path) -> None:
    # `dunning render` has no history nor horizon to build a file from: no files, no links
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(example_root)
        plan = ["plan", *DEMO, "--horizon", "7", "--out", str(tmp_path / "p"), "-q", "."]
        assert CliRunner().invoke(main, plan).exit_code == 0
        result = CliRunner().invoke(main, ["render", "--plans", str(tmp_path / "p"), "--no-pdf", "-j", "1", "."])
    assert result.exit_code == 0, result.output
    assert "case files" not in result.output
    messages = tmp_path / "p" / "messages"
    assert not (messages / "cases").exists()
    header, row = (messages / "agency" / "northwind-recovery.csv").read_text(encoding="utf-8").splitlines()
    assert header.endswith(",dpd,case_file") and row.startswith("US-0029,") and row.endswith(",")
    assert "counts" in (manifest := orjson.loads((tmp_path / "p" / "manifest.json").read_bytes()))
    assert "case_files" not in manifest["counts"]


def test_an_unsafe_account_id_gets_a_safe_file_name() -> None:
    digest = hashlib.sha256(b"CN/../0001 x").hexdigest()[:10]
    assert case_file_name("CN/../0001 x") == f"cases/CN_.._0001_x-{digest}.html"
    assert case_file_name("CN-0001", "json") == "cases/CN-0001.json"
    assert case_link("CN/../0001 x") == f"../cases/CN_.._0001_x-{digest}.html"


def test_an_agency_that_does_not_list_case_file_gets_no_link(example_root: Path, tmp_path: Path) -> None:
    # data minimisation: the case file's path names the account, so it goes only where listed
    import shutil

    root = tmp_path / "repo"
    for name in ("policies", "templates", "site", "examples"):
        shutil.copytree(example_root / name, root / name)
    portfolio = root / "policies" / "portfolio.yaml"
    text = portfolio.read_text(encoding="utf-8")
    portfolio.write_text(text.replace(", dpd, case_file]", ", dpd]"), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        args = ["build", *DEMO, "--horizon", "7", "--out", "out", "--no-pdf", "--no-handbook", "-j", "1", "."]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    messages = root / "out" / "messages"
    header, row = (messages / "agency" / "northwind-recovery.csv").read_text(encoding="utf-8").splitlines()
    assert header == "account_id,name,address,postal_code,phone,currency,overdue_amount,due_date,dpd"
    assert row.startswith("US-0029,") and "cases" not in row
    assert (messages / "cases" / "US-0029.html").is_file()  # the lender's own copy is still written


def test_the_rows_kept_while_render_reads_give_the_files_a_second_read_gives(
    built: tuple[Path, str], example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dunning.policy import require_policy
    from dunning.render import cases
    from dunning.render.account_rows import RawRows, read_account_rows
    from dunning.render.run import _candidates

    out, _ = built
    human: set[str] = set()
    wanted, _ = _candidates(out / "plans.jsonl", human)
    assert {"CN-0027", "CN-0028", "US-0029"} <= human < set(wanted)  # a superset of the human steps
    snapshot = example_root / "examples" / "accounts.csv"
    raw = RawRows(frozenset(human))
    read_account_rows(snapshot, wanted, raw=raw)
    policy = require_policy(example_root)
    request = cases.CaseRequest(date(2026, 11, 28), example_root / "examples" / "history.csv", 7)
    ids = ["CN-0027", "CN-0028", "US-0029"]
    read_again = cases.write_case_files(tmp_path / "a", policy, snapshot, ids, request)
    reads: list[frozenset[str]] = []
    original = cases._accounts

    def counted(path: Path, wanted: frozenset[str], policy: object) -> object:
        reads.append(wanted)
        return original(path, wanted, policy)  # type: ignore[arg-type]

    monkeypatch.setattr(cases, "_accounts", counted)
    assert cases.write_case_files(tmp_path / "b", policy, snapshot, ids, request, raw) == read_again
    assert reads == []  # no second read of the snapshot
    partial = RawRows(frozenset({"CN-0027"}), raw.frames)
    assert cases.write_case_files(tmp_path / "c", policy, snapshot, ids, request, partial) == read_again
    assert reads == [frozenset({"CN-0028", "US-0029"})]  # read again only for the accounts not kept
    for folder in ("b", "c"):
        for relative, _ in read_again:
            assert (tmp_path / folder / relative).read_bytes() == (tmp_path / "a" / relative).read_bytes()
