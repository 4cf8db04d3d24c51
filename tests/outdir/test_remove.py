"""Removing a previous output with its deletions over threads (``dunning.remove``): everything
under the folder goes, nothing a link inside it points at does, and a folder that is itself
a link is refused, as :func:`shutil.rmtree` does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dunning import remove
from dunning.remove import remove_tree


def _outside(tmp_path: Path) -> Path:
    """A folder beside the one removed, with a file in it: what a planted link points at."""
    outside = tmp_path / "outside"
    (outside / "keep").mkdir(parents=True)
    (outside / "keep" / "a.txt").write_text("kept", encoding="utf-8")
    return outside


def test_a_whole_tree_goes_and_what_its_links_point_at_stays(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    out = tmp_path / "previous"
    emails = out / "messages" / "email"
    emails.mkdir(parents=True)
    for number in range(remove._SPREAD_FROM * 3 + 5):  # spread over the threads
        (emails / f"A{number:06d}.eml").write_bytes(b"x" * number)
    (out / "messages" / "sms.jsonl").write_text("{}\n", encoding="utf-8")  # a folder of one file: not spread
    (out / "handbook" / "a" / "b" / "c").mkdir(parents=True)
    (out / "handbook" / "a" / "b" / "c" / "index.html").write_text("<p>", encoding="utf-8")
    (out / "empty").mkdir()
    (out / "link-to-folder").symlink_to(outside / "keep")
    (emails / "link-to-file").symlink_to(outside / "keep" / "a.txt")
    (out / "dangling").symlink_to(tmp_path / "nowhere")

    remove_tree(out)

    assert not os.path.lexists(out)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "outside",
        "outside/keep",
        "outside/keep/a.txt",
    ]
    assert (outside / "keep" / "a.txt").read_text(encoding="utf-8") == "kept"


def test_a_folder_that_is_a_link_is_refused_and_its_target_kept(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    link = tmp_path / "out"
    link.symlink_to(outside)
    with pytest.raises(OSError) as refused:
        remove_tree(link)
    assert str(refused.value) == f"Cannot call remove_tree on a symbolic link: {link}"
    remove_tree(link, ignore_errors=True)
    assert link.is_symlink()
    assert (outside / "keep" / "a.txt").read_text(encoding="utf-8") == "kept"


def test_a_missing_folder_raises_unless_errors_are_ignored(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        remove_tree(tmp_path / "gone")
    remove_tree(tmp_path / "gone", ignore_errors=True)
    assert list(tmp_path.iterdir()) == []


def test_an_entry_that_cannot_go_is_raised_after_the_rest_went(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "previous"
    out.mkdir()
    names = [f"m{number:04d}" for number in range(remove._SPREAD_FROM * 2)]
    for name in names:
        (out / name).write_bytes(b"x")
    unlink = os.unlink

    def refusing(name: str, *, dir_fd: int | None = None) -> None:
        if name == "m0007":
            raise PermissionError(13, "Permission denied", name)
        unlink(name, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", refusing)
    with pytest.raises(PermissionError, match="m0007"):
        remove_tree(out)
    assert sorted(p.name for p in out.iterdir()) == ["m0007"]  # every other file went; the folder stays
    remove_tree(out, ignore_errors=True)
    assert sorted(p.name for p in out.iterdir()) == ["m0007"]
