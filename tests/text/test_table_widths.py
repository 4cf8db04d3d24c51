"""Which letter tables print as lines of boxes: validate's reading (T015) and print's agree."""

from __future__ import annotations

import pytest

from dunning.render.markup import body_markup, parsed_markup
from dunning.text.table_widths import auto_tables, col_width, fixed_widths

FIXED = '<colgroup><col style="width: 15mm"><col style="width: 40mm"></colgroup>'
BODIES = [
    # (body, tables in it, the auto ones' (number, columns, why))
    (f"<table>{FIXED}<tr><td>1</td><td>2</td></tr></table>", 1, []),
    ("<table><tr><th>#</th><th>Due</th></tr></table>", 1, [(0, 2, "declares no column widths")]),
    (
        f"<p>a</p><table>{FIXED}<tr><td>1</td><td>2</td><td>3</td></tr></table>",
        1,
        [(0, 3, "declares 2 <col> for its 3 columns")],
    ),
    (
        '<table><col style="width: 15mm; color: red"><col style="width: 40mm"><tr><td>1</td><td>2</td></tr></table>',
        1,
        [(0, 2, "has a <col> whose style is not exactly one width")],
    ),
    (
        '<table><col style="width: 100mm"><col style="width: 3in"><tr><td>1</td><td>2</td></tr></table>',
        1,
        [(0, 2, "declares widths of 176.2 mm, wider than the 170 mm text")],
    ),
    ('<table><col style="width: 60%"><col style="width: 40%"><tr><td>1</td><td>2</td></tr></table>', 1, []),
    # a cell before any row, an unclosed table at the body's end, an empty table
    ("<table><td>1</td><td>2</td>", 1, [(0, 2, "declares no column widths")]),
    ("<table></table><p>x</p>", 1, []),
    # nested: the inner closes first; a table closed by its enclosing element's end tag
    (
        f"<table>{FIXED}<tr><td><table><tr><td>x</td></tr></table></td><td>2</td></tr></table>",
        2,
        [(1, 1, "declares no column widths")],
    ),
    ("<div><table><tr><td>1</td></tr></div><p>after</p>", 1, [(0, 1, "declares no column widths")]),
    # inside <head> the text is dropped, the table is not
    ("<head><table><tr><td>1</td></tr></table></head>", 1, [(0, 1, "declares no column widths")]),
]


@pytest.mark.parametrize(("body", "count", "expected"), BODIES)
def test_auto_tables_are_the_tables_print_sets_with_typst_table(
    body: str, count: int, expected: list[tuple[int, int, str]]
) -> None:
    found, auto = auto_tables(body)
    assert found == count
    assert [(table.number, table.columns, table.why()) for table in auto] == expected
    for markup in (body_markup(body), parsed_markup(body)):
        assert markup.count("#table(") == len(expected)
        assert markup.count("#rows[") == count - len(expected) - ("<table></table>" in body)


def test_every_bundled_letter_prints_its_tables_as_boxes_and_validate_agrees(
    example_letter_bodies: tuple[str, ...],
) -> None:
    bodies = example_letter_bodies
    tables = sum(auto_tables(body)[0] for body in bodies)
    assert tables > 0
    assert all(auto_tables(body)[1] == [] for body in bodies)
    # the same table without its <colgroup>: both readings turn to Typst's table
    stripped = [body.replace(body[body.find("<colgroup>") : body.find("</colgroup>") + 11], "") for body in bodies]
    changed = [body for body, before in zip(stripped, bodies, strict=True) if body != before]
    assert changed
    for body in changed:
        assert len(auto_tables(body)[1]) == body_markup(body).count("#table(") >= 1


@pytest.mark.parametrize(
    ("attrs", "width"),
    [
        ([("style", "width: 15mm")], "15mm"),
        ([("style", " width:2.5cm; ")], "2.5cm"),
        ([("style", "width: 40%")], "40%"),
        ([("style", "width: 15px")], None),
        ([("style", "width: 1234mm")], None),
        ([("span", "2")], None),
        ([("style", "width: 15mm"), ("span", "2")], None),
        ([("style", None)], None),
    ],
)
def test_a_col_width_is_read_exactly(attrs: list[tuple[str, str | None]], width: str | None) -> None:
    assert col_width(attrs) == width


def test_fixed_widths_fit_the_a4_text() -> None:
    assert fixed_widths(["100mm", "70mm"], 2) == ["100mm", "70mm"]
    assert fixed_widths(["100mm", "70.01mm"], 2) is None
    assert fixed_widths(["100mm", None], 2) is None
    assert fixed_widths(["100mm"], 2) is None
