"""Acknowledged findings: notes and warnings the policy owners have looked at and accept.

Two ways to acknowledge, as linters allow:

* inline, on the line the finding points at (or alone on the line above it)::

      - day: 10   # dunning: ignore[L002] MA accounts are called by the MA team's own cadence

  (in a template: ``{# dunning: ignore[T104] reason #}``); several codes: ``ignore[L002,P110]``;
* a policy-level list, the ``acknowledgements`` section: ``code`` and ``reason``, and to
  narrow it ``file`` and ``contains`` (text of the finding's message).

An acknowledged finding is listed once in the summary with its reason and does not fail
``--strict``. Errors cannot be acknowledged (the stricter reading: an error is something
the tool will not do, not a judgement call). An acknowledgement that matches no finding is
itself reported (A001), so stale acknowledgements do not pile up; one without a reason, or
on an error, is reported too (A002).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from dunning.load.repository import PolicyRepository
from dunning.policy.model import Policy
from dunning.problems import Level, Problem

UNUSED = "A001"
MALFORMED = "A002"
_INLINE = re.compile(r"(?:#|\{#)\s*dunning:\s*ignore\[([^\]]*)\]([^\n]*)")
_CODE = re.compile(r"[A-Z][0-9]{3}")
_TEMPLATE_CLOSE = re.compile(r"\s*-?#\}.*$")


@dataclass(frozen=True)
class Acknowledged:
    """A finding and why the policy accepts it; ``where`` is the acknowledgement's place."""

    problem: Problem
    reason: str
    where: str
    inline: bool  # a comment at the finding, or an entry of the policy's acknowledgements

    def as_dict(self) -> dict[str, object]:
        """Plain data for the JSON reporter."""
        return {**self.problem.as_dict(), "reason": self.reason, "acknowledged_at": self.where}


@dataclass
class _Note:
    """One acknowledgement as written, and whether some finding used it."""

    codes: tuple[str, ...]
    reason: str
    file: str | None
    line: int  # inline: the line it covers; 0 for a policy-level entry (any line)
    col: int
    where: str
    contains: str | None = None
    standalone: bool = False  # inline, alone on its line: it covers the next line
    used: bool = False

    def covers(self, problem: Problem) -> bool:
        if problem.code not in self.codes or (self.file is not None and problem.file != self.file):
            return False
        if self.contains is not None and self.contains not in problem.message:
            return False
        if self.line == 0:
            return True
        return problem.line == self.line or (self.standalone and problem.line == self.line + 1)


def _inline(path: str, text: str) -> Iterator[_Note | Problem]:
    """The inline acknowledgements of one file, and a finding for each malformed one."""
    if "dunning:" not in text:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _INLINE.finditer(line):
            if "#" in line[: match.start()]:  # inside a comment that is about something else
                continue
            col = match.start() + 1
            codes = tuple(c.strip() for c in match.group(1).split(","))
            reason = " ".join(_TEMPLATE_CLOSE.sub("", match.group(2)).split())
            bad = [c for c in codes if not _CODE.fullmatch(c)]
            if bad or not reason:
                what = f"code {bad[0]!r} is not a rule code" if bad else "it gives no reason"
                yield Problem(
                    path,
                    number,
                    col,
                    Level.WARNING,
                    MALFORMED,
                    f"this acknowledgement is not used: {what}",
                    "write `dunning: ignore[CODE] why the finding is accepted`, e.g. ignore[L002] MA has its own team",
                )
                continue
            standalone = not line[: match.start()].strip()
            yield _Note(codes, reason, path, number, col, f"{path}:{number}", standalone=standalone)


def _notes(policy: Policy | None, repo: PolicyRepository) -> tuple[list[_Note], list[Problem]]:
    notes: list[_Note] = []
    problems: list[Problem] = []
    texts: list[tuple[str, str]] = [(f.path, f.text) for f in repo.files]
    root = repo.template_root
    for rel in repo.template_files():
        template = root / rel
        if template.is_symlink() or not template.is_file():
            continue
        try:
            texts.append((f"templates/{rel}", template.read_text(encoding="utf-8", errors="replace")))
        except OSError:  # reported by the template rules
            continue
    for name, text in texts:
        for item in _inline(name, text):
            if isinstance(item, _Note):
                notes.append(item)
            else:
                problems.append(item)
    if policy is not None:
        for ack in policy.acknowledgements:
            src = ack.source
            notes.append(_Note((ack.code,), ack.reason, ack.file, 0, src.col, f"{src.file}:{src.line}", ack.contains))
    return notes, problems


def grouped(acknowledged: Sequence[Acknowledged]) -> list[tuple[str, str, str, list[Problem]]]:
    """The acknowledged findings by acknowledgement: (code, reason, where, findings), in the
    order of each group's first finding: how reporters list each reason once."""
    groups: dict[tuple[str, str, str], list[Problem]] = {}
    for ack in acknowledged:
        groups.setdefault((ack.problem.code, ack.reason, ack.where), []).append(ack.problem)
    return [(code, reason, where, found) for (code, reason, where), found in groups.items()]


def acknowledge(
    problems: Iterable[Problem], policy: Policy | None, repo: PolicyRepository
) -> tuple[list[Problem], list[Acknowledged]]:
    """Split ``problems`` into the open ones (with A001/A002 findings about the
    acknowledgements added) and the acknowledged ones, both sorted by position."""
    notes, found = _notes(policy, repo)
    open_: list[Problem] = []
    accepted: list[Acknowledged] = []
    for problem in problems:
        note = next((n for n in notes if n.covers(problem)), None)
        if note is None:
            open_.append(problem)
            continue
        note.used = True
        if problem.level is Level.ERROR:
            open_.append(problem)
            found.append(
                Problem(
                    note.where.rsplit(":", 1)[0],
                    int(note.where.rsplit(":", 1)[1]),
                    note.col,
                    Level.WARNING,
                    MALFORMED,
                    f"errors cannot be acknowledged ({problem.code} at {problem.location})",
                    "fix the error; only notes and warnings can be accepted with a reason",
                )
            )
            continue
        accepted.append(Acknowledged(problem, note.reason, note.where, inline=note.line != 0))
    for note in notes:
        if not note.used:
            file, line = note.where.rsplit(":", 1)
            scope = f" in {note.file}" if note.file and note.line == 0 else ""
            about = f" mentioning {note.contains!r}" if note.contains else ""
            found.append(
                Problem(
                    file,
                    int(line),
                    note.col,
                    Level.WARNING,
                    UNUSED,
                    f"acknowledgement of {', '.join(note.codes)}{scope}{about} matches no finding",
                    "remove it: the finding it accepted is gone (or moved: acknowledge it where it is now)",
                )
            )
    return sorted({*open_, *found}), sorted(accepted, key=lambda a: a.problem)
