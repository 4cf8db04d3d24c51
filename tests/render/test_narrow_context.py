"""A call or a text rendered from a context that holds only what its template and its record read."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from dunning.policy import require_policy
from dunning.render.account_rows import RowReader, read_account_rows
from dunning.render.batch import ChunkRenderer
from dunning.templating.context import account_context, offer_context
from dunning.templating.fill import reads
from dunning.templating.sandbox import TemplateSandbox

FIXTURES = Path(__file__).parent / "fixtures"
COLUMNS = (
    "region", "account_id", "jurisdiction", "currency", "overdue_amount", "due_date", "name", "principal",
    "last_payment_date", "promise_amount", "promise_to_pay_date", "phone", "email", "address", "postal_code",
    "product", "segment", "creditor", "original_creditor", "timezone", "customer_id",
    "itemization_amount", "interest_since_itemization", "fees_since_itemization", "payments_since_itemization",
    "credits_since_itemization", "itemization_date",
)  # fmt: skip
ITEM = ("100.10", "2.5", "1", "0.5", "0", "2026-01-31")
ROWS: list[tuple[Any, ...]] = [
    ("east", "A-1", "US", "USD", "5.00", "2026-11-01", "Ann", "100", "2026-10-01", "x", "2026-12-01", "+12025550143",
     "a@example.com", "1 Main St", "10001", "loan", "retail", "Bank", "Old Bank", "America/New_York", "C1", *ITEM),
    (None, "B-2", "CN", "CNY", "0.00", "", "", "", "not a day", "", "", "", "", "", "", "", "", "", "", "", "",
     *(None,) * 6),
    ("", "C-3", "US", "USD", "1e3", "2026-11-01", None, "abc", None, "2.50", None, None, None, None, None, None, None,
     None, None, None, None, "100", None, "1", "0", "0", "bad"),
]  # fmt: skip
PLANS: list[dict[str, Any]] = [
    {"overdue_amount": "12.30", "jurisdiction": "US-MA", "timezone": "America/New_York", "currency": "USD", "dpd": 3},
    {"dpd": "40"},  # no amount, jurisdiction, zone or currency of its own: the row's
    {"overdue_amount": "7", "jurisdiction": "", "timezone": None, "dpd": 0},
]
ALWAYS = {"id", "phone", "timezone", "currency", "overdue_amount", "dpd"}
NARROWED = sorted(
    set(account_context(PLANS[0], RowReader(COLUMNS).account(ROWS[0]), "en-US")) - {"itemization", "extra"}
)


def _same(got: Any, expected: Any) -> bool:
    # equal, of one type, written alike (Decimal("7") and Decimal("7.00") are equal)
    return bool(got == expected) and type(got) is type(expected) and str(got) == str(expected)


@pytest.mark.parametrize("key", NARROWED)
def test_each_field_of_a_narrowed_account_is_the_whole_objects(key: str) -> None:
    for layout in (COLUMNS, tuple(reversed(COLUMNS))):
        reader = RowReader(layout)
        for row in ROWS:
            ordered = row if layout == COLUMNS else tuple(reversed(row))
            for plan in PLANS:
                for locale in ("en-US", "zh-CN"):
                    whole = reader.row_account(ordered).account_context(plan, locale)
                    got = reader.row_account(ordered).account_fields(plan, locale, frozenset({key}))
                    assert got is not None and set(got) == ALWAYS | {key}
                    assert all(_same(value, whole[name]) for name, value in got.items()), (key, got)


def test_an_account_read_whole_or_with_unknown_keys_is_not_narrowed() -> None:
    reader = RowReader(COLUMNS)
    account = reader.row_account(ROWS[0])
    every = frozenset(NARROWED)
    assert set(account.account_fields(PLANS[0], "en-US", every) or ()) == set(every)
    for keys in ({"itemization"}, {"extra"}, {"name", "nickname"}, {"items"}):
        assert account.account_fields(PLANS[0], "en-US", frozenset(keys)) is None


@pytest.mark.parametrize("cell", ["Infinity", "-inf", "sNaN", "NaN", "1E999999", "1e2", "9" * 5000])
def test_an_itemization_whose_sum_could_raise_builds_the_whole_account(cell: str) -> None:
    # the whole object adds the five amounts: an infinity minus an infinity, a signalling NaN or
    # an overflow raises there, and the narrowed one must not render what the whole one rejects
    reader = RowReader(COLUMNS)
    row = (*ROWS[0][: -len(ITEM)], cell, cell, "1", cell, "0", "2026-01-31")
    assert reader.row_account(row).account_fields(PLANS[0], "en-US", frozenset({"name"})) is None
    with pytest.raises(ArithmeticError):
        reader.row_account((*row[: -len(ITEM)], *("Infinity",) * 5, "")).account_context(PLANS[0], "en-US")
    # an itemization with a part missing is never added up: narrowed whatever its texts
    partial = (*ROWS[0][: -len(ITEM)], cell, None, "1", cell, "0", "")
    assert reader.row_account(partial).account_fields(PLANS[0], "en-US", frozenset({"name"})) is not None


def test_an_offer_without_its_schedule_converts_the_rest_alike() -> None:
    offer = {
        "id": "payment-plan", "kind": "payment_plan", "instalments": 3, "amounts": ["10.01", "10.00", "10.00"],
        "first_due_date": "2026-12-08", "interval_days": 30, "discount": "0", "discount_amount": "0.00",
        "total": "30.01",
    }  # fmt: skip
    whole, narrow = offer_context(offer), offer_context(offer, False)
    assert whole is not None and narrow is not None
    assert list(narrow) == [key for key in whole if key != "schedule"]
    assert all(_same(narrow[key], whole[key]) for key in narrow)
    assert whole["schedule"][2] == {"due_date": whole["first_due_date"].replace(year=2027, month=2, day=6),
                                    "amount": Decimal("10.00")}  # fmt: skip
    for bad in ({**offer, "amounts": ["ten"]}, {**offer, "interval_days": "x"}, {**offer, "total": "?"}):
        for schedule in (True, False):  # what fails, fails either way
            with pytest.raises((ArithmeticError, ValueError)):
                offer_context(bad, schedule)


@pytest.mark.parametrize(
    "value", ["10.00", "0", "0.00", "-1.5", "1E+3", "NaN", " 7 ", "1_000", 0, 12, Decimal("3.10"), 2.5], ids=repr
)
def test_an_offers_amounts_are_what_decimal_of_their_text_gives(value: object) -> None:
    """The amounts kept by their text (context._amount) are Decimal(str(value)), every time."""
    offer = {"id": "o", "amounts": [value, value], "discount": value, "discount_amount": value, "total": value}
    for _ in range(2):  # converted, then from the kept ones
        context = offer_context(offer, False)
        assert context is not None
        expected = Decimal(str(value))
        for got in (*context["instalment_amounts"], context["discount"], context["discount_amount"], context["total"]):
            assert type(got) is Decimal and str(got) == str(expected)
    for bad in ("ten", "", "1.2.3"):  # not kept: raises every time, as Decimal(str()) does
        for _ in range(2):
            with pytest.raises(ArithmeticError):
                offer_context({**offer, "amounts": [bad]}, False)


def _reads(tmp_path: Path, source: str) -> dict[str, frozenset[str] | None] | None:
    (tmp_path / "t.j2").write_text(source, encoding="utf-8")
    filler = TemplateSandbox(tmp_path).filler("t.j2")
    return None if filler is None else reads(filler.program)


def test_what_a_template_reads(tmp_path: Path) -> None:
    money = {"account": frozenset({"currency", "overdue_amount"}), "locale": None}
    assert _reads(tmp_path, "{{ account.overdue_amount | money }}") == money
    assert _reads(tmp_path, "{{ account.name }} {{ account['id'][-4:] }}") == {"account": frozenset({"name", "id"})}
    assert _reads(tmp_path, "{% if offer %}{{ offer.instalments }}{% endif %}") == {"offer": frozenset({"instalments"})}
    assert _reads(tmp_path, "{% if not offer %}none{% endif %}") == {"offer": frozenset()}  # its truth
    assert _reads(tmp_path, "{{ account }}") == {"account": None}
    assert _reads(tmp_path, "{{ account.id }}{{ account }}") == {"account": None}
    assert _reads(tmp_path, "{{ account.items }}") == {"account": None}  # a dict method, not a key
    assert _reads(tmp_path, "{{ offer[0] }}") == {"offer": None}
    assert _reads(tmp_path, "{{ account.name[:2] | upper }}") == {"account": frozenset({"name"})}
    looped = "{% for item in offer.schedule %}{{ item.amount | money }}{{ loop.index }}{% endfor %}"
    assert _reads(tmp_path, looped) == {"offer": frozenset({"schedule"}), "account": frozenset({"currency"}),
                                        "locale": None}  # fmt: skip
    assert _reads(tmp_path, "{% for account in offer.schedule %}{{ account.amount }}{% endfor %}") == {
        "offer": frozenset({"schedule"})
    }  # the loop's item, not the context's account


def _line(plan: dict[str, Any], template: str, channel: str = "call", **action: Any) -> bytes:
    step = {
        "id": f"{plan['account_id']}-{channel}", "channel": channel, "template": template, "status": "scheduled",
        "not_before": "2026-11-28T10:00:00-05:00", "not_after": "2026-11-28T12:00:00-05:00", "priority": 3, **action,
    }  # fmt: skip
    return orjson.dumps({**plan, "actions": [step]})


def _counted(narrow: Any, taken: list[bool]) -> Any:
    def counted(*args: Any) -> bool:
        taken.append(narrow(*args))
        return taken[-1]

    return counted


def test_calls_and_texts_rendered_narrowed_give_the_bytes_and_rejects_of_whole_contexts(
    example_copy: Path, tmp_path: Path
) -> None:
    # a template that reads the whole account (never narrowed) and one with a field the
    # account does not have (the fill fails: Jinja's error, from the whole context)
    calls = example_copy / "templates" / "call"
    (calls / "call-early.en-US.j2").write_text("{{ account.name }} {{ account.extra }}\n", encoding="utf-8")
    (calls / "call-late.en-US.j2").write_text("{{ account.nickname }}\n", encoding="utf-8")
    # a text without its opt-out (a reject, from the record's checks) and one of the whole offer
    texts = example_copy / "templates" / "sms"
    (texts / "sms-late.en-US.j2").write_text("Hi {{ account.name }}, {{ account.dpd }} days.\n", encoding="utf-8")
    (texts / "sms-reminder.en-US.j2").write_text("{{ offer }} Reply STOP to opt out.\n", encoding="utf-8")
    policy = require_policy(example_copy)
    plans, columns, row_of = _fixture_plans()
    items = []
    for plan in plans:
        row = row_of.get(plan["account_id"])
        for template in ("call-early", "call-mid", "call-late"):
            items.append((_line(plan, template), row))
            items.append((_line(plan, template, locale="zh-CN"), row))
        for template in ("sms-early", "sms-mid", "sms-late", "sms-reminder"):
            items.append((_line(plan, template, "sms"), row))
            items.append((_line(plan, template, "sms", locale="zh-CN"), row))
    narrowed: list[bool] = []
    results = []
    for fill in (True, False):
        renderer = ChunkRenderer(policy, TemplateSandbox(example_copy / "templates", fill=fill), tmp_path, pdf=False)
        if fill:
            renderer._narrow = _counted(renderer._narrow, narrowed)  # type: ignore[method-assign]
        results.append(renderer.render_chunk(items, columns))
    filled, through_jinja = results
    assert filled.calls_csv == through_jinja.calls_csv and filled.calls_jsonl == through_jinja.calls_jsonl
    assert filled.sms_lines == through_jinja.sms_lines and filled.sms_lines.count(b"\n") > 10
    assert filled.rejects == through_jinja.rejects and filled.rendered == through_jinja.rendered
    assert filled.calls_csv.count(b"\n") > 10 and filled.rejects  # calls rendered, and rejects (no phone, nickname)
    assert any(narrowed) and not all(narrowed)  # both ways taken


def _fixture_plans() -> tuple[list[dict[str, Any]], tuple[str, ...], dict[str, Any]]:
    """The fixture's plan lines, its account rows' columns, and each account's row by id."""
    plans = [orjson.loads(line) for line in (FIXTURES / "plan" / "plans.jsonl").read_bytes().splitlines()]
    rows = read_account_rows(FIXTURES / "accounts.csv", [p["account_id"] for p in plans])
    columns = tuple(rows.columns)
    return plans, columns, {row[columns.index("account_id")]: row for row in rows.rows()}


def _files(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("email_format", ["eml", "mbox"])
def test_emails_rendered_narrowed_give_the_bytes_and_rejects_of_whole_contexts(
    example_copy: Path, tmp_path: Path, email_format: str
) -> None:
    emails = example_copy / "templates" / "email"
    # a block that reads the whole account (never narrowed), a field the account does not
    # have (the fill fails: Jinja's error), a text without the opt-out (a reject), a subject
    # with an injected line and an accented name, and HTML characters in a field
    (emails / "email-plan.en-US.j2").write_text(
        "{% block subject %}Hi {{ account.name }}{% endblock %}"
        "{% block text %}{{ account.name }}{{ account }}{{ compliance.opt_out }}{% endblock %}"
        "{% block html %}<p>{{ account.name }}</p>{% endblock %}",
        encoding="utf-8",
    )
    (emails / "email-plan.zh-CN.j2").write_text(
        "{% block subject %}x{% endblock %}{% block text %}{{ account.nickname }}{% endblock %}"
        "{% block html %}y{% endblock %}",
        encoding="utf-8",
    )
    (emails / "email-reminder.en-US.j2").write_text(
        "{% block subject %}Résumé\r\nBcc: x@evil.example {{ account.id | mask }} — {{ account.dpd }}{% endblock %}"
        "{% block text %}Hi {{ account.name }}, {{ account.overdue_amount | money }} <b>&</b>{{ compliance.opt_out }}"
        "{% endblock %}{% block html %}<p>{{ account.name }} & {{ company.name }}</p>{% endblock %}",
        encoding="utf-8",
    )
    policy = require_policy(example_copy)
    plans, columns, row_of = _fixture_plans()
    items = []
    for plan in plans:
        row = row_of.get(plan["account_id"])
        for template in ("email-early", "email-plan", "email-reminder"):
            for locale in ("en-US", "zh-CN"):
                action_id = f"{plan['account_id']}-{template}-{locale}"
                items.append((_line(plan, template, "email", locale=locale, id=action_id), row))
    narrowed: list[bool] = []
    results = []
    for fill in (True, False):
        out = tmp_path / ("narrow" if fill else "whole")
        renderer = ChunkRenderer(
            policy, TemplateSandbox(example_copy / "templates", fill=fill), out, pdf=False, email_format=email_format
        )
        if fill:
            renderer._narrow = _counted(renderer._narrow, narrowed)  # type: ignore[method-assign]
        results.append((renderer.render_chunk(items, columns), _files(out)))
    (filled, filled_files), (through_jinja, jinja_files) = results
    assert filled_files == jinja_files and filled.files == through_jinja.files
    assert filled.emails == through_jinja.emails
    assert filled.rejects == through_jinja.rejects and filled.rendered == through_jinja.rendered
    # 15 emails (3 of them read the whole account: not narrowed), 27 rejects (no address, the
    # nickname, no snapshot row); every one of the 30 with a row tried narrowed, 12 written so
    assert filled.rendered == {"email": 15} and len(filled.rejects) == 27
    assert len(narrowed) == 30 and sum(narrowed) == 12
    if email_format == "eml":
        assert len(filled_files) == 15 and b"Bcc:" not in b"".join(filled_files.values())
    else:
        assert not filled_files and len(filled.emails) == 15
