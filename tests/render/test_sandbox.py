"""The sandbox-escape corpus: every attempt is refused with a clear RenderError (template, line)."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dunning.templating.sandbox import RenderError, TemplateSandbox, is_html

ESCAPES = {
    "class": ("{{ ''.__class__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    "mro": ("x\n{{ ''.__class__.__mro__ }}", "access to attribute '__class__' of 'str' object is unsafe"),
    "subclasses": (
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
        "access to attribute '__class__' of 'tuple' object is unsafe",
    ),
    "dunder-direct": ("{{ account.__init__ }}", "access to attribute '__init__' of 'dict' object is unsafe"),
    "attr-filter": ("{{ ''|attr('__class__') }}", "access to attribute '__class__' of 'str' object is unsafe"),
    "str-format": ("{{ '{0.__class__}'.format(1) }}", "access to attribute 'format' of 'str' object is unsafe"),
    "str-format-map": ("{{ 'x'.format_map({}) }}", "access to attribute 'format_map' of 'str' object is unsafe"),
    "printf": ("{{ '%0999999d' % 1 }}", "printf-style '%' formatting of strings is refused"),
    "range-huge": ("{% for i in range(10**9) %}x{% endfor %}", "range() of 1000000000 items refused"),
    "range-nested": (
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "more than 10000 range() items in one message refused",
    ),
    "repeat": ("{{ 'x' * 10**9 }}", "repeating a value to more than 200000 items refused"),
    "power": ("{{ 10 ** 100000 }}", "exponent above 64 refused"),
    "center": ("{{ 'x'|center(10**9) }}", "No filter named 'center'"),
    "include-parent": ("{% include '../../etc/passwd' %}", "template path '../../etc/passwd' refused"),
    "include-absolute": ("{% include '/etc/passwd' %}", "template path '/etc/passwd' refused: absolute paths"),
    "include-symlink": ("{% include 'sms/outside.j2' %}", "symlink that points outside templates/"),
    "import-parent": ("{% import '../policies/tiers.yaml' as t %}", "template path '../policies/tiers.yaml' refused"),
    "mutate": ("{% set x = account.extra.update({'a': 1}) %}", "attribute 'update' of 'dict' object is unsafe"),
}


@pytest.fixture
def sandbox(tmp_path: Path) -> TemplateSandbox:
    root = tmp_path / "templates"
    (root / "sms").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", encoding="utf-8")
    os.symlink(secret, root / "sms" / "outside.j2")
    (root / "sms" / "inside.j2").write_text("inside {{ locale }}", encoding="utf-8")
    os.symlink(root / "sms" / "inside.j2", root / "sms" / "alias.j2")
    for name, (source, _) in ESCAPES.items():
        (root / "sms" / f"{name}.j2").write_text(source, encoding="utf-8")
    return TemplateSandbox(root)


CONTEXT = {
    "account": {"id": "ACC-1", "name": "Zhang San", "currency": "CNY", "extra": {}, "overdue_amount": Decimal("5")},
    "locale": "zh-CN",
    "as_of": date(2026, 11, 28),
}


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_refused(sandbox: TemplateSandbox, name: str) -> None:
    with pytest.raises(RenderError) as info:
        sandbox.render(f"sms/{name}.j2", CONTEXT, account_id="ACC-1")
    err = info.value
    assert err.template == f"sms/{name}.j2"
    assert err.account_id == "ACC-1"
    assert ESCAPES[name][1] in err.message
    expected_line = 2 if name == "mro" else 1
    assert err.line == expected_line
    assert str(err).startswith(f"templates/sms/{name}.j2:{expected_line}: ")
    assert str(err).endswith("(account ACC-1)")
    assert "TOP SECRET" not in str(err)


def test_symlink_inside_root_is_served(sandbox: TemplateSandbox) -> None:
    assert sandbox.render("sms/alias.j2", CONTEXT) == "inside zh-CN"


def test_top_level_paths_refused(sandbox: TemplateSandbox) -> None:
    for name in ("../secret.txt", "/etc/passwd", "sms/outside.j2", "sms\\inside.j2", "sms//inside.j2"):
        with pytest.raises(RenderError, match="refused"):
            sandbox.render(name, CONTEXT)


def test_undefined_name_is_an_error_with_its_line(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "t.j2").write_text("hello\n{{ account.name }}\n{{ acount.name }}\n", encoding="utf-8")
    with pytest.raises(RenderError) as info:
        TemplateSandbox(root).render("t.j2", CONTEXT, account_id="ACC-1")
    assert str(info.value) == "templates/t.j2:3: undefined: 'acount' is undefined (account ACC-1)"


def test_error_message_never_quotes_account_data(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "t.j2").write_text("{{ account.extra[account.name] }}", encoding="utf-8")
    with pytest.raises(RenderError) as info:
        TemplateSandbox(root).render("t.j2", CONTEXT, account_id="ACC-1")
    assert "Zhang San" not in str(info.value)
    assert str(info.value) == "templates/t.j2:1: undefined: 'dict object' has no attribute '…' (account ACC-1)"


def test_syntax_error_names_line(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "t.j2").write_text("a\nb\n{% if %}\n", encoding="utf-8")
    with pytest.raises(RenderError) as info:
        TemplateSandbox(root).template("t.j2")
    assert info.value.line == 3
    assert info.value.message.startswith("syntax error: ")


def test_output_length_capped(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "t.j2").write_text("{% for i in range(1000) %}{{ 'y' * 1000 }}{% endfor %}", encoding="utf-8")
    with pytest.raises(RenderError, match="output longer than 200000 characters refused"):
        TemplateSandbox(root).render("t.j2", CONTEXT)


def test_autoescape_only_for_html(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "t.j2").write_text(
        "{% block subject %}{{ v }}{% endblock %}{% block html %}<p>{{ v }}</p>{% endblock %}", encoding="utf-8"
    )
    sandbox = TemplateSandbox(root)
    ctx = {"v": "Tom & <Jerry>"}
    assert sandbox.render("t.j2", ctx, block="subject", html=is_html("email", "subject")) == "Tom & <Jerry>"
    assert sandbox.render("t.j2", ctx, block="html", html=is_html("email", "html")) == "<p>Tom &amp; &lt;Jerry&gt;</p>"
    assert is_html("letter") and not is_html("sms") and not is_html("email", "text")
    assert sandbox.blocks("t.j2") == ("subject", "html")
