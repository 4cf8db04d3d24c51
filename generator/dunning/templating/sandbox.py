"""The template sandbox: templates are untrusted input, so they run with no way out.

- :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` (no ``__class__``/``__mro__``/
  ``__subclasses__``, no mutation of lists and dicts) with :class:`jinja2.StrictUndefined`
  (a misspelt name is an error, never an empty string in a debtor's message);
- ``str.format``/``format_map`` and printf-style ``%`` on strings are refused outright (the
  classic sandbox escapes go through format strings);
- a loader that serves only files under ``templates/``: no absolute paths, no ``..``, and a
  path whose real location (symlinks resolved) is outside the root is refused;
- bounded work: ``range`` is capped per call and per render, ``*``/``**`` cannot build huge
  values, the amplifying built-in filters (``center``, ``indent``, ``format``, ``wordwrap``)
  and the random ones are removed, and rendered output has a length cap;
- autoescaping only where the output is HTML (letters, the ``html`` block of an email).

Every failure becomes a :class:`RenderError` naming the template, its line and — when
rendering for an account — the account id only, never the account's data.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dunning.errors import DunningError
from dunning.load.repository import MAX_TEMPLATE_BYTES
from dunning.templating.fill import DICT_ATTRIBUTES, Filler, SlotKeys, Unfillable, compile_fill
from dunning.templating.formatting import FILTERS, FilterError

MAX_RANGE = 1_000  # items in one range() call
MAX_ITERATIONS = 10_000  # range() items in one render, all calls together
MAX_OUTPUT = 200_000  # characters of rendered output per template (a long letter is ~5k)
MAX_EXPONENT = 64
PER_ACCOUNT_ENV = "DUNNING_RENDER_PER_ACCOUNT"
# Built-in filters removed: they can amplify output without a loop, or are not deterministic.
REMOVED_FILTERS = ("center", "indent", "format", "wordwrap", "random", "pprint", "filesizeformat")
REMOVED_GLOBALS = ("lipsum", "cycler", "joiner")
# Channels whose whole template is HTML; for email only the ``html`` block is.
HTML_CHANNELS = frozenset({"letter"})
HTML_BLOCKS = frozenset({"html"})
_DICT_ATTRIBUTES = DICT_ATTRIBUTES  # names a template's `x.name` resolves to a dict method


def is_html(channel: str, block: str | None = None) -> bool:
    """True when the output of ``channel`` (and ``block`` of it) is HTML and must be autoescaped."""
    return channel in HTML_CHANNELS or (block is not None and block in HTML_BLOCKS)


class RenderError(DunningError):
    """A template failed: where (template, line), why, and for which account (id only)."""

    def __init__(self, template: str, line: int | None, message: str, account_id: str | None = None) -> None:
        self.template = template
        self.line = line
        self.message = message
        self.account_id = account_id
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"templates/{self.template}" + (f":{self.line}" if self.line else "")
        who = f" (account {self.account_id})" if self.account_id else ""
        return f"{where}: {self.message}{who}"


class TemplateOutsideRoot(TemplateNotFound):
    """A template path that would leave ``templates/``: refused before anything is read."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(name, f"template path {name!r} refused: {why}; templates are read only from templates/")


class RenderLimit(SecurityError):
    """A template tried to do more work or produce more output than a message ever needs."""


class TemplateRootLoader(jinja2.BaseLoader):
    """Serve ``name`` (a ``/``-separated path relative to the root) only when it stays inside the root."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, name: str) -> Path:
        """The real file for ``name``, or :class:`TemplateOutsideRoot`/:class:`TemplateNotFound`."""
        if not name or "\\" in name or "\0" in name:
            raise TemplateOutsideRoot(name, "empty, backslash or NUL in the path")
        if name.startswith("/") or os.path.isabs(name) or (len(name) > 1 and name[1] == ":"):
            raise TemplateOutsideRoot(name, "absolute paths are not allowed")
        parts = name.split("/")
        if any(part in ("", ".", "..") for part in parts):
            raise TemplateOutsideRoot(name, "'..', '.' and empty path segments are not allowed")
        path = self.root.joinpath(*parts)
        real = path.resolve()
        if not real.is_relative_to(self.root):
            raise TemplateOutsideRoot(name, "it is a symlink that points outside templates/")
        if not real.is_file():
            raise TemplateNotFound(name)
        return real

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        real = self.resolve(template)
        if real.stat().st_size > MAX_TEMPLATE_BYTES:
            raise TemplateNotFound(
                template,
                f"template {template!r} is larger than {MAX_TEMPLATE_BYTES // 1024} KiB, the cap for templates",
            )
        try:
            source = real.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise TemplateNotFound(template, f"template {template!r} is not UTF-8 text") from None
        mtime = real.stat().st_mtime
        return source, str(real), lambda: real.stat().st_mtime == mtime

    def list_templates(self) -> list[str]:
        found = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.resolve().is_relative_to(self.root):
                found.append(path.relative_to(self.root).as_posix())
        return found


class _Budget:
    """range() items used by the render in progress (renders run one at a time per process)."""

    def __init__(self) -> None:
        self.used = 0


class MessageEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the project's extra refusals and limits."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, loader: jinja2.BaseLoader, *, autoescape: bool) -> None:
        super().__init__(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=autoescape,
            auto_reload=False,
            keep_trailing_newline=False,
            cache_size=1000,
        )
        self.budget = _Budget()
        self.trees: dict[str, nodes.Template] = {}
        for name in REMOVED_FILTERS:
            self.filters.pop(name, None)
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)
        self.globals["range"] = self._bounded_range
        self.filters.update(FILTERS)

    def parse(self, source: str, name: str | None = None, filename: str | None = None) -> nodes.Template:
        """Jinja's parse, keeping the tree of each named template: the fill analysis reads the
        tree validate already parsed instead of parsing the file again."""
        tree = super().parse(source, name, filename)
        if name is not None:
            self.trees[name] = tree
        return tree

    def _bounded_range(self, *args: int) -> range:
        items = range(*args)
        if len(items) > MAX_RANGE:
            raise RenderLimit(f"range() of {len(items)} items refused: the limit is {MAX_RANGE}")
        self.budget.used += len(items)
        if self.budget.used > MAX_ITERATIONS:
            raise RenderLimit(f"more than {MAX_ITERATIONS} range() items in one message refused")
        return items

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        # Never hand out a wrapped str.format: is_safe_attribute below refuses it instead.
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # The context is plain dicts, so `account.name` is the commonest lookup there is. The
        # sandbox first asks for a dict *attribute* of that name and only after the
        # AttributeError for the item; for a name that no dict attribute has, going straight
        # to the item gives the same answer (and a missing key the same undefined) without
        # raising and catching an exception on every lookup.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in ("format", "format_map"):
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("printf-style '%' formatting of strings is refused in templates")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > MAX_OUTPUT:
                    raise RenderLimit(f"repeating a value to more than {MAX_OUTPUT} items refused")
        if operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
            raise RenderLimit(f"exponent above {MAX_EXPONENT} refused")
        return super().call_binop(context, operator, left, right)


def _template_line(exc: BaseException, filename: str | None) -> int | None:
    """The template line of the innermost frame that belongs to ``filename`` (jinja rewrites
    tracebacks so that template frames carry the template's file name and line)."""
    if isinstance(exc, TemplateSyntaxError):
        return exc.lineno
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if filename is not None and frame.filename == filename:
            line = frame.lineno
    return line


def _scrub(message: str, secrets: Iterable[str]) -> str:
    """Remove account values an exception message may quote (a missing dict key, say)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 3 and secret in message:
            message = message.replace(secret, "…")
    return message


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TemplateOutsideRoot | TemplateNotFound) and exc.message:
        return exc.message
    if isinstance(exc, TemplateNotFound):
        return f"template {exc.name!r} not found"
    if isinstance(exc, TemplateSyntaxError):
        return f"syntax error: {exc.message}"
    if isinstance(exc, SecurityError):
        return f"refused by the sandbox: {exc}"
    if isinstance(exc, UndefinedError):
        return f"undefined: {exc.message}"
    if isinstance(exc, FilterError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "refused: the template recurses too deeply"
    return f"{type(exc).__name__}: {exc}"


class TemplateSandbox:
    """Loads and renders templates under one ``templates/`` root, text and HTML flavours."""

    def __init__(self, templates_root: Path, *, fill: bool | None = None) -> None:
        self.root = templates_root.resolve()
        self.loader = TemplateRootLoader(self.root)
        self.text_env = MessageEnvironment(self.loader, autoescape=False)
        self.html_env = MessageEnvironment(self.loader, autoescape=True)
        self._compiled: dict[tuple[str, bool], jinja2.Template] = {}
        # fill-in templates (dunning.templating.fill); DUNNING_RENDER_PER_ACCOUNT=1 turns them
        # off, so that every message goes through Jinja: the reference the equality proofs use
        self.fill = os.environ.get(PER_ACCOUNT_ENV) != "1" if fill is None else fill
        self._fillers: dict[tuple[str, bool, str | None], Filler | None] = {}
        self._slot_keys = SlotKeys()  # shared by every filler: see render's memo

    def environment(self, html: bool) -> MessageEnvironment:
        """The environment for HTML (autoescaped) or plain-text output."""
        return self.html_env if html else self.text_env

    def _fail(
        self, env: MessageEnvironment, name: str, exc: BaseException, account_id: str | None, context: object
    ) -> RenderError:
        if isinstance(exc, RenderError):
            return exc
        filename: str | None
        try:
            filename = str(self.loader.resolve(name))
        except TemplateNotFound:
            filename = None
        # let jinja rewrite the traceback so that frames carry template files and lines
        try:
            env.handle_exception()
        except Exception as rewritten:  # the same error, with template frames
            exc = rewritten
        message = _describe(exc)
        if context is not None:
            message = _scrub(message, _strings(context))
        line = exc.lineno if isinstance(exc, TemplateSyntaxError) else _template_line(exc, filename)
        where = name
        if isinstance(exc, TemplateSyntaxError) and exc.name and exc.name != name:
            where = exc.name
        return RenderError(where, line, message, account_id)

    def template(self, name: str, *, html: bool = False) -> jinja2.Template:
        """The compiled template, or :class:`RenderError` (syntax error, outside the root, missing)."""
        env = self.environment(html)
        try:
            return env.get_template(name)
        except Exception as exc:  # every failure becomes a RenderError
            raise self._fail(env, name, exc, None, None) from None

    def blocks(self, name: str) -> tuple[str, ...]:
        """The names of the ``{% block %}``s the template defines, in source order."""
        env = self.text_env
        try:
            source, _, _ = self.loader.get_source(env, name)
            tree = env.parse(source, name)
        except Exception as exc:
            raise self._fail(env, name, exc, None, None) from None
        return tuple(block.name for block in tree.find_all(nodes.Block))

    def _compile(self, env: MessageEnvironment, name: str, html: bool) -> jinja2.Template:
        # templates do not change during a run (auto_reload is off): a plain dict in front of
        # jinja's locked LRU cache saves its bookkeeping on every message
        template = self._compiled[(name, html)] = env.get_template(name)
        return template

    def filler(self, name: str, *, html: bool = False, block: str | None = None) -> Filler | None:
        """The fill-in form of a template (or block) when the static analysis of
        :mod:`dunning.templating.fill` admits it, else None (it renders through Jinja)."""
        key = (name, html, block)
        if key in self._fillers:
            return self._fillers[key]
        env = self.environment(html)
        filler: Filler | None = None
        try:
            # the tree validate parsed, if it did (both environments parse alike: escaping is
            # decided when the tree is compiled), else the file parsed here
            tree = self.text_env.trees.get(name)
            if tree is None:
                tree = self.text_env.parse(self.loader.get_source(env, name)[0], name)
            program = compile_fill(tree, block, env.filters)  # before Jinja's compile optimises the tree
            self.template(name, html=html)  # a template Jinja cannot compile is never filled
            filler = Filler(program, env, html, self._slot_keys)
        except (Unfillable, RenderError, TemplateNotFound, TemplateSyntaxError):
            filler = None
        self._fillers[key] = filler
        return filler

    def _run(self, env: MessageEnvironment, name: str, chunks: Iterable[str]) -> str:
        env.budget.used = 0
        out: list[str] = []
        size = 0
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderLimit(f"output longer than {MAX_OUTPUT} characters refused")
            out.append(chunk)
        # chunks of an autoescaped template are already escaped; literal HTML must stay as is
        return "".join(out)

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        *,
        html: bool = False,
        block: str | None = None,
        account_id: str | None = None,
        memo: dict[int, Any] | None = None,
    ) -> str:
        """Render the whole template (or one ``block``) with ``context``; errors → :class:`RenderError`.
        ``memo``: a dict kept by the caller across renders of this one ``context`` (an email's
        blocks), in which filled templates share the fields they have in common (see
        :meth:`Filler.render`); Jinja ignores it."""
        if self.fill:
            filler = self.filler(name, html=html, block=block)
            if filler is not None:
                variables = context if isinstance(context, dict) else dict(context)
                try:
                    text = filler.render(variables, memo if variables is context else None)
                except Exception:  # Jinja renders it below and reports the error as always
                    pass
                else:
                    if len(text) <= MAX_OUTPUT:  # else Jinja refuses it, as it always has
                        return text
        env = self.environment(html)
        try:
            template = self._compiled.get((name, html)) or self._compile(env, name, html)
            variables = context if isinstance(context, dict) else dict(context)  # new_context copies it
            if block is None:
                chunks: Iterable[str] = template.root_render_func(template.new_context(variables))
            else:
                if block not in template.blocks:
                    raise RenderError(name, None, f"the template has no {{% block {block} %}}", account_id)
                chunks = template.blocks[block](template.new_context(variables))
            return str(self._run(env, name, chunks))
        except Exception as exc:  # every failure becomes a RenderError
            raise self._fail(env, name, exc, account_id, context) from None
