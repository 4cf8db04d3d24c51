"""Find and load every policy file of a repository (``policies/**/*.yaml``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dunning.errors import UserError
from dunning.load.documents import SourceFile
from dunning.load.yaml_source import decode, load_yaml_text

POLICY_DIR = "policies"
TEMPLATE_DIR = "templates"


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
    policy_dir = root / POLICY_DIR
    paths = sorted(p for p in policy_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for p in paths:
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
    return repo
