"""Templates rendered once and filled per account, when a static analysis proves it exact.

Jinja renders a template for every message: a fresh context, a generator, a sandbox lookup
per name. Most message templates are text with fields in it — ``Hi {{ account.name }},
{{ account.overdue_amount | money }} is {{ account.dpd }} days late`` — so their output is
the same literal text around the same fields for every account. :func:`compile_fill` walks
the template's Jinja AST (the sandboxed environment's own parser) and accepts it only when
every node is one of:

- literal text (what Jinja writes unchanged);
- a *slot* ``{{ name.attr[...] | filter(...) }}``: a context name, constant attribute / item /
  slice lookups, and filters from :data:`PURE_FILTERS` with constant arguments — nothing that
  calls a method, tests a value, computes or assigns;
- ``{% if path %}`` / ``{% if not path %}`` (with ``elif``/``else``) on such a lookup. The
  branch taken is part of the *decision*, as in ``plan``'s decision templates (whether an
  offer applies): the literal layout of each combination of branches is laid out once, and
  only the test values are computed per account;
- ``{% for item in path %}…{% endfor %}`` over such a lookup (no ``else``, filter, unpacking,
  ``recursive`` or loop inside it), whose body is made of the above, with ``item`` as a slot's
  name and ``loop.first``/``last``/``index``/``index0``/``revindex``/``revindex0``/``length`` as
  literal output or as ``if`` tests (an ``if`` on ``loop`` alone). The number of items is
  part of the decision (a list or tuple only; any other value renders through Jinja): the
  body is laid out once per item with ``item`` filled as ``path[n]``, which is what Jinja's
  loop hands the body, and ``loop``'s values are known when the layout is.

Anything else — macros, includes, ``extends``, ``set``, method calls, operators, tests,
other filters, an ``if`` on the loop's item — makes the template render through Jinja for
every account.

A filled message is exactly what Jinja writes: every lookup goes through the sandbox's own
``getattr``/``getitem`` (slices as Jinja compiles them, directly), every filter is the
environment's own function called as Jinja calls it, and every field is converted as Jinja's
generated code does (``str`` in text, ``markupsafe.escape`` under autoescape). Whenever a fill
cannot complete — an undefined name, a filter error, an over-long message — it gives up and
:class:`~dunning.templating.sandbox.TemplateSandbox` renders that message through Jinja,
which raises the same error as before. Tests render every message of the example portfolio
both ways, and ``benchmarks/fill_equality.py`` the whole bench portfolio, byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg
from markupsafe import escape

from dunning.templating.formatting import FILTERS


def _escape_text(value: str, /) -> str:
    return str(escape(value))


def _fast_escape() -> Callable[[str], str]:
    """markupsafe's C escape of a ``str`` without the ``Markup`` object around it, if this
    markupsafe has it and it escapes as ``escape()`` does; else ``escape()``'s text. It is a
    private function: a markupsafe that moves it, changes its signature or what it returns
    must cost speed, never an unescaped field in an email or a letter."""
    try:
        from markupsafe._speedups import _escape_inner
    except ImportError:  # markupsafe without its C speedups, or one that moved them
        return _escape_text
    probe = "<a href='x' title=\"y\">&amp;</a>"
    try:
        agrees = type(_escape_inner(probe)) is str and _escape_inner(probe) == _escape_text(probe)
    except Exception:  # a changed signature
        agrees = False
    return _escape_inner if agrees else _escape_text


_escape_inner = _fast_escape()


# Filters that are pure functions of their arguments (and, for the project's own, of the
# locale and currency in the context): the project's formatting filters and a few built-ins.
DICT_ATTRIBUTES = frozenset(dir(dict))  # names a template's `x.name` resolves to a dict method
# names Jinja binds itself (`self` is the template, `loop` a loop's state…), never from the context
_JINJA_NAMES = frozenset({"self", "super", "loop", "caller", "varargs", "kwargs"})
PURE_FILTERS = frozenset(FILTERS) | frozenset({"upper", "lower", "title", "capitalize", "trim"})


class Unfillable(Exception):
    """The template uses something the fill path does not reproduce (a reason, for tests)."""


@dataclass(frozen=True)
class Slot:
    """One field: a context name, lookups, filters; converted as Jinja converts output."""

    name: str
    # ("key" | "attr", name) | ("item", key) | ("slice", slice) | ("index", n): a loop's n-th item
    lookups: tuple[tuple[str, Any], ...]
    filters: tuple[tuple[Callable[..., Any], bool, tuple[Any, ...]], ...]  # (function, pass context, args)

    def value(self, variables: Mapping[str, Any], env: Any) -> Any:
        """The looked-up, filtered value (KeyError when the name is not in the context)."""
        value = variables[self.name]
        for kind, key in self.lookups:
            if kind == "key":  # MessageEnvironment.getattr's own shortcut for plain dicts, inlined
                value = value[key] if type(value) is dict else env.getattr(value, key)
            elif kind == "attr":
                value = env.getattr(value, key)
            elif kind == "item":
                value = env.getitem(value, key)
            else:
                value = value[key]
        for function, context, args in self.filters:
            value = function(variables, value, *args) if context else function(value, *args)
        return value


# what Jinja's loop object answers for the item at ``index`` of ``length`` items (LoopContext)
LOOP_ATTRIBUTES: dict[str, Callable[[int, int], int | bool]] = {
    "index": lambda index, length: index + 1,
    "index0": lambda index, length: index,
    "revindex": lambda index, length: length - index,
    "revindex0": lambda index, length: length - index - 1,
    "first": lambda index, length: index == 0,
    "last": lambda index, length: index == length - 1,
    "length": lambda index, length: length,
}


@dataclass(frozen=True)
class LoopAttr:
    """``loop.first`` and its kin inside a ``for``: known once the item and the length are."""

    attr: str

    def value(self, index: int, length: int) -> int | bool:
        """What ``loop.<attr>`` is for the item at ``index`` of ``length``."""
        return LOOP_ATTRIBUTES[self.attr](index, length)


@dataclass(frozen=True)
class Branch:
    """``{% if %}``/``elif``/``else``: (test, negated, body) in order, then the else body.
    Its tests are all slots (a decision per account) or all ``loop`` attributes (laid out
    with the item they are in)."""

    tests: tuple[tuple[Slot | LoopAttr, bool, Program], ...]
    otherwise: Program

    @property
    def on_loop(self) -> bool:
        """Whether the tests are on ``loop`` (decided by the layout, not per account)."""
        return isinstance(self.tests[0][0], LoopAttr)


@dataclass(frozen=True)
class Loop:
    """``{% for target in items %}body{% endfor %}``: the body once per item of ``items``."""

    target: str
    items: Slot  # a lookup path, no filters
    body: Program


Program = tuple["str | Slot | LoopAttr | Branch | Loop", ...]


def _where(node: nodes.Node) -> str:
    line = getattr(node, "lineno", None)
    return f"{type(node).__name__} at line {line}" if line else type(node).__name__


def _lookup_path(node: nodes.Node) -> Slot:
    """A name with constant attribute, item and slice lookups, as a slot without filters."""
    lookups: list[tuple[str, Any]] = []
    while not isinstance(node, nodes.Name):
        if isinstance(node, nodes.Getattr):
            # on a dict, a name no dict attribute has is the item (a missing one raises
            # KeyError here, where Jinja's undefined would raise: either way, Jinja renders it)
            lookups.append(("attr" if node.attr in DICT_ATTRIBUTES else "key", node.attr))
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Slice):
            bounds = [_const(part) if part is not None else None for part in (node.arg.start, node.arg.stop)]
            if node.arg.step is not None:
                bounds.append(_const(node.arg.step))
            lookups.append(("slice", slice(*bounds)))
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            lookups.append(("item", node.arg.value))
            node = node.node
        else:
            raise Unfillable(_where(node))
    if node.ctx != "load" or node.name in _JINJA_NAMES:
        raise Unfillable(f"name {node.name} at line {node.lineno} is not a context lookup")
    return Slot(node.name, tuple(reversed(lookups)), ())


def _const(node: nodes.Expr) -> Any:
    if isinstance(node, nodes.Neg) and isinstance(node.node, nodes.Const) and type(node.node.value) is int:
        return -node.node.value  # `[-4:]`: Jinja writes the literal, Python negates it
    if not isinstance(node, nodes.Const) or not isinstance(node.value, str | int | type(None)):
        raise Unfillable(f"{_where(node)} is not a constant")
    return node.value


def _loop_attr(node: nodes.Node, target: str | None) -> LoopAttr | None:
    """``loop.<attr>`` inside a loop, else None."""
    if not (isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name) and node.node.name == "loop"):
        return None
    if target is None:
        return None  # outside a loop `loop` is no context name: _lookup_path refuses it
    if node.attr not in LOOP_ATTRIBUTES:
        raise Unfillable(f"loop.{node.attr} at line {node.lineno}")
    return LoopAttr(node.attr)


def _slot(node: nodes.Expr, filters: Mapping[str, Callable[..., Any]], target: str | None = None) -> Slot | LoopAttr:
    attr = _loop_attr(node, target)
    if attr is not None:
        return attr
    chain: list[nodes.Filter] = []
    while isinstance(node, nodes.Filter):
        chain.append(node)
        if node.node is None:
            raise Unfillable(f"filter block at line {node.lineno}")
        node = node.node
    path = _lookup_path(node)
    compiled = []
    for item in reversed(chain):
        if item.name not in PURE_FILTERS or item.name not in filters:
            raise Unfillable(f"filter {item.name!r} at line {item.lineno}")
        if item.kwargs or item.dyn_args or item.dyn_kwargs:
            raise Unfillable(f"filter {item.name!r} at line {item.lineno} has keyword or dynamic arguments")
        function = filters[item.name]
        passed = _PassArg.from_obj(function)
        if passed not in (None, _PassArg.context) or (passed is _PassArg.context and item.name not in FILTERS):
            raise Unfillable(f"filter {item.name!r} at line {item.lineno} needs Jinja's runtime context")
        compiled.append((function, passed is _PassArg.context, tuple(_const(arg) for arg in item.args)))
    return Slot(path.name, path.lookups, tuple(compiled))


def _test(node: nodes.Node, target: str | None) -> tuple[Slot | LoopAttr, bool]:
    negated = isinstance(node, nodes.Not)
    if isinstance(node, nodes.Not):
        node = node.node
    attr = _loop_attr(node, target)
    if attr is not None:
        return attr, negated
    slot = _lookup_path(node)
    if slot.name == target:
        # its branch would differ item by item: a decision per item the layout cannot name
        raise Unfillable(f"a test on the loop item {target} at line {node.lineno}")
    return slot, negated


def _loop(node: nodes.For, filters: Mapping[str, Callable[..., Any]], target: str | None) -> Loop:
    where = f"line {node.lineno}"
    if target is not None:
        raise Unfillable(f"a loop inside a loop at {where}")
    if not isinstance(node.target, nodes.Name) or node.target.name in _JINJA_NAMES:
        raise Unfillable(f"the loop target at {where} is not one plain name")
    if node.else_ or node.test is not None or node.recursive:
        raise Unfillable(f"the loop at {where} has an else, a filter or is recursive")
    items = _lookup_path(node.iter)
    return Loop(node.target.name, items, _program(node.body, filters, node.target.name))


def _program(body: list[nodes.Node], filters: Mapping[str, Callable[..., Any]], target: str | None = None) -> Program:
    out: list[str | Slot | LoopAttr | Branch | Loop] = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append(child.data)  # Jinja writes template text as it is, escaped or not
                else:
                    out.append(_slot(child, filters, target))
        elif isinstance(node, nodes.If):
            tests: list[tuple[nodes.Node, list[nodes.Node]]] = [(node.test, node.body)]
            tests += [(elif_.test, elif_.body) for elif_ in node.elif_]
            compiled = tuple((*_test(test, target), _program(body_, filters, target)) for test, body_ in tests)
            if len({isinstance(test, LoopAttr) for test, _, _ in compiled}) > 1:
                raise Unfillable(f"an if at line {node.lineno} tests loop and other values")
            out.append(Branch(compiled, _program(node.else_, filters, target)))
        elif isinstance(node, nodes.For):
            out.append(_loop(node, filters, target))
        else:
            raise Unfillable(_where(node))
    return tuple(out)


def reads(program: Program) -> dict[str, frozenset[str] | None]:
    """The context's names a program reads, each with the keys it reads of the name's value
    (its first lookup: ``account.name`` reads ``name`` of ``account``), or None when it reads
    the value itself (output, a slice, a loop over it, a dict method): what a context built
    with only those keys must hold for the program to read the values it reads from the whole
    context. A test on the name alone (``{% if offer %}``) reads its truth: an empty set. The
    filters that read the context (``money``, ``date``… — FILTERS, the only ones admitted)
    read ``locale`` and ``account.currency``: both are named too."""
    found: dict[str, set[str] | None] = {}

    def add(slot: Slot, test: bool = False, item: bool = False) -> None:
        if not item:
            name(slot, test)
        if any(context for _, context, _ in slot.filters):
            found["locale"] = None
            account = found.get("account", set())
            if account is not None:
                account.add("currency")
            found["account"] = account

    def name(slot: Slot, test: bool) -> None:
        keys = found.get(slot.name, set())
        if slot.lookups:
            kind, key = slot.lookups[0]
            if kind in ("key", "item") and type(key) is str and keys is not None:
                keys.add(key)
            else:
                keys = None
        elif not test:
            keys = None
        found[slot.name] = keys

    def walk(pieces: Program, target: str | None) -> None:
        for piece in pieces:
            if isinstance(piece, Slot):
                add(piece, item=piece.name == target)  # the loop's item: read as its items' path
            elif isinstance(piece, Branch):
                for test, _, body in piece.tests:
                    if isinstance(test, Slot):
                        add(test, test=True)
                    walk(body, target)
                walk(piece.otherwise, target)
            elif isinstance(piece, Loop):
                add(piece.items)
                walk(piece.body, piece.target)

    walk(program, None)
    return {name: None if keys is None else frozenset(keys) for name, keys in found.items()}


def compile_fill(tree: nodes.Template, block: str | None, filters: Mapping[str, Callable[..., Any]]) -> Program:
    """The fill program of the whole template (``block`` None) or of one block; Unfillable
    when the static analysis cannot prove the fill gives Jinja's bytes."""
    if tree.find(nodes.Extends) is not None:
        raise Unfillable("the template extends another")
    if block is None:
        return _program(tree.body, filters)  # a Block node in the body is refused there
    found = [node for node in tree.find_all(nodes.Block) if node.name == block]
    if len(found) != 1 or found[0].required:
        raise Unfillable(f"block {block!r} is missing, repeated or required")
    return _program(found[0].body, filters)


@dataclass
class Layout:
    """A program laid out for one decision (the branches taken): literal text between slots."""

    texts: tuple[str, ...]  # len(slots) + 1 pieces
    slots: tuple[Slot, ...]
    keys: tuple[int, ...] = ()  # each slot's number in the fillers' SlotKeys (equal slots, one number)
    # the layout as one generated function (see _Source), variables -> message, and its form
    # with a memo, (variables, memo) -> message, each written when asked for from the layout's
    # COMPILE_AFTER-th message on (the ones before fill slot by slot); None until then, and for
    # good past MAX_LAYOUTS or COMPILE_SLOTS, or when Python would not compile it
    fill: Callable[[Mapping[str, Any]], str] | None = None
    fill_memo: Callable[[Mapping[str, Any], dict[int, Any]], str] | None = None
    countdown: int = -1  # fills slot by slot before a function is written (-1: never)


def _constant(value: Any) -> tuple[Any, ...]:
    # a lookup key or filter argument with its type: 1 and True are equal keys in a dict, but a
    # filter may write them differently; a slice (unhashable before Python 3.12) by its bounds
    if isinstance(value, slice):
        return (slice, _constant(value.start), _constant(value.stop), _constant(value.step))
    return (type(value), value)


class SlotKeys:
    """One number per distinct slot across the fillers of one sandbox (every template, block
    and escaping), so that the renders of one context — the subject, text and HTML blocks of
    one email — compute a field they share once (:meth:`Filler.render`'s ``memo``).

    Two slots get one number only when they are the same computation: the same context name,
    the same lookups (kind and key, with its type), the same filter functions (the very
    objects) with the same arguments, through the same class of environment. A slot's value
    does not depend on the escaping: lookups go through the sandbox's ``getattr``/``getitem``
    (the text and HTML environments are one class, configured alike but for autoescaping,
    which only :class:`Filler`'s conversion applies, after the value), and the filters are
    pure functions of the value, their arguments and the context (PURE_FILTERS)."""

    def __init__(self) -> None:
        self._numbers: dict[tuple[Any, ...], int] = {}

    def key(self, slot: Slot, env: Any) -> int:
        """The slot's number (a new one for a computation not seen before)."""
        form = (
            type(env),
            slot.name,
            tuple((kind, _constant(key)) for kind, key in slot.lookups),
            tuple(
                (function, context, tuple(_constant(arg) for arg in args)) for function, context, args in slot.filters
            ),
        )
        return self._numbers.setdefault(form, len(self._numbers))


# layouts kept per template (a decision holds a loop's length, so the number of decisions
# follows the data; past this many, a new decision is laid out for its message and dropped)
MAX_LAYOUTS = 1024
# A layout's function is written and compiled (≈ 0.5 ms for a bundled template's layout,
# 3 ms for a long letter's, measured) for its COMPILE_AFTER-th message, not before: it
# saves ≈ 2–4 µs a message, so a decision few accounts take would pay more for its function
# than it gains. Only layouts of at most COMPILE_SLOTS slots (a loop over a long list makes a
# long function for few messages).
COMPILE_AFTER = 200
COMPILE_SLOTS = 400


@dataclass(frozen=True)
class _If:
    """An ``if`` as deciding reads it: (test, negated, the ifs and loops inside), the else's."""

    tests: tuple[tuple[Slot | LoopAttr, bool, Decisions], ...]
    otherwise: Decisions
    on_loop: bool


@dataclass(frozen=True)
class _For:
    """A loop as deciding reads it: its items, and the ifs inside its body."""

    items: Slot
    body: Decisions


# The ifs and loops of a program: what deciding reads, without walking the literal text.
Decisions = tuple["_If | _For", ...]


# Generated functions. A layout's fill and a program's decision are each one Python function
# written for it (≈ half the CPU of walking the slots and the decisions as data, measured). Its
# source is written here from the program's *shape* only — how many slots, which kinds of
# lookup, filter and test — and never holds anything a template says: every template-derived
# value (literal text, a context name, a lookup key, a filter function, a filter argument) is
# an item of the function's constants, which the source names by position (``c0``, ``c1`` …).
# _checked_source proves it before anything is compiled: the source's characters hold no quote,
# backslash or hash (so no string or bytes literal and no comment), and its every name is one
# of _VOCABULARY's or a numbered constant, slot or memo key. The function runs with no
# builtins; it reaches the sandbox only through the environment's own getattr and getitem.
_SOURCE_CHARACTERS = re.compile(r"[A-Za-z0-9_ \n(),:\[\]=+\-.]*")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBERED = re.compile(r"[cs][0-9]+")
# the names the generated source uses: the factory's parameters (below) and Python keywords
_FACTORY = ("c", "ga", "gi", "conv", "join", "Dict", "Type", "List", "Tuple", "Bad", "Len", "Range")
_VOCABULARY = frozenset(
    {*_FACTORY, "make", "fill", "decide", "v", "m", "x", "t", "i", "n", "append"}
    | {"def", "return", "if", "elif", "else", "not", "is", "in", "and", "for", "raise", "pass", "None"}
)
_INDENT = "  "


class UnsafeSource(Exception):
    """Generated source that fails :func:`_checked_source` (a dunning bug; never compiled)."""


def _checked_source(source: str) -> str:
    if not _SOURCE_CHARACTERS.fullmatch(source):
        raise UnsafeSource("a generated fill function holds a character outside its alphabet")
    for name in _NAME.findall(source):
        if name not in _VOCABULARY and not _NUMBERED.fullmatch(name):
            raise UnsafeSource(f"a generated fill function names {name!r}")
    return source


class _Source:
    """The body of one generated function, and the constants it reads by position."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.constants: list[Any] = []

    def constant(self, value: Any) -> str:
        self.constants.append(value)
        return f"c{len(self.constants) - 1}"

    def line(self, depth: int, text: str) -> None:
        self.lines.append(_INDENT * depth + text)

    def value(self, depth: int, slot: Slot) -> None:
        """Statements that leave ``slot.value(v, env)`` in ``x``, lookup for lookup and filter
        for filter as :meth:`Slot.value` computes it (a missing name: KeyError, as there)."""
        self.line(depth, f"x = v[{self.constant(slot.name)}]")
        for kind, key in slot.lookups:
            name = self.constant(key)
            if kind == "key":
                self.line(depth, f"x = x[{name}] if Type(x) is Dict else ga(x, {name})")
            elif kind == "attr":
                self.line(depth, f"x = ga(x, {name})")
            elif kind == "item":
                self.line(depth, f"x = gi(x, {name})")
            else:
                self.line(depth, f"x = x[{name}]")
        for function, context, args in slot.filters:
            arguments = ["v"] if context else []
            arguments += ["x", *(self.constant(arg) for arg in args)]
            self.line(depth, f"x = {self.constant(function)}({', '.join(arguments)})")

    def function(self, name: str, parameters: str, env: Any, convert: Callable[[Any], str]) -> Callable[..., Any]:
        """Compile the body as ``name(parameters)``, its constants bound, without builtins."""
        head = f"def make({', '.join(_FACTORY)}):"
        unpack = [f"{_INDENT}{', '.join(f'c{n}' for n in range(len(self.constants)))}, = c"] if self.constants else []
        body = [f"{_INDENT * 2}{line}" for line in self.lines]
        source = _checked_source(
            "\n".join([head, *unpack, f"{_INDENT}def {name}({parameters}):", *body, f"{_INDENT}return {name}", ""])
        )
        namespace: dict[str, Any] = {"__builtins__": {}}
        exec(compile(source, "<dunning.templating.fill>", "exec"), namespace)  # the source: see _checked_source
        factory: Callable[..., Callable[..., Any]] = namespace["make"]
        return factory(
            tuple(self.constants), env.getattr, env.getitem, convert, "".join, dict, type, list, tuple, TypeError, len,
            range,
        )  # fmt: skip


def _layout_function(layout: Layout, env: Any, convert: Callable[[Any], str], memo: bool) -> Callable[..., str]:
    """``fill(v)`` or, with ``memo``, ``fill(v, m)``: the layout filled for ``v`` as
    :meth:`Filler.render` fills it slot by slot: each slot's value (from the memo ``m`` when it
    holds it, else computed and kept there), converted, joined with the literal text."""
    source = _Source()
    parts = [source.constant(layout.texts[0])] if layout.texts[0] else []
    for n, (slot, key, text) in enumerate(zip(layout.slots, layout.keys, layout.texts[1:], strict=True)):
        if memo:
            source.line(0, f"if {key} in m:")
            source.line(1, f"x = m[{key}]")
            source.line(0, "else:")
            source.value(1, slot)
            source.line(1, f"m[{key}] = x")
        else:
            source.value(0, slot)
        source.line(0, f"s{n} = conv(x)")
        parts.append(f"s{n}")
        if text:
            parts.append(source.constant(text))
    source.line(0, f"return join(({''.join(part + ', ' for part in parts)}))")
    return source.function("fill", "v, m" if memo else "v", env, convert)


_LOOP_TESTS = {
    "index": "i + 1",
    "index0": "i",
    "revindex": "n - i",
    "revindex0": "n - i - 1",
    "first": "i == 0",
    "last": "i == n - 1",
    "length": "n",
}  # LOOP_ATTRIBUTES written over the generated loop's item ``i`` of ``n``


def _decide_lines(source: _Source, decisions: Decisions, depth: int) -> None:
    # _decide's walk written out: the same tests in the same order, the same appends
    for node in decisions:
        if isinstance(node, _For):
            source.value(depth, node.items)
            source.line(depth, "if Type(x) is not List and Type(x) is not Tuple:")
            source.line(depth + 1, "raise Bad")
            source.line(depth, "n = Len(x)")
            source.line(depth, "t.append(n)")
            if node.body:
                source.line(depth, "for i in Range(n):")
                _decide_lines(source, node.body, depth + 1)
            continue
        _if_lines(source, node, 0, depth)


def _if_lines(source: _Source, node: _If, first: int, depth: int) -> None:
    if first == len(node.tests):
        if not node.on_loop:
            source.line(depth, f"t.append({first})")
        _decide_lines(source, node.otherwise, depth)
        return
    test, negated, nested = node.tests[first]
    if isinstance(test, LoopAttr):
        condition = f"({_LOOP_TESTS[test.attr]})"
    else:
        source.value(depth, test)
        condition = "x"
    source.line(depth, f"if {'not ' if negated else ''}{condition}:")
    if not node.on_loop:
        source.line(depth + 1, f"t.append({first})")
    _decide_lines(source, nested, depth + 1)
    source.line(depth + 1, "pass")  # a body for an if that decides nothing more
    source.line(depth, "else:")
    _if_lines(source, node, first + 1, depth + 1)
    source.line(depth + 1, "pass")


def _decide_function(decisions: Decisions, env: Any) -> Callable[[Mapping[str, Any]], tuple[int, ...]]:
    """``decide(v)``: the decision :func:`_decide` takes for ``v`` (any exception where it raises)."""
    source = _Source()
    source.line(0, "n = 0")
    source.line(0, "t = List()")
    _decide_lines(source, decisions, 0)
    source.line(0, "return Tuple(t)")
    return source.function("decide", "v", env, str)


def escaped(value: Any) -> str:
    """``markupsafe.escape(value)``'s text. A field is joined into the message's text, so the
    ``Markup`` object escape() makes of it is dropped at once: for a ``str`` (nearly every
    field) the escaped text alone, without that object (its Python ``__new__`` was ≈ 14 % of an
    email's CPU, measured); anything else (``__html__``, numbers, dates) through escape()."""
    if type(value) is str:
        return _escape_inner(value)
    return escape(value)


class Filler:
    """Fills one compiled program for accounts; the layout of each decision is built once."""

    def __init__(self, program: Program, env: Any, html: bool, keys: SlotKeys | None = None) -> None:
        self.program = program
        self.env = env
        self.convert: Callable[[Any], str] = escaped if html else str
        self.decisions = _decisions(program)
        self.layouts: dict[tuple[int, ...], Layout] = {}
        self.keys = keys or SlotKeys()
        self.decide: Callable[[Mapping[str, Any]], tuple[int, ...]] | None = None
        if self.decisions:
            try:
                self.decide = _decide_function(self.decisions, env)
            except (SyntaxError, RecursionError, MemoryError):  # nested too deep for Python: walked as data
                self.decide = None

    def render(self, variables: Mapping[str, Any], memo: dict[int, Any] | None = None) -> str:
        """The message for ``variables`` (any exception: the caller renders through Jinja).
        ``memo``: a dict the caller keeps for renders of these same ``variables`` (the blocks
        of one email) by fillers of one :class:`SlotKeys`: a field computed by one of them is
        taken from it by the others, converted (escaped or not) by each."""
        env = self.env
        decision: tuple[int, ...] = ()
        if self.decide is not None:
            decision = self.decide(variables)
        elif self.decisions:
            taken: list[int] = []
            _decide(self.decisions, variables, env, taken, 0, 0)
            decision = tuple(taken)
        layout = self.layouts.get(decision) or self._layout(decision)
        if memo is None:
            if layout.fill is not None:
                return layout.fill(variables)
        elif layout.fill_memo is not None:
            return layout.fill_memo(variables, memo)
        if layout.countdown > 0:
            layout.countdown -= 1
        if layout.countdown == 0:
            try:
                function = _layout_function(layout, env, self.convert, memo is not None)
            except (SyntaxError, RecursionError, MemoryError):  # too much for Python: slot by slot
                layout.countdown = -1
            else:
                if memo is None:
                    layout.fill = function
                    return function(variables)
                layout.fill_memo = function
                return function(variables, memo)
        convert = self.convert
        parts = [layout.texts[0]]
        if memo is None:
            for slot, text in zip(layout.slots, layout.texts[1:], strict=True):
                parts += (convert(slot.value(variables, env)), text)
        else:
            for slot, key, text in zip(layout.slots, layout.keys, layout.texts[1:], strict=True):
                value = memo[key] if key in memo else memo.setdefault(key, slot.value(variables, env))
                parts += (convert(value), text)
        return "".join(parts)

    def _layout(self, decision: tuple[int, ...]) -> Layout:
        texts, slots = [""], []
        for piece in _flatten(self.program, iter(decision), 0, 0, None):
            if isinstance(piece, str):
                texts[-1] += piece
            else:
                slots.append(piece)
                texts.append("")
        layout = Layout(tuple(texts), tuple(slots), tuple(self.keys.key(slot, self.env) for slot in slots))
        if len(self.layouts) < MAX_LAYOUTS:
            layout.countdown = COMPILE_AFTER if len(slots) <= COMPILE_SLOTS else -1
            self.layouts[decision] = layout
        return layout


def _decisions(program: Program) -> Decisions:
    out: list[_If | _For] = []
    for piece in program:
        if isinstance(piece, Branch):
            tests = tuple((test, negated, _decisions(body)) for test, negated, body in piece.tests)
            out.append(_If(tests, _decisions(piece.otherwise), piece.on_loop))
        elif isinstance(piece, Loop):
            out.append(_For(piece.items, _decisions(piece.body)))
    return tuple(out)


def _decide(
    decisions: Decisions, variables: Mapping[str, Any], env: Any, taken: list[int], index: int, length: int
) -> None:
    """Append the index of the branch each ``if`` takes and the number of items of each loop
    (in document order, as Jinja runs them; an ``if`` on ``loop`` is the layout's, not
    appended). ``index``/``length``: the item being decided inside a loop."""
    for node in decisions:
        if isinstance(node, _For):
            items = node.items.value(variables, env)
            if type(items) is not list and type(items) is not tuple:
                raise TypeError("a loop over something else than a list renders through Jinja")
            count = len(items)
            taken.append(count)
            if node.body:
                for item in range(count):
                    _decide(node.body, variables, env, taken, item, count)
            continue
        chosen, inner = len(node.tests), node.otherwise
        for n, (test, negated, nested) in enumerate(node.tests):
            value = test.value(index, length) if isinstance(test, LoopAttr) else test.value(variables, env)
            if bool(value) != negated:
                chosen, inner = n, nested
                break
        if not node.on_loop:
            taken.append(chosen)
        if inner:
            _decide(inner, variables, env, taken, index, length)


def _flatten(
    program: Program, decision: Iterator[int], index: int, length: int, item: tuple[str, Slot] | None
) -> list[str | Slot]:
    """The literal text and slots of one decision; ``item``: inside a loop, the loop's target
    and the slot of the item at ``index`` (its slots' lookups start from it)."""
    out: list[str | Slot] = []
    for piece in program:
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, Slot):
            if item is not None and piece.name == item[0]:
                piece = Slot(item[1].name, item[1].lookups + piece.lookups, piece.filters)
            out.append(piece)
        elif isinstance(piece, LoopAttr):
            out.append(str(piece.value(index, length)))  # an int or a bool: escaping leaves it as str() writes it
        elif isinstance(piece, Loop):
            count = next(decision)
            for n in range(count):
                path = Slot(piece.items.name, (*piece.items.lookups, ("index", n)), ())
                out.extend(_flatten(piece.body, decision, n, count, (piece.target, path)))
        else:
            if piece.on_loop:
                chosen = len(piece.tests)
                for n, (test, negated, _) in enumerate(piece.tests):
                    assert isinstance(test, LoopAttr)
                    if bool(test.value(index, length)) != negated:
                        chosen = n
                        break
            else:
                chosen = next(decision)
            body = piece.otherwise if chosen == len(piece.tests) else piece.tests[chosen][2]
            out.extend(_flatten(body, decision, index, length, item))
    return out
