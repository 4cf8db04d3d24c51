"""YAML text → positioned values, safely and the same way editors read it.

Why not ``yaml.safe_load``: it silently keeps the last of two duplicate keys, reads YAML 1.1
words (``on``, ``yes``, ``no``) as booleans and bare dates as ``date`` objects — while
yaml-language-server and most editors read YAML 1.2, where those are strings. A policy owner
must see what the tool sees, so we compose the node graph ourselves and resolve plain
scalars by the YAML 1.2 core schema. Floats become ``Decimal`` built from the written
digits, so ``0.1`` is exactly one tenth (money must never pass through binary floats).
Anchors and aliases are allowed (they are YAML), but the expanded size is bounded so an
alias bomb ("billion laughs") is refused before anything walks it.
"""

from __future__ import annotations

import importlib
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from dunning.load.documents import Pos, SourceFile, YList, YMap
from dunning.problems import Level, Problem

MAX_BYTES = 8 * 1024 * 1024
MAX_NODES = 200_000  # after alias expansion; a realistic policy file has a few thousand
MAX_DEPTH = 64

_PLAIN = "tag:dunning.dev,2026:plain"
_STR = "tag:yaml.org,2002:str"
_CORE_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
# YAML 1.1 reads these as booleans; YAML 1.2 (editors, this tool) as strings.
_YAML11_BOOL = {w for b in ("yes", "no", "on", "off", "y", "n") for w in (b, b.title(), b.upper())}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Resolver(BaseResolver):
    """Leaves plain scalars untyped so that :func:`_scalar` applies YAML 1.2 core rules."""

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


class _Composer(Reader, Scanner, Parser, Composer, _Resolver):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


# libyaml's parser composes the same node graph (same marks) about ten times faster
_CParser: Any = getattr(importlib.import_module("yaml.cyaml"), "CParser", None) if yaml.__with_libyaml__ else None


def _composer(text: str) -> Any:
    """A composer over ``text`` that resolves plain scalars our way (libyaml when available)."""
    if _CParser is None:  # pragma: no cover - PyYAML built without libyaml
        return _Composer(text)

    class _FastComposer(_CParser, _Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Resolver.__init__(self)

    return _FastComposer(text)


LARGE_TEXT = 256 * 1024  # larger texts are pre-counted so a huge document is refused quickly


def _too_many_values(text: str) -> bool:
    """True when ``text`` has more than MAX_NODES values, counted on the event stream with an
    early stop — composing a million-node graph first would take minutes."""
    parser = _CParser(text) if _CParser is not None else _Composer(text)
    count = 0
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, (ScalarEvent, AliasEvent, SequenceStartEvent, MappingStartEvent)):
                count += 1
                if count > MAX_NODES:
                    return True
    except yaml.YAMLError:
        return False  # the real parse reports it, with its position
    return False


def _pos(node: Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    """Turns a composed node graph into YMap/YList/scalars, collecting problems."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.memo: dict[int, Any] = {}
        self.active: set[int] = set()

    def problem(self, pos: Pos, code: str, message: str, hint: str, level: Level = Level.ERROR) -> None:
        self.source.problems.append(
            Problem(
                self.source.path,
                pos.line,
                pos.col,
                level,
                code,
                message,
                hint,
                self.source.excerpt(pos.line, pos.col),
            )
        )

    def build(self, node: Node, depth: int = 0) -> Any:
        if id(node) in self.memo:
            return self.memo[id(node)]
        if id(node) in self.active:
            self.problem(_pos(node), "Y005", "an alias refers to its own anchor", "remove the cycle")
            return None
        if depth > MAX_DEPTH:
            self.problem(_pos(node), "Y005", f"nested deeper than {MAX_DEPTH} levels", "flatten the structure")
            return None
        if node.tag not in _CORE_TAGS and node.tag != _PLAIN:
            self.problem(
                _pos(node),
                "Y004",
                f"tag {node.tag!r} is not allowed",
                "policy files are plain data; remove the tag (only YAML core tags are accepted)",
            )
            return None
        self.active.add(id(node))
        try:
            value = self._build(node, depth)
        finally:
            self.active.discard(id(node))
        self.memo[id(node)] = value
        return value

    def _build(self, node: Node, depth: int) -> Any:
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            seq = YList(pos=_pos(node))
            for item in node.value:
                seq.append(self.build(item, depth + 1))
                seq.item_pos.append(_pos(item))
            return seq
        assert isinstance(node, MappingNode)
        mapping = YMap(pos=_pos(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or (
                isinstance(key_node, ScalarNode) and key_node.value == "<<" and not key_node.style
            ):
                self.problem(
                    _pos(key_node),
                    "Y004",
                    "merge keys (<<) are not supported",
                    "write the keys out; merge keys are YAML 1.1 only and editors disagree on them",
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self.problem(_pos(key_node), "Y003", "a mapping key must be a plain word", "use a string key")
                continue
            key = str(key_node.value)
            if key in mapping:
                first = mapping.key_pos[key]
                self.problem(
                    _pos(key_node),
                    "Y002",
                    f"duplicate key {key!r} (first at line {first.line})",
                    "YAML keeps only the last value; remove or rename one of them",
                )
                continue
            if not key_node.style and key in _YAML11_BOOL:
                self.problem(
                    _pos(key_node),
                    "Y003",
                    f"key {key!r} is a boolean to YAML 1.1 tools",
                    f'quote it ("{key}") so every tool reads the same key',
                    Level.WARNING,
                )
            mapping[key] = self.build(value_node, depth + 1)
            mapping.key_pos[key] = _pos(key_node)
            mapping.value_pos[key] = _pos(value_node)
        return mapping

    def _scalar(self, node: ScalarNode) -> Any:
        text = str(node.value)
        tag = node.tag
        # libyaml reports a plain scalar's style as "", PyYAML as None
        if tag == _STR or (tag == _PLAIN and node.style):
            return text
        if tag == _PLAIN:
            if text in _YAML11_BOOL:
                self.problem(
                    _pos(node),
                    "Y003",
                    f"{text!r} is read as the string {text!r}, but YAML 1.1 tools read it as a boolean",
                    'write true/false for a flag, or quote it ("yes") for text',
                    Level.WARNING,
                )
                return text
            return _core_scalar(text)
        value = _core_scalar(text)
        expected = {
            "tag:yaml.org,2002:int": int,
            "tag:yaml.org,2002:float": Decimal,
            "tag:yaml.org,2002:bool": bool,
            "tag:yaml.org,2002:null": type(None),
        }[tag]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            self.problem(_pos(node), "Y004", f"{text!r} is not a valid {tag.rsplit(':', 1)[-1]}", "fix the value")
            return None
        return value


def _core_scalar(text: str) -> Any:
    """Resolve a plain scalar by the YAML 1.2 core schema (dates stay strings)."""
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return text
    return text


def _expanded_size(node: Node, memo: dict[int, int], active: set[int]) -> int:
    """How many nodes the document has once every alias is expanded (memoised, cycle-safe)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        return 1
    active.add(key)
    size = 1
    if isinstance(node, SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo, active)
    elif isinstance(node, MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, active) + _expanded_size(v, memo, active)
    active.discard(key)
    memo[key] = min(size, MAX_NODES * 10)
    return memo[key]


def decode(path: str, raw: bytes) -> tuple[str | None, Problem | None]:
    """Bytes → text (UTF-8, BOM tolerated), or a problem that says where decoding failed."""
    if len(raw) > MAX_BYTES:
        return None, Problem(
            path,
            1,
            1,
            Level.ERROR,
            "Y007",
            f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
            "split the policy into several files",
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        nul = exc.start if nul < 0 else min(nul, exc.start)
        text = None
    if nul >= 0 or text is None:
        before = raw[: max(nul, 0)]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        return None, Problem(
            path,
            line,
            col,
            Level.ERROR,
            "Y007",
            "file is not UTF-8 text (binary or wrong encoding)",
            "save the file as UTF-8; policy files are YAML text",
        )
    return text, None


def load_yaml_text(path: str, text: str) -> SourceFile:
    """Parse one YAML document into a :class:`SourceFile` (problems collected, never raised)."""
    source = SourceFile(path, text)
    builder = _Builder(source)
    if not text.strip():
        builder.problem(Pos(1, 1), "Y008", "file is empty", "add policy sections or delete the file", Level.WARNING)
        return source
    if len(text) > LARGE_TEXT and _too_many_values(text):
        builder.problem(
            Pos(1, 1),
            "Y005",
            f"document has more than {MAX_NODES} values",
            "split the policy into several files",
        )
        return source
    try:
        composer = _composer(text)
        node = composer.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Pos(mark.line + 1, mark.column + 1) if mark else Pos(1, 1)
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if "nesting depth" in what:  # libyaml's own bound (1000 levels)
            builder.problem(pos, "Y005", f"nested deeper than {MAX_DEPTH} levels", "flatten the structure")
            return source
        builder.problem(pos, "Y001", f"YAML syntax error: {what}", "check indentation, colons and quotes here")
        return source
    except yaml.YAMLError as exc:
        builder.problem(Pos(1, 1), "Y001", f"YAML syntax error: {exc}", "check the file's syntax")
        return source
    except RecursionError:
        builder.problem(Pos(1, 1), "Y005", "document is nested too deeply", "flatten the structure")
        return source
    if node is None:
        builder.problem(
            Pos(1, 1), "Y008", "file has no content", "add policy sections or delete the file", Level.WARNING
        )
        return source
    if _expanded_size(node, {}, set()) > MAX_NODES:
        builder.problem(
            _pos(node),
            "Y005",
            f"document expands to more than {MAX_NODES} values (alias bomb?)",
            "remove the nested aliases; write repeated data out or split the file",
        )
        return source
    try:
        source.data = builder.build(node)
    except RecursionError:
        builder.problem(Pos(1, 1), "Y005", "document is nested too deeply", "flatten the structure")
    return source
