"""The loader: positions, duplicate keys, YAML 1.2 scalars, hostile input."""

from __future__ import annotations

from decimal import Decimal

from dunning.load import YMap, load_yaml_text, position_of
from dunning.load.yaml_source import decode


def codes(text: str) -> list[tuple[str, int, int]]:
    return [(p.code, p.line, p.col) for p in load_yaml_text("f.yaml", text).problems]


def test_positions_of_keys_and_values() -> None:
    doc = load_yaml_text("f.yaml", "tiers:\n  - id: early\n    dpd: {min: 1, max: 30}\n").data
    assert isinstance(doc, YMap)
    assert position_of(doc, ("tiers", 0, "dpd", "max")).line == 3
    assert position_of(doc, ("tiers", 0, "dpd", "max")).col == 24
    assert position_of(doc, ("tiers", 0, "id"), key=True).col == 5


def test_duplicate_key_reported_at_second_occurrence() -> None:
    assert codes("a: 1\nb: 2\na: 3\n") == [("Y002", 3, 1)]


def test_yaml11_words_stay_strings_with_a_warning() -> None:
    source = load_yaml_text("f.yaml", "flag: yes\nwhen: 2026-01-01\n")
    assert source.data == {"flag": "yes", "when": "2026-01-01"}
    assert [(p.code, p.line, p.col, p.level.value) for p in source.problems] == [("Y003", 1, 7, "warning")]


def test_floats_are_exact_decimals() -> None:
    assert load_yaml_text("f.yaml", "x: 0.1\n").data == {"x": Decimal("0.1")}


def test_python_tags_are_refused() -> None:
    assert codes("x: !!python/object:os.system ls\n") == [("Y004", 1, 4)]


def test_billion_laughs_is_bounded() -> None:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 10)}]")
    assert codes("\n".join(lines) + "\n") == [("Y005", 1, 1)]


def test_syntax_error_position() -> None:
    assert codes("a: [1, 2\nb: 3\n")[0][0] == "Y001"


def test_binary_file_is_not_text() -> None:
    text, problem = decode("f.yaml", b"ok: 1\n\x00\x01")
    assert text is None and problem is not None
    assert (problem.code, problem.line, problem.col) == ("Y007", 2, 1)


def test_bom_is_tolerated() -> None:
    text, problem = decode("f.yaml", b"\xef\xbb\xbfa: 1\n")
    assert problem is None and text == "a: 1\n"
