"""The policy as it was at a git revision: ``policies/`` and ``templates/`` extracted from
``git archive`` into a scratch folder and compiled exactly like the working tree.

Nothing is checked out, so the reviewer's working tree (and the shared index) is never
touched; git runs as a subprocess with an argument list, never through a shell, so a ref
name cannot inject a command.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dunning.errors import UserError
from dunning.load.repository import POLICY_DIR, TEMPLATE_DIR, find_root, resolves_inside
from dunning.policy import load_and_compile
from dunning.policy.model import Policy
from dunning.problems import Level

WORKING_TREE = "WORKTREE"  # the --head value that means "the files on disk"
_FETCH_HINT = (
    "fetch it first (`git fetch origin main`); in GitHub Actions check out with `fetch-depth: 0`, or pass a commit id"
)


@dataclass(frozen=True)
class PolicyRevision:
    """A compiled policy and where it came from: a ref and its commit, or the working tree."""

    label: str  # what the user asked for: a ref name, or "working tree"
    commit: str | None  # full commit id; None for the working tree
    policy: Policy
    root: Path  # folder holding policies/ and templates/ (a scratch copy for a revision)
    prefix: str = ""  # the policy root's folder inside the git repository ("" at the top)

    def template_text(self, rel: str) -> str | None:
        """The text of ``templates/<rel>`` in this revision, None when the file is missing."""
        path = self.root / TEMPLATE_DIR / rel
        if path.is_symlink() or not resolves_inside(self.root / TEMPLATE_DIR, path) or not path.is_file():
            return None
        try:
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None

    def template_files(self) -> tuple[str, ...]:
        """Every regular file under ``templates/``, relative to it, sorted."""
        base = self.root / TEMPLATE_DIR
        if not base.is_dir():
            return ()
        found = []
        for dirpath, _dirs, names in os.walk(base):
            for name in names:
                found.append((Path(dirpath) / name).relative_to(base).as_posix())
        return tuple(sorted(found))


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    # GIT_OPTIONAL_LOCKS=0: reading must never take the index lock of a tree others work in.
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
    except OSError as exc:
        raise UserError(f"cannot run git: {exc.strerror}", "install git, or compare two folders instead") from exc


def _toplevel(root: Path) -> Path:
    done = _git(root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        raise UserError(
            f"{root} is not inside a git work tree, so it has no revisions to compare",
            "run `dunning diff` inside the policy repository's git checkout",
        )
    return Path(done.stdout.decode().strip()).resolve()


def resolve_commit(root: Path, ref: str) -> str:
    """The full commit id ``ref`` names in the repository at ``root``; UserError when unknown."""
    if not ref or ref.startswith("-"):
        # A leading dash would be read by git as an option.
        raise UserError(f"{ref!r} is not a git revision", "pass a branch, tag or commit id, e.g. `--base origin/main`")
    done = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if done.returncode != 0:
        raise UserError(f"unknown git revision {ref!r}", _FETCH_HINT)
    return done.stdout.decode().strip()


def _compile(root: Path, label: str) -> Policy:
    loaded = load_and_compile(root)
    if loaded.policy is None:
        errors = [p for p in loaded.problems if p.level == Level.ERROR]
        first = "; ".join(f"{p.file}:{p.line}:{p.col}: {p.code} {p.message}" for p in errors[:3])
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise UserError(
            f"the policy at {label} does not compile: {first}{more}",
            f"run `dunning validate` on {label}; only valid policies can be compared",
        )
    return loaded.policy


def _extract(toplevel: Path, commit: str, prefix: str, dest: Path) -> None:
    wanted = [f"{prefix}{name}" for name in (POLICY_DIR, TEMPLATE_DIR)]
    listed = _git(toplevel, "ls-tree", "--name-only", commit, "--", *wanted)
    present = [line for line in listed.stdout.decode().splitlines() if line]
    if f"{prefix}{POLICY_DIR}" not in present:
        raise UserError(
            f"revision {commit[:12]} has no `{prefix}{POLICY_DIR}/` folder",
            "compare against a revision that already holds the policy",
        )
    archive = _git(toplevel, "archive", "--format=tar", commit, "--", *present)
    if archive.returncode != 0:
        raise UserError(f"git archive failed for {commit[:12]}: {archive.stderr.decode().strip()}", _FETCH_HINT)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        try:
            # The "data" filter refuses absolute paths, links leaving dest and device files:
            # a pull request's templates/ must not be able to write or point outside the scratch folder.
            tar.extractall(dest, filter="data")
        except tarfile.FilterError as exc:
            raise UserError(
                f"revision {commit[:12]} holds an unsafe file: {exc}",
                "templates/ and policies/ may not contain links that leave the repository",
            ) from exc


@contextmanager
def open_revision(path: Path, ref: str | None) -> Iterator[PolicyRevision]:
    """The compiled policy at ``ref`` (None or ``WORKTREE``: the working tree) of the policy
    repository at ``path``. The scratch copy lives until the ``with`` block ends, so templates
    can still be rendered from it."""
    root = find_root(path)
    if ref is None or ref == WORKING_TREE:
        yield PolicyRevision("working tree", None, _compile(root, "the working tree"), root)
        return
    toplevel = _toplevel(root)
    commit = resolve_commit(toplevel, ref)
    rel = root.relative_to(toplevel).as_posix()
    prefix = "" if rel == "." else rel + "/"
    with tempfile.TemporaryDirectory(prefix="dunning-rev-") as tmp:
        _extract(toplevel, commit, prefix, Path(tmp))
        rev_root = Path(tmp) / prefix if prefix else Path(tmp)
        yield PolicyRevision(ref, commit, _compile(rev_root, f"{ref} ({commit[:12]})"), rev_root, prefix)


__all__ = ["WORKING_TREE", "PolicyRevision", "open_revision", "resolve_commit"]
