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
  only the test values are computed per account.

Anything else — loops, macros, includes, ``extends``, ``set``, method calls, operators,
tests, other filters — makes the template render through Jinja for every account.

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

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg
from markupsafe import escape

from dunning.templating.formatting import FILTERS

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
    lookups: tuple[tuple[str, Any], ...]  # ("key" | "attr", name) | ("item", key) | ("slice", slice)
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


@dataclass(frozen=True)
class Branch:
    """``{% if %}``/``elif``/``else``: (test slot, negated, body) in order, then the else body."""

    tests: tuple[tuple[Slot, bool, Program], ...]
    otherwise: Program


Program = tuple["str | Slot | Branch", ...]


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


def _slot(node: nodes.Expr, filters: Mapping[str, Callable[..., Any]]) -> Slot:
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


def _test(node: nodes.Node) -> tuple[Slot, bool]:
    if isinstance(node, nodes.Not):
        return _lookup_path(node.node), True
    return _lookup_path(node), False


def _program(body: list[nodes.Node], filters: Mapping[str, Callable[..., Any]]) -> Program:
    out: list[str | Slot | Branch] = []
    for node in body:
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                if isinstance(child, nodes.TemplateData):
                    out.append(child.data)  # Jinja writes template text as it is, escaped or not
                else:
                    out.append(_slot(child, filters))
        elif isinstance(node, nodes.If):
            tests: list[tuple[nodes.Node, list[nodes.Node]]] = [(node.test, node.body)]
            tests += [(elif_.test, elif_.body) for elif_ in node.elif_]
            compiled = tuple((*_test(test), _program(body_, filters)) for test, body_ in tests)
            out.append(Branch(compiled, _program(node.else_, filters)))
        else:
            raise Unfillable(_where(node))
    return tuple(out)


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


# The ifs of a program, each as its tests (slot, negated, the ifs inside that branch) and
# the ifs inside its else: what deciding reads, without walking the literal text.
Decisions = tuple[tuple[tuple[tuple[Slot, bool, "Decisions"], ...], "Decisions"], ...]


class Filler:
    """Fills one compiled program for accounts; the layout of each decision is built once."""

    def __init__(self, program: Program, env: Any, html: bool) -> None:
        self.program = program
        self.env = env
        self.convert: Callable[[Any], str] = escape if html else str
        self.decisions = _decisions(program)
        self.layouts: dict[tuple[int, ...], Layout] = {}

    def render(self, variables: Mapping[str, Any]) -> str:
        """The message for ``variables`` (any exception: the caller renders through Jinja)."""
        env = self.env
        decision: tuple[int, ...] = ()
        if self.decisions:
            taken: list[int] = []
            _decide(self.decisions, variables, env, taken)
            decision = tuple(taken)
        layout = self.layouts.get(decision) or self._layout(decision)
        convert = self.convert
        parts = [layout.texts[0]]
        for slot, text in zip(layout.slots, layout.texts[1:], strict=True):
            parts += (convert(slot.value(variables, env)), text)
        return "".join(parts)

    def _layout(self, decision: tuple[int, ...]) -> Layout:
        texts, slots = [""], []
        for piece in _flatten(self.program, iter(decision)):
            if isinstance(piece, str):
                texts[-1] += piece
            else:
                slots.append(piece)
                texts.append("")
        layout = self.layouts[decision] = Layout(tuple(texts), tuple(slots))
        return layout


def _decisions(program: Program) -> Decisions:
    return tuple(
        (tuple((test, negated, _decisions(body)) for test, negated, body in piece.tests), _decisions(piece.otherwise))
        for piece in program
        if isinstance(piece, Branch)
    )


def _decide(decisions: Decisions, variables: Mapping[str, Any], env: Any, taken: list[int]) -> None:
    """Append the index of the branch each ``if`` takes (in document order, as Jinja runs them)."""
    for tests, otherwise in decisions:
        chosen, inner = len(tests), otherwise
        for n, (test, negated, nested) in enumerate(tests):
            if bool(test.value(variables, env)) != negated:
                chosen, inner = n, nested
                break
        taken.append(chosen)
        if inner:
            _decide(inner, variables, env, taken)


def _flatten(program: Program, decision: Any) -> list[str | Slot]:
    out: list[str | Slot] = []
    for piece in program:
        if isinstance(piece, Branch):
            chosen = next(decision)
            body = piece.otherwise if chosen == len(piece.tests) else piece.tests[chosen][2]
            out.extend(_flatten(body, decision))
        else:
            out.append(piece)
    return out
