"""Find and load every policy file of a repository (``policies/**/*.yaml``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dunning.errors import UserError
from dunning.load.documents import SourceFile
from dunning.load.yaml_source import decode, load_yaml_text
from dunning.problems import Level, Problem

POLICY_DIR = "policies"
TEMPLATE_DIR = "templates"
# A long letter is ~5k characters; a template 50 times that is a mistake or an attack, and
# parsing it costs ~200 times its size in memory (Jinja's node tree, the tag index).
MAX_TEMPLATE_BYTES = 256 * 1024


def resolves_inside(root: Path, path: Path) -> bool:
    """True when ``path``, every symlink on the way resolved, is inside ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a symlink loop
        return False


@dataclass
class RepositoryFiles:
    """The paths under one folder of a repository: regular files that stay inside the
    repository, and paths that resolve outside it (symlinks out, or through a symlinked
    folder), which nothing may read."""

    inside: list[Path] = field(default_factory=list)
    outside: list[Path] = field(default_factory=list)


def files_under(root: Path, folder: str) -> RepositoryFiles:
    """Every path under ``root/folder``, sorted, split by :func:`resolves_inside` (symlinked
    folders are listed, never walked into). Policy, template and handbook-page readers all
    go through here, so a symlink in a pull request cannot make dunning read a file outside
    the repository and print it into a CI log or publish it in the handbook."""
    found = RepositoryFiles()
    base = root / folder
    if not (base.is_dir() or base.is_symlink()):
        return found
    if not resolves_inside(root, base):
        found.outside.append(base)
        return found
    for dirpath, dirnames, filenames in os.walk(base):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath) / name
            if not resolves_inside(root, path):
                found.outside.append(path)
            elif name in filenames and path.is_file():
                found.inside.append(path)
    found.inside.sort()
    found.outside.sort()
    return found


def outside_problem(root: Path, path: Path, code: str) -> Problem:
    """The finding for a path that resolves outside the repository (never its target's text)."""
    rel = path.relative_to(root).as_posix()
    return Problem(
        rel,
        1,
        1,
        Level.ERROR,
        code,
        f"{rel} resolves outside the repository (a symlink out of it); it was not read",
        "replace the symlink with the file itself: dunning reads only files inside the repository",
    )


@dataclass
class PolicyRepository:
    """A policy repository on disk: its root, the loaded policy files, the template root."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)

    @property
    def template_root(self) -> Path:
        """Where message templates live; nothing outside it is ever read."""
        return self.root / TEMPLATE_DIR

    def template_files(self) -> list[str]:
        """Template paths relative to the template root, sorted (symlinks are listed, not followed)."""
        root = self.template_root
        if not root.is_dir():
            return []
        found = []
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                found.append((Path(dirpath) / name).relative_to(root).as_posix())
        return sorted(found)

    def problems(self) -> list[object]:
        """Every load-level problem of every file."""
        return [p for f in self.files for p in f.problems]


def find_root(path: Path) -> Path:
    """The repository root: ``path`` itself if it has ``policies/``, else the nearest parent that does."""
    path = path.resolve()
    for candidate in (path, *path.parents):
        if (candidate / POLICY_DIR).is_dir():
            return candidate
    raise UserError(
        f"no `{POLICY_DIR}/` folder in {path} or its parents",
        "run inside a policy repository, or pass its path: `dunning validate PATH`",
    )


def load_repository(path: Path) -> PolicyRepository:
    """Load every ``*.yaml``/``*.yml`` under ``policies/`` in sorted path order."""
    root = find_root(path)
    repo = PolicyRepository(root)
    files = files_under(root, POLICY_DIR)
    for p in files.outside:
        source = SourceFile(p.relative_to(root).as_posix(), "")
        source.problems.append(outside_problem(root, p, "Y009"))
        repo.files.append(source)
    for p in (p for p in files.inside if p.suffix in (".yaml", ".yml")):
        rel = p.relative_to(root).as_posix()
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read {rel}: {exc.strerror}", "check the file's permissions") from exc
        text, problem = decode(rel, raw)
        if text is None:
            source = SourceFile(rel, "")
            if problem is not None:
                source.problems.append(problem)
        else:
            source = load_yaml_text(rel, text)
        repo.files.append(source)
    repo.files.sort(key=lambda f: f.path)
    return repo
