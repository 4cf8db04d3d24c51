"""Registered template files, read safely and parsed once per validate run.

Template rules (T###) all look at the same files: every locale's file of every registered
template. This module reads each one through the render sandbox's loader (which refuses
paths that leave ``templates/``, symlinks included), parses it with the sandbox's Jinja
environment, and finds where in the source a name, attribute or filter is written (Jinja's
nodes carry a line, not a column).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar, cast

from jinja2 import Environment, TemplateNotFound, TemplateSyntaxError, nodes

from dunning.policy.model import Source, Template
from dunning.rules import RuleContext
from dunning.templating.sandbox import TemplateSandbox

N = TypeVar("N", bound=nodes.Node)
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


@dataclass
class TemplateFile:
    """One locale's file of one registered template."""

    template: Template
    locale: str
    name: str  # path relative to templates/
    text: str | None = None  # None when it could not be read safely
    filename: str = ""  # the real path, as the sandbox names it in tracebacks
    unreadable: str = ""  # why it could not be read
    tree: nodes.Template | None = None
    syntax_error: tuple[int, str] | None = None
    # node type (and each of its bases) -> its nodes in walk order; filled on the first find()
    _nodes: dict[type[nodes.Node], list[nodes.Node]] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> str:
        """Repository-relative path, as findings print it."""
        return f"templates/{self.name}"

    def source(self, line: int = 1, col: int = 1) -> Source:
        """A finding position in this file."""
        return Source(self.path, line, col)

    def find(self, kind: type[N]) -> list[N]:
        """Every node of ``kind`` in the parsed template (one walk per file, indexed by type:
        the template rules ask each file for its names, attributes and filters ~30 times)."""
        if self.tree is None:
            return []
        if not self._nodes:
            for node in self.tree.find_all(nodes.Node):
                for base in type(node).__mro__:
                    self._nodes.setdefault(base, []).append(node)
        return cast(list[N], list(self._nodes.get(kind, ())))  # only nodes of ``kind`` are filed under it

    @cached_property
    def tag_spans(self) -> list[tuple[int, int]]:
        """Character ranges of ``{{ }}``, ``{% %}`` and ``{# #}`` tags."""
        return [m.span() for m in _TAG.finditer(self.text or "")]

    @cached_property
    def line_starts(self) -> list[int]:
        """Offset of the first character of each line (index 0 = line 1)."""
        starts = [0]
        for m in re.finditer("\n", self.text or ""):
            starts.append(m.end())
        return starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        starts = self.line_starts
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, offset - starts[lo] + 1

    def find_in_tags(self, pattern: re.Pattern[str], line: int, group: int = 0) -> Source:
        """Where ``pattern`` first matches inside a Jinja tag on ``line`` (column 1 if nowhere)."""
        text = self.text or ""
        starts = self.line_starts
        begin = starts[line - 1] if 0 < line <= len(starts) else 0
        end = starts[line] if line < len(starts) else len(text)
        for m in pattern.finditer(text, begin):
            if m.start(group) >= end:
                break
            if any(a <= m.start(group) < b for a, b in self.tag_spans):
                return self.source(*self.position(m.start(group)))
        return self.source(line, 1)

    def prose(self) -> str:
        """The text with every Jinja tag blanked out (newlines kept, so offsets still match)."""
        text = self.text or ""
        return _TAG.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _sandbox(ctx: RuleContext) -> TemplateSandbox:
    cached = ctx.cache.get("sandbox")
    if isinstance(cached, TemplateSandbox):
        return cached
    sandbox = TemplateSandbox(ctx.repo.template_root)
    ctx.cache["sandbox"] = sandbox
    return sandbox


def sandbox(ctx: RuleContext) -> TemplateSandbox:
    """The render sandbox over this repository's ``templates/`` (one per run)."""
    return _sandbox(ctx)


def template_files(ctx: RuleContext) -> list[TemplateFile]:
    """Every registered template file that exists (missing ones are X015's), in path order."""
    cached = ctx.cache.get("template_files")
    if isinstance(cached, list):
        return cached
    box = _sandbox(ctx)
    root = ctx.repo.template_root
    parsed: dict[str, TemplateFile] = {}  # one read and parse per file, even if several locales share it
    files: list[TemplateFile] = []
    for template in ctx.policy.templates.values():
        for locale, name in sorted(template.files.items()):
            candidate = root / name
            if not (candidate.is_file() or candidate.is_symlink()):
                continue
            first = parsed.get(name)
            if first is None:
                first = parsed[name] = _read(box, TemplateFile(template, locale, name))
            file = TemplateFile(template, locale, name, first.text, first.filename, first.unreadable)
            file.tree, file.syntax_error, file._nodes = first.tree, first.syntax_error, first._nodes
            files.append(file)
    files.sort(key=lambda f: (f.name, f.locale, f.template.id))
    ctx.cache["template_files"] = files
    return files


def _read(box: TemplateSandbox, file: TemplateFile) -> TemplateFile:
    """Read (through the sandbox's loader) and parse one file, recording why when it fails."""
    try:
        file.text, file.filename, _ = box.loader.get_source(box.text_env, file.name)
    except TemplateNotFound as exc:
        file.unreadable = str(exc.message or exc)
        return file
    try:
        file.tree = box.text_env.parse(file.text, file.name)
    except TemplateSyntaxError as exc:
        file.syntax_error = (exc.lineno or 1, exc.message or "syntax error")
    except RecursionError:  # Jinja's parser recurses per nesting level
        file.syntax_error = (1, "expressions or blocks are nested too deeply")
    return file


def _included(ctx: RuleContext, file: TemplateFile) -> list[TemplateFile]:
    """The files ``file`` pulls in with include/extends/import (transitively, each once)."""
    box = _sandbox(ctx)
    parsed = ctx.cache.setdefault("included", {})
    assert isinstance(parsed, dict)
    out: list[TemplateFile] = []
    seen = {file.name}
    todo = [file]
    while todo:
        current = todo.pop()
        for node in current.find(nodes.Include) + current.find(nodes.Extends) + current.find(nodes.Import):
            target = node.template
            if not (isinstance(target, nodes.Const) and isinstance(target.value, str)) or target.value in seen:
                continue
            seen.add(target.value)
            if target.value not in parsed:
                parsed[target.value] = _read(box, TemplateFile(file.template, file.locale, target.value))
            included = parsed[target.value]
            out.append(included)
            todo.append(included)
    return out


def uses(ctx: RuleContext, file: TemplateFile, obj: str, *attrs: str) -> bool:
    """True when the template (or a file it includes) reads ``obj.attr`` for one of ``attrs``."""
    for part in (file, *_included(ctx, file)):
        for node in part.find(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and node.node.name == obj and node.attr in attrs:
                return True
        for item in part.find(nodes.Getitem):
            if (
                isinstance(item.node, nodes.Name)
                and item.node.name == obj
                and isinstance(item.arg, nodes.Const)
                and item.arg.value in attrs
            ):
                return True
    return False


def served_by(ctx: RuleContext, locale: str, country: str) -> bool:
    """True when some jurisdiction of ``country`` (``US``, ``US-MA`` …) serves ``locale``."""
    return any(code.split("-", 1)[0] == country and locale in j.locales for code, j in ctx.policy.jurisdictions.items())


@dataclass(frozen=True)
class SampleRender:
    """A template rendered for one synthetic persona: the text, or where and why it failed."""

    persona: str
    text: str | None
    error_line: int | None = None
    error: str = ""


def sample_renders(ctx: RuleContext, file: TemplateFile) -> list[SampleRender]:
    """``file`` rendered for every sample persona of its locale (synthetic data only)."""
    from dunning.templating.personas import persona_context, personas
    from dunning.templating.sandbox import RenderError, is_html

    key = f"renders:{file.name}:{file.locale}:{file.template.id}"
    cached = ctx.cache.get(key)
    if isinstance(cached, list):
        return cached
    box = _sandbox(ctx)
    html = is_html(file.template.channel)
    _prime(box.environment(html), file)
    # a locale's personas are the same for every template, and rendering only reads them
    sample = ctx.cache.get(f"personas:{file.locale}")
    if not isinstance(sample, tuple):
        sample = ctx.cache[f"personas:{file.locale}"] = personas(ctx.policy, file.locale)
    out: list[SampleRender] = []
    for persona in sample:
        context = persona_context(ctx.policy, persona, file.template.id)
        try:
            text = box.render(file.name, context, html=html)
        except RenderError as exc:
            out.append(SampleRender(persona.id, None, exc.line, exc.message))
            continue
        out.append(SampleRender(persona.id, text))
    ctx.cache[key] = out
    return out


def _prime(env: Environment, file: TemplateFile) -> None:
    """Compile the already-parsed tree into the environment's cache, so rendering does not
    parse the file a second time (parsing is most of Jinja's compile time). If Jinja's cache
    key ever changes, ``get_template`` simply loads the file itself: correct, only slower."""
    if file.tree is None or env.cache is None:
        return
    key = (weakref.ref(env.loader), file.name)
    if key in env.cache:
        return
    code = env.compile(file.tree, file.name, file.filename)
    env.cache[key] = env.template_class.from_code(env, code, env.make_globals(None), None)
