"""Fill-in templates (dunning.templating.fill): which templates the static analysis admits,
and the same bytes (or the same error) as Jinja for every template, block, locale and
persona, for hostile field values, and for whole renders of the example portfolio."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup, escape

from dunning.cli import main
from dunning.policy import require_policy
from dunning.render.run import render_plans
from dunning.templating import fill as fill_module
from dunning.templating.fill import Unfillable, compile_fill
from dunning.templating.personas import persona_context, personas
from dunning.templating.sandbox import PER_ACCOUNT_ENV, RenderError, TemplateSandbox, is_html

from .outputs_support import output_files, same_output

HOSTILE = '<b>O\'Brien & "Sons"</b> {{ account.id }} \u202e\U0001f600\n'


@pytest.fixture(params=[1, fill_module.COMPILE_AFTER], ids=["compiled-at-once", "compiled-later"])
def compile_after(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """Each layout's generated function written after 1 message (every fill but a layout's
    first through it) or after the default number (the first fills slot by slot)."""
    monkeypatch.setattr(fill_module, "COMPILE_AFTER", request.param)
    return int(request.param)


def _blocks(channel: str) -> tuple[str | None, ...]:
    return {"email": ("subject", "text", "html"), "letter": ("subject", "body")}.get(channel, (None,))


def _outcome(sandbox: TemplateSandbox, file: str, context: dict[str, Any], html: bool, block: str | None) -> str:
    try:
        return sandbox.render(file, context, html=html, block=block, account_id=context["account"]["id"])
    except RenderError as exc:
        return f"RenderError: {exc}"


def _both(root: Path, file: str, context: dict[str, Any], html: bool, block: str | None) -> tuple[str, str]:
    return (
        _outcome(TemplateSandbox(root, fill=True), file, context, html, block),
        _outcome(TemplateSandbox(root, fill=False), file, context, html, block),
    )


def _reason(root: Path, file: str, block: str | None, html: bool = False) -> str:
    env = TemplateSandbox(root).environment(html)
    try:
        compile_fill(env.parse((root / file).read_text(encoding="utf-8"), file), block, env.filters)
    except Unfillable as exc:
        return str(exc)
    return "fill"


def test_the_static_analysis_admits_plain_fields_and_decision_branches(example_root: Path) -> None:
    templates = example_root / "templates"
    assert _reason(templates, "sms/sms-early.en-US.j2", None) == "fill"
    assert _reason(templates, "sms/sms-mid.zh-CN.j2", None) == "fill"  # {% if offer %}: a decision
    assert _reason(templates, "call/call-mid.en-US.j2", None) == "fill"  # account.id[-4:] and if/else
    assert _reason(templates, "email/email-reminder.en-US.j2", "html", html=True) == "fill"
    assert _reason(templates, "email/email-plan.en-US.j2", "subject") == "fill"
    assert _reason(templates, "email/email-plan.en-US.j2", "text") == "fill"  # a loop over the instalments
    assert _reason(templates, "email/email-plan.zh-CN.j2", "html", html=True) == "fill"
    assert _reason(templates, "letter/letter-plan.en-US.j2", "body", html=True) == "fill"
    assert _reason(templates, "letter/letter-notice.en-US.j2", "body", html=True) == "Call at line 6"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("{{ account.name.upper() }}", "Call at line 1"),
        ("{{ account.name | default('x') }}", "filter 'default' at line 1"),
        ("{{ account.name | money(account.currency) }}", "Getattr at line 1 is not a constant"),
        ("{{ account.name ~ 'x' }}", "Concat at line 1"),
        ("{% set x = 1 %}{{ x }}", "Assign at line 1"),
        ("{% if account.dpd > 3 %}x{% endif %}", "Compare at line 1"),
        ("{% if account.name is defined %}x{% endif %}", "Test at line 1"),
        ("{{ account.name if offer else '' }}", "CondExpr at line 1"),
        ("{{ 'x' }}", "Const at line 1"),
        (
            "{% for a in x %}{{ a }}{% else %}none{% endfor %}",
            "the loop at line 1 has an else, a filter or is recursive",
        ),
        ("{% for a in x if a %}{{ a }}{% endfor %}", "the loop at line 1 has an else, a filter or is recursive"),
        ("{% for a in x recursive %}{{ a }}{% endfor %}", "the loop at line 1 has an else, a filter or is recursive"),
        ("{% for a, b in x %}{{ a }}{% endfor %}", "the loop target at line 1 is not one plain name"),
        ("{% for loop in x %}{{ loop }}{% endfor %}", "the loop target at line 1 is not one plain name"),
        ("{% for a in x %}{% for b in a %}{{ b }}{% endfor %}{% endfor %}", "a loop inside a loop at line 1"),
        ("{% for a in x %}{% if a.amount %}y{% endif %}{% endfor %}", "a test on the loop item a at line 1"),
        ("{% for a in x %}{% if not a %}y{% endif %}{% endfor %}", "a test on the loop item a at line 1"),
        ("{% for a in x %}{{ loop.cycle('a', 'b') }}{% endfor %}", "Call at line 1"),
        ("{% for a in x %}{{ loop.previtem }}{% endfor %}", "loop.previtem at line 1"),
        ("{% for a in x %}{{ loop.index | number }}{% endfor %}", "name loop at line 1 is not a context lookup"),
        ("{% for a in x %}{% if loop.first or a %}y{% endif %}{% endfor %}", "Or at line 1"),
        (
            "{% for a in x %}{% if loop.last %}y{% elif a %}z{% endif %}{% endfor %}",
            "a test on the loop item a at line 1",
        ),
        (
            "{% for a in x %}{% if loop.last %}y{% elif b %}z{% endif %}{% endfor %}",
            "an if at line 1 tests loop and other values",
        ),
        ("{% for a in x | sort %}{{ a }}{% endfor %}", "Filter at line 1"),
        ("{{ loop.index }}", "name loop at line 1 is not a context lookup"),
        ("{% include 'x.j2' %}", "Include at line 1"),
        ("{% autoescape false %}{{ account.name }}{% endautoescape %}", "Scope"),
        ("{% block b %}{{ account.name }}{% endblock %}", "Block at line 1"),
        ("{{ account[account.id] }}", "Getitem at line 1"),
        ("{{ account.name | mask(n) }}", "Name at line 1 is not a constant"),
        ("{{ self }}", "name self at line 1 is not a context lookup"),
    ],
)
def test_anything_but_fields_and_plain_tests_renders_per_account(tmp_path: Path, source: str, reason: str) -> None:
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    assert _reason(tmp_path, "t.j2", None) == reason
    assert TemplateSandbox(tmp_path).filler("t.j2") is None


def test_every_template_block_locale_and_persona_fills_to_jinja_bytes(example_root: Path, compile_after: int) -> None:
    policy = require_policy(example_root)
    root = example_root / "templates"
    filled = compared = 0
    fill = TemplateSandbox(root, fill=True)
    jinja = TemplateSandbox(root, fill=False)
    for template in sorted(policy.templates.values(), key=lambda t: t.id):
        for locale, file in sorted(template.files.items()):
            for persona in personas(policy, locale):
                context = persona_context(policy, persona, template.id)
                hostile = {**context, "account": {**context["account"], "name": HOSTILE, "address": HOSTILE}}
                for block in _blocks(template.channel):
                    html = is_html(template.channel, block) and block != "subject"
                    filled += fill.filler(file, html=html, block=block) is not None
                    for variables in (context, hostile):
                        expected = _outcome(jinja, file, variables, html, block)
                        assert _outcome(fill, file, variables, html, block) == expected, (file, block, persona.id)
                        compared += 1
    # the fill path really ran: 324 of the 330 (template block, persona) renders were fills
    # (the 6 others: the US validation notice's body, which calls a method)
    assert (filled, compared) == (324, 660)


def test_the_blocks_of_one_message_share_their_fields_and_give_jinjas_bytes(
    example_root: Path, compile_after: int
) -> None:
    # an email's subject, text and HTML (a letter's subject and body) filled with one memo:
    # each field computed once, escaped by each block as it needs, the bytes Jinja writes
    policy = require_policy(example_root)
    root = example_root / "templates"
    fill = TemplateSandbox(root, fill=True)
    jinja = TemplateSandbox(root, fill=False)
    shared = messages = 0
    for template in sorted(policy.templates.values(), key=lambda t: t.id):
        if template.channel not in ("email", "letter"):
            continue
        for locale, file in sorted(template.files.items()):
            for persona in personas(policy, locale):
                context = persona_context(policy, persona, template.id)
                hostile = {**context, "account": {**context["account"], "name": HOSTILE, "address": HOSTILE}}
                for variables in (context, hostile):
                    memo: dict[int, Any] = {}
                    sizes = []
                    for block in _blocks(template.channel):
                        html = is_html(template.channel, block) and block != "subject"
                        got = fill.render(file, variables, html=html, block=block, memo=memo)
                        assert got == _outcome(jinja, file, variables, html, block), (file, block, persona.id)
                        sizes.append(len(memo))
                    # the HTML body needs no field the text body has not computed (emails)
                    shared += template.channel == "email" and sizes[2] == sizes[1]
                    messages += 1
    assert (messages, shared) == (168, 72)  # 14 template files × 6 personas × 2 (plain, hostile); 6 files are emails


@pytest.mark.parametrize(
    ("source", "change"),
    [
        ("{{ account.nope }}", {}),  # undefined attribute
        ("{% if offer.instalments %}x{% endif %}", {"offer": None}),  # attribute of None
        ("{{ account.name | money }}", {}),  # a filter error
        ("{{ account.missing_name }}", {"account": {"id": "A-1"}}),
        ("{{ offer }}", {"offer": None}),
        ("{{ account.name }}", {"account": {"id": "A-1", "name": "x" * 200_001}}),  # the output cap
    ],
)
def test_a_message_the_fill_cannot_complete_gets_jinjas_error(
    tmp_path: Path, source: str, change: dict[str, Any], compile_after: int
) -> None:
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    context: dict[str, Any] = {"account": {"id": "A-1", "name": "Li Ming"}, "locale": "en-US", **change}
    filled, rendered = _both(tmp_path, "t.j2", context, False, None)
    assert filled == rendered
    assert filled.startswith("RenderError: templates/t.j2") or filled == "None"


def test_hostile_values_are_escaped_exactly_as_jinja_escapes_them(tmp_path: Path, compile_after: int) -> None:
    (tmp_path / "t.j2").write_text(
        "<p>{{ account.name }}</p>{% if not offer %}<i>{{ account.name | upper }}</i>{% endif %}"
    )
    context = {"account": {"id": "A-1", "name": HOSTILE}, "offer": None, "locale": "en-US"}
    filled, rendered = _both(tmp_path, "t.j2", context, True, None)
    assert filled == rendered
    assert filled.startswith("<p>&lt;b&gt;O&#39;Brien &amp; &#34;Sons&#34;&lt;/b&gt; {{ account.id }}")
    assert _both(tmp_path, "t.j2", context, False, None)[0].startswith(f"<p>{HOSTILE}</p><i>")


def _build(example_root: Path, out: Path, day: str) -> None:
    args = ["build", "--accounts", str(example_root / "examples" / "accounts.csv")]
    args += ["--history", str(example_root / "examples" / "history.csv"), "--as-of", day, "--horizon", "3"]
    args += ["--out", str(out), "--no-pdf", "--no-handbook", "--quiet", "--jobs", "1", str(example_root)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("day", ["2026-11-28", "2026-11-30"])
def test_the_example_portfolio_renders_the_same_bytes_both_ways(
    example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, day: str
) -> None:
    _build(example_root, tmp_path / "filled", day)
    monkeypatch.setenv(PER_ACCOUNT_ENV, "1")
    _build(example_root, tmp_path / "jinja", day)
    filled, jinja = output_files(tmp_path / "filled"), output_files(tmp_path / "jinja")
    assert sum(name.startswith("messages/") for name in filled) >= 4
    assert same_output(filled, jinja)


def test_the_golden_plan_renders_the_same_bytes_both_ways(
    plan_dir: Path, example_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    other = tmp_path / "jinja"
    shutil.copytree(plan_dir.parent, other)
    render_plans(plan_dir, example_root, workers=1, pdf=False)
    monkeypatch.setenv(PER_ACCOUNT_ENV, "1")
    render_plans(other / "plan", example_root, workers=1, pdf=False)
    assert same_output(output_files(plan_dir), output_files(other / "plan"))


def test_a_persona_without_an_offer_and_one_with_one_take_different_layouts(example_root: Path) -> None:
    policy = require_policy(example_root)
    sandbox = TemplateSandbox(example_root / "templates", fill=True)
    filler = sandbox.filler("call/call-mid.en-US.j2")
    assert filler is not None
    for persona in personas(policy, "en-US"):
        sandbox.render("call/call-mid.en-US.j2", persona_context(policy, persona, "call-mid"))
    assert sorted(filler.layouts) == [(0,), (1,)]
    assert dataclasses.is_dataclass(next(iter(filler.layouts.values())))


def test_nested_ifs_elif_and_else_take_the_branches_jinja_takes(tmp_path: Path, compile_after: int) -> None:
    source = (
        "{% if a.x %}A{% if not a.y %}B{{ a.name }}{% endif %}{% elif a.z %}C{{ a.z }}"
        "{% else %}D{% if a.y %}E{% else %}G{% endif %}{% endif %}|{% if a.y %}F{% endif %}."
    )
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    sandbox = TemplateSandbox(tmp_path, fill=True)
    seen = []
    for x in (0, 1):
        for y in ("", "y"):
            for z in (None, [1]):
                context = {"a": {"x": x, "y": y, "z": z, "name": "<N>"}, "account": {"id": "A-1"}}
                filled, rendered = _both(tmp_path, "t.j2", context, True, None)
                assert filled == rendered
                seen.append(sandbox.render("t.j2", context))
    assert seen == [
        "DG|.", "C[1]|.", "DE|F.", "C[1]|F.", "AB<N>|.", "AB<N>|.", "A|F.", "A|F.",
    ]  # fmt: skip
    filler = sandbox.filler("t.j2")
    assert filler is not None and sorted(filler.layouts) == [(0, 0, 1), (0, 1, 0), (1, 0), (1, 1), (2, 0, 0), (2, 1, 1)]


LOOP = (
    "{{ a.name }}:{% for item in a.rows %}[{{ loop.index }}/{{ loop.length }} {{ item }} {{ item.x }}"
    "{% if loop.first %}F{% if a.flag %}!{{ a.name }}{% endif %}{% elif not loop.last %}M{% else %}L{% endif %}"
    "{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}"
    "{% if a.flag %}+{% else %}-{% endif %}{{ item.amount | money }}]\n{% endfor %}"
    "{% if a.flag %}{% for item in a.rows %}{{ item.x | upper }};{% endfor %}{% endif %}{{ item }}."
)


@pytest.mark.parametrize("html", [False, True])
def test_loops_fill_to_jinjas_bytes_for_every_length_and_value(tmp_path: Path, html: bool, compile_after: int) -> None:
    from decimal import Decimal

    (tmp_path / "t.j2").write_text(LOOP, encoding="utf-8")
    sandbox = TemplateSandbox(tmp_path, fill=True)
    one = {"x": "<b>&", "amount": Decimal("12.5")}
    two = {"x": "y", "amount": Decimal("0.99")}
    lists: list[Any] = [[], [one], [one, two], (two, one, two), [one, two, one, two]]
    # not a list or tuple, a missing key, None: Jinja renders (or refuses) those messages
    others: list[Any] = ["ab", {"k": 1}, [{"x": 1}], None]
    for items in [*lists, *others]:
        for flag in (0, 1):
            context = {
                "a": {"name": HOSTILE, "rows": items, "flag": flag},
                "item": "outer",
                "account": {"id": "A-1", "currency": "USD"},
                "locale": "en-US",
            }
            filled, rendered = _both(tmp_path, "t.j2", context, html, None)
            assert filled == rendered, (items, flag)
            assert _outcome(sandbox, "t.j2", context, html, None) == rendered
    filler = sandbox.filler("t.j2", html=html)
    assert filler is not None
    # a decision: the loop's length, per item the ifs on the context it runs (the if on loop.first is
    # the layout's), then the if after the loop and, when it is taken, its loop's length
    assert sorted(filler.layouts) == [
        (0, 0, 0), (0, 1), (1, 0, 0, 0, 1), (1, 1, 1, 1), (2, 0, 0, 0, 0, 2), (2, 1, 1, 1, 1),
        (3, 0, 0, 0, 0, 0, 3), (3, 1, 1, 1, 1, 1), (4, 0, 0, 0, 0, 0, 0, 4), (4, 1, 1, 1, 1, 1, 1),
    ]  # fmt: skip
    context = {
        "a": {"name": "N", "rows": [one, two], "flag": 1},
        "item": "o",
        "account": {"id": "A-1", "currency": "USD"},
    }
    expected = (
        "N:[1/2 {'x': '<b>&', 'amount': Decimal('12.5')} <b>&F!N021TrueFalse+$12.50]\n"
        "[2/2 {'x': 'y', 'amount': Decimal('0.99')} yL110FalseTrue+$0.99]\n<B>&;Y;o."
    )
    assert sandbox.render("t.j2", {**context, "locale": "en-US"}) == expected


def test_generated_functions_hold_no_template_text_and_give_jinjas_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a template whose text, names, keys and filter arguments read as Python: its layouts'
    # functions name them by position only (each source checked by _checked_source, recorded here)
    source = (
        '"""\'\\ # {{ account["x\\"y\'#"] }} __import__("os").system("id") {{ account.name | money("US\\"D") }}\n'
        "{% if account['a b'] %}{{ account.id[-4:] }}\\\n{% else %}{{ account.id | mask(2) }}{% endif %}"
        "{% for r in account.rows %}{{ loop.index }}#{{ r['k\\'ey'] }}{% if loop.last %}\"{% endif %}{% endfor %}"
    )
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    sources: list[str] = []
    checked = fill_module._checked_source

    def record(text: str) -> str:
        sources.append(text)
        return checked(text)

    monkeypatch.setattr(fill_module, "_checked_source", record)
    monkeypatch.setattr(fill_module, "COMPILE_AFTER", 1)
    sandbox = TemplateSandbox(tmp_path, fill=True)
    for flag in ("", "x"):
        for rows in ([], [{"k'ey": 'v"1'}], [{"k'ey": 1}, {"k'ey": "\\"}]):
            account = {"x\"y'#": "<X>", "name": "3.5", "a b": flag, "id": "A-1234", "rows": rows}
            context = {"account": account, "locale": "en-US"}
            for html in (False, True):
                filled, rendered = _both(tmp_path, "t.j2", context, html, None)
                assert filled == rendered
                assert _outcome(sandbox, "t.j2", context, html, None) == rendered
    filler = sandbox.filler("t.j2")
    assert filler is not None and filler.decide is not None
    assert len(filler.layouts) == 6 and all(layout.fill is not None for layout in filler.layouts.values())
    assert all(layout.fill_memo is None for layout in filler.layouts.values())  # no render asked with a memo
    assert sources
    for text in sources:
        assert not set(text) & set("\"'\\#")
        assert "import" not in text and "system" not in text and "os" not in text.split()


@pytest.mark.parametrize(
    "source",
    [
        "def make(c):\n  return c\n  x = 'a'\n",
        'def make(c):\n  return "a"\n',
        "def make(c):\n  return c  # x\n",
        "def make(c):\n  return c\\\n",
        "def make(c):\n  return open\n",
        "def make(c):\n  return __import__\n",
        "def make(c):\n  return c.__class__\n",
    ],
)
def test_a_generated_source_outside_the_alphabet_or_vocabulary_is_refused(source: str) -> None:
    with pytest.raises(fill_module.UnsafeSource):
        fill_module._checked_source(source)


def test_a_layout_fills_slot_by_slot_until_it_has_filled_enough_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fill_module, "COMPILE_AFTER", 3)
    (tmp_path / "t.j2").write_text("{% if a.x %}{{ a.name }}!{% endif %}.", encoding="utf-8")
    sandbox = TemplateSandbox(tmp_path, fill=True)
    filler = sandbox.filler("t.j2")
    assert filler is not None
    for n in range(1, 6):
        assert sandbox.render("t.j2", {"a": {"x": 1, "name": f"N{n}"}}) == f"N{n}!."
        assert (filler.layouts[(0,)].fill is not None) == (n >= 3)
    assert filler.layouts[(0,)].fill_memo is None
    memo: dict[int, Any] = {}
    assert sandbox.render("t.j2", {"a": {"x": 1, "name": "M"}}, memo=memo) == "M!."
    assert filler.layouts[(0,)].fill_memo is not None and list(memo.values()) == ["M"]
    assert sandbox.render("t.j2", {"a": {"x": 0}}) == "."
    assert filler.layouts[(1,)].fill is None


@given(st.text())
def test_a_text_field_is_escaped_as_markupsafe_escapes_it(value: str) -> None:
    """The HTML fill's converter gives escape()'s text for a str (without its Markup)."""
    assert fill_module.escaped(value) == str(escape(value))
    assert type(fill_module.escaped(value)) is str


def _wrong_escape(value: str) -> str:
    return value.replace("<", "&lt;")  # leaves quotes and ampersands as they are


def _old_signature(value: str, quote: bool) -> str:
    raise AssertionError("not reached: called with one argument it raises TypeError")


@pytest.mark.parametrize("private", [_wrong_escape, _old_signature], ids=["escapes-less", "other-signature"])
def test_a_markupsafe_whose_private_escape_differs_costs_speed_not_escaping(
    monkeypatch: pytest.MonkeyPatch, private: Any
) -> None:
    """fill uses markupsafe's private C escape only when it escapes as escape() does."""
    speedups = pytest.importorskip("markupsafe._speedups")
    monkeypatch.setattr(speedups, "_escape_inner", private)
    chosen = fill_module._fast_escape()
    assert chosen is fill_module._escape_text
    assert chosen("<a title='t'>&\"</a>") == "&lt;a title=&#39;t&#39;&gt;&amp;&#34;&lt;/a&gt;"


def test_this_markupsafe_private_escape_is_used() -> None:
    speedups = pytest.importorskip("markupsafe._speedups")
    assert fill_module._fast_escape() is speedups._escape_inner


class _Html:
    def __html__(self) -> str:
        return "<b>as it is</b>"


@pytest.mark.parametrize(
    "value",
    [Decimal("1234.50"), 7, None, True, date(2026, 11, 28), Markup("<i>safe</i>"), _Html(), ["<a>", "&"]],
    ids=["decimal", "int", "none", "bool", "date", "markup", "__html__", "list"],
)
def test_any_other_field_is_escaped_by_markupsafe_itself(value: object) -> None:
    assert fill_module.escaped(value) == escape(value)
