"""The validation corpus: every case under tests/cases/ reports exactly its expected findings.

See tests/cases/README.md. Run as a script with a case name to print what it reports now.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from dunning.rules import catalogue
from dunning.validate import validate

CASES = Path(__file__).resolve().parent / "cases"
BASE = CASES / "_base"
OUTSIDE = "outside-the-repository.txt"  # next to the case's repository, for symlinks.txt
SECRET = "SECRET-LINE-THAT-MUST-NOT-BE-PRINTED: 1\n"
NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_"))


def build(case: str, into: Path) -> Path:
    """Lay out the case's repository: the base, minus delete.txt, plus the case's files."""
    repo = into / case
    shutil.copytree(BASE, repo)
    folder = CASES / case
    deletions = folder / "delete.txt"
    if deletions.is_file():
        for line in deletions.read_text(encoding="utf-8").splitlines():
            if line.strip():
                (repo / line.strip()).unlink()
    for part in ("policies", "templates"):
        if (folder / part).is_dir():
            shutil.copytree(folder / part, repo / part, dirs_exist_ok=True)
    links = folder / "symlinks.txt"
    if links.is_file():
        # a file outside the repository that a symlink of the case points at
        (into / OUTSIDE).write_text(SECRET, encoding="utf-8")
        for line in links.read_text(encoding="utf-8").splitlines():
            if "->" in line:
                link, target = (part.strip() for part in line.split("->", 1))
                (repo / link).parent.mkdir(parents=True, exist_ok=True)
                (repo / link).unlink(missing_ok=True)
                (repo / link).symlink_to(target)
    return repo


def findings(repo: Path, *, with_law: bool) -> list[str]:
    """``file:line:col CODE`` of every finding, in output order."""
    _loaded, problems = validate(repo)
    return [f"{p.location} {p.code}" for p in problems if with_law or not p.code.startswith("L")]


def expected(case: str) -> list[str]:
    text = (CASES / case / "expected.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("case", NAMES)
def test_case(case: str, tmp_path: Path) -> None:
    want = expected(case)
    repo = build(case, tmp_path)
    got = findings(repo, with_law=any(" L" in w for w in want))
    assert got == want
    _loaded, problems = validate(repo)
    assert all(SECRET.strip() not in f"{p.message} {p.hint} {p.excerpt}" for p in problems)


def test_base_is_clean(tmp_path: Path) -> None:
    repo = tmp_path / "base"
    shutil.copytree(BASE, repo)
    assert findings(repo, with_law=True) == []


def test_every_rule_code_has_a_case() -> None:
    covered = {line.rsplit(" ", 1)[1] for case in NAMES for line in expected(case)}
    codes = {doc.code for doc in catalogue() if not doc.code.startswith("L")}
    assert sorted(codes - covered) == []


if __name__ == "__main__":  # pragma: no cover - a helper for writing expected.txt
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for line in findings(build(sys.argv[1], Path(tmp)), with_law=True):
            print(line)
