"""What every page generator gets: the compiled policy, the as-of date, the revision, and how to
link a policy element back to the YAML line it was written on."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from dunning.handbook.gitinfo import Revision
from dunning.policy.model import Policy, Source

if TYPE_CHECKING:
    from dunning.validate import Validation

SOURCE_DIR = "source"


@dataclass(frozen=True)
class Page:
    """One generated Markdown page, ``path`` relative to the docs folder."""

    path: str
    title: str
    body: str
    source: Source | None = None  # the YAML the page is mostly about ("edit this page")


@dataclass(frozen=True)
class SourceLinks:
    """Turns a :class:`Source` into a link.

    With a repository web address (``--repo-url``, or git's ``origin``) a link points at the
    file and line in the repository at the built commit, and "edit this page" at the file on
    its branch; otherwise at the handbook's own numbered copy of the file (``source/…``), so a
    handbook opened from disk still leads to the line.
    """

    repo_url: str | None = None
    ref: str | None = None  # commit for line links
    branch: str | None = None  # branch for edit links
    prefix: str = ""  # the policy root inside the repository

    def _repo_path(self, file: str) -> str:
        return f"{self.prefix}/{file}" if self.prefix else file

    def line(self, source: Source, page: str) -> str:
        """A link from the page ``page`` to ``source``'s file and line."""
        if self.repo_url and self.ref:
            return f"{self.repo_url}/blob/{self.ref}/{self._repo_path(source.file)}#L{source.line}"
        return relative(page, source_page_path(source.file)) + f"#L{source.line}"

    def edit(self, source: Source, page: str) -> str:
        """Where to change ``source``: the repository's editor, else the numbered copy."""
        if self.repo_url and (self.branch or self.ref):
            return f"{self.repo_url}/edit/{self.branch or self.ref}/{self._repo_path(source.file)}"
        return self.line(source, page)


def source_page_path(file: str) -> str:
    """The docs path of the numbered copy of a policy or template file."""
    return f"{SOURCE_DIR}/{file}.md"


def relative(from_page: str, to_path: str) -> str:
    """A relative link between two docs paths."""
    return posixpath.relpath(to_path, posixpath.dirname(from_page) or ".")


@dataclass(frozen=True)
class HandbookContext:
    """Inputs of every page generator."""

    policy: Policy
    root: Path
    as_of: date
    revision: Revision | None
    links: SourceLinks = field(default_factory=SourceLinks)
    # what validate found in this policy, when the caller has just run it (`dunning build`):
    # the review page shows it instead of validating a second time (≈ 0.2 s of CPU)
    found: Validation | None = None

    def link(self, source: Source, page: str, label: str | None = None) -> str:
        """A Markdown link to ``source`` from ``page``: ``[policies/tiers.yaml:5](…)``."""
        from dunning.handbook.markdown import text

        shown = label if label is not None else f"{source.file}:{source.line}"
        return f"[{text(shown)}]({self.links.line(source, page)})"

    def edit_line(self, source: Source, page: str) -> str:
        """The "edit this page" line at the top of a generated page."""
        from dunning.handbook.markdown import text

        return (
            f"✎ [Edit this page: {text(source.file)}, line {source.line}]"
            f"({self.links.edit(source, page)}){{ .hb-edit }}\n"
        )
