"""Calls filled on columns per decision key (dunning.render.columns) write render's own bytes:
a build whose planning workers fill them equals, file for file, the build that renders every
call in Python after the plan — the rows the columns refuse (no phone, a formula-like phone,
a script over MAX_OUTPUT, a risky itemization, escapes) rendered or rejected by the Python
path in their place in plan order."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import pytest

import dunning.build as build_module
from dunning.build import BuildRequest, run_build
from dunning.plan.build import PlanInputs
from dunning.plan.columnar import PLAN, TEMPLATE_KEY
from dunning.policy import require_policy
from dunning.render import calls, columns
from dunning.render.account_rows import CONTEXT_UNUSED, dropped_columns
from dunning.render.batch import ChunkRenderer, ChunkResult
from dunning.render.fused import FusedRender
from dunning.render.run import make_renderer
from dunning.templating.formatting import format_money
from dunning.templating.sandbox import MAX_OUTPUT
from dunning.text.cells import csv_cell
from dunning.text.sms import measure

from .fused_support import variant_accounts

SATURDAY = date(2026, 11, 28)
# bench portfolio rows whose one message on Saturday 2026-11-28 is a call: each call template,
# with and without an offer, in both jurisdictions; and two whose call has an email beside it
CALL_AND_EMAIL = ("A000000105", "A000000122")
BENCH_ROWS = Path(__file__).parents[1] / "data" / "calls-bench-rows.csv"
# (id suffix, changes) of the rows made from each base row
VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("a", {}),
    ("b", {"name": 'Lee, "Al" \\ Kim', "overdue_amount": "1234567.89"}),  # quotes, comma, backslash
    ("c", {"overdue_amount": "0.05", "name": ""}),  # no name: the empty text
    ("d", {"due_date": "2026-02-29"}),  # no such day
    ("e", {"phone": ""}),  # no phone: render's reject
    ("f", {"phone": "=HYPERLINK(1)"}),  # a cell a spreadsheet would run
    ("g", {"phone": "-12.50"}),  # a plain number: kept as it is
    ("h", {"name": "x" * (MAX_OUTPUT // 2)}),  # over MAX_OUTPUT where the script names it twice (en-US)
    ("i", {"overdue_amount": "250"}),  # not canonical: the full planner plans it, no template key
    ("j", {"phone": "+1 212, ext. 5"}),  # a phone the CSV quotes
]


def _accounts(path: Path) -> tuple[Path, set[str]]:
    """The test portfolio (sorted by id) and the ids whose call the columns must refuse."""
    with BENCH_ROWS.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        base, header = list(reader), list(reader.fieldnames or ())
    rows, refused = [], set()
    for row in base:
        for suffix, changes in VARIANTS:
            made = {**row, **changes, "account_id": row["account_id"] + suffix}
            rows.append(made)
            # planned without a call (e, f: no valid phone), by the full planner (i), over
            # MAX_OUTPUT (h, en-US: render's reject)
            if suffix in "efi" or (suffix == "h" and row["locale"] == "en-US"):
                refused.add(made["account_id"])
    rows.sort(key=lambda row: row["account_id"])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path, refused


def _tree(root: Path) -> dict[str, bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def _build(
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    accounts: Path,
    out: Path,
    *,
    jobs: int,
    fused: bool,
    texts: list[str] | None = None,
) -> tuple[list[FusedRender | None], list[str]]:
    """Build (fused or rendering after the plan); the fused renders and the account ids whose
    call the columns filled (in this process: with ``jobs`` 1; the texts' ids in ``texts``)."""
    made: list[FusedRender | None] = []
    filled: list[str] = []
    real = build_module._fused
    lines = columns.MessageColumns.lines

    def spy(*args: Any) -> FusedRender | None:
        made.append(real(*args) if fused else None)
        return made[-1]

    def counted(self: columns.MessageColumns, wanted: pl.DataFrame, *args: Any) -> dict[str, pl.DataFrame]:
        out = lines(self, wanted, *args)
        for channel, ids in (("call", filled), ("sms", texts if texts is not None else [])):
            if channel in out:
                ids.extend(wanted.get_column("account_id").gather(out[channel].get_column("__n")).to_list())
        return out

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "_fused", spy)
        patch.setattr(columns.MessageColumns, "lines", counted)
        patch.setattr(build_module, "PlanInputs", functools.partial(PlanInputs, chunk_rows=37))
        request = BuildRequest(root, accounts, SATURDAY, out, jobs=jobs, pdf=False, handbook=False)
        # the rows without a phone are render's rejects: the build stops after render, published
        assert run_build(request).stopped == "render"
    return made, filled


def _both_ways(
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    accounts: Path,
    tmp_path: Path,
    jobs: int,
    texts: list[str] | None = None,
) -> tuple[dict[str, bytes], list[str]]:
    """The build rendering in its planning workers (the columns on) equals, file for file, the
    build rendering after the plan; its files and the ids whose call the columns filled."""
    made, filled = _build(monkeypatch, root, accounts, tmp_path / "fused", jobs=jobs, fused=True, texts=texts)
    assert made[0] is not None and made[0].valid
    _build(monkeypatch, root, accounts, tmp_path / "after", jobs=jobs, fused=False)
    fused, after = _tree(tmp_path / "fused"), _tree(tmp_path / "after")
    assert fused.keys() == after.keys()
    for name in fused:
        assert fused[name] == after[name], name
    return after, filled


@pytest.mark.parametrize("jobs", [1, 2])
def test_calls_filled_on_columns_are_the_python_renders_bytes(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    accounts, refused = _accounts(tmp_path / "accounts.csv")
    after, filled = _both_ways(monkeypatch, example_root, accounts, tmp_path, jobs)
    lines = after["messages/calls.jsonl"].splitlines()
    called = [orjson.loads(line)["account_id"] for line in lines]
    assert len(called) == len(set(called))
    # the refused rows' calls stand between the filled ones, from the Python path: rendered
    # (a formula-like phone neutralised, a long name) or rejected (no phone)
    rejected = after["messages/render-rejects.csv"].decode()
    assert all(a not in called and a in rejected for a in refused if a[-1] == "h")
    if jobs == 1:  # the columns ran in this process: which rows they filled
        assert len(filled) == len(set(filled)) and set(filled) <= set(called)
        assert not set(filled) & refused
        # the escapes (b), an empty name (c), a script of 100k characters (h, zh-CN) and the
        # bench rows themselves (a) were filled on columns
        for suffix in "abch":
            assert any(account.endswith(suffix) for account in filled), suffix
        assert len(filled) >= 30
        # a call beside an email: filled here, the email rendered in Python (the trees are equal)
        assert {account + "a" for account in CALL_AND_EMAIL} <= set(filled)
        assert all(f"messages/email/{account}a-" in " ".join(after) for account in CALL_AND_EMAIL)


def _stripped(accounts: Path) -> pl.DataFrame:
    """The snapshot's rows as the fused render reads them (columns no context reads left out,
    every cell stripped)."""
    frame = pl.read_csv(accounts, infer_schema=False)
    frame = frame.drop(dropped_columns(CONTEXT_UNUSED), strict=False)
    return frame.with_columns(pl.all().str.strip_chars())


def _alone(out: Path, channel: str) -> dict[str, str]:
    """The bench rows' own plan lines (id ending in ``a``) whose one message is of ``channel``."""
    plans = {}
    for line in (out / "plans.jsonl").read_text().splitlines(keepends=True):
        plan = orjson.loads(line)
        actions = [a for a in plan["actions"] if a["status"] in ("scheduled", "deferred")]
        if plan["account_id"][-1] == "a" and [a["channel"] for a in actions] == [channel]:
            plans[plan["account_id"]] = line
    return plans


@dataclass
class Variants:
    """Rows made from the plans' own rows by ``changes`` (tag: cells), each with its base's
    plan line, the lines the columns filled for them and the renderer that checks them."""

    lines: dict[str, str]  # account id: its plan line
    row_of: dict[str, tuple[Any, ...]]
    columns: tuple[str, ...]
    renderer: ChunkRenderer
    filled: dict[str, pl.DataFrame]  # MessageColumns.lines, each frame's __n an account id

    def own(self, account_id: str) -> ChunkResult:
        """render_chunk's result for the account's plan line alone."""
        return self.renderer.render_chunk([(self.lines[account_id], self.row_of[account_id])], self.columns)


def _variants(
    root: Path,
    tmp_path: Path,
    accounts: Path,
    plans: dict[str, str],
    changes: dict[str, dict[str, str]],
    short: str = "",
) -> Variants:
    """The rows of ``plans``' accounts changed by ``changes``, filled on columns as a chunk
    (the tag ``short`` gives an id of four characters instead of the base's with the tag)."""
    rows = _stripped(accounts).filter(pl.col("account_id").is_in(list(plans)))
    made, wanted = [], []
    for number, row in enumerate(rows.iter_rows(named=True)):
        base = row["account_id"]
        for tag, change in changes.items():
            account_id = f"Z{number:03d}" if short and tag == short else base + tag
            line = plans[base].replace(f'"{base}', f'"{account_id}')
            made.append({**row, **change, "account_id": account_id})
            wanted.append((account_id, line, base))
    kept = pl.DataFrame(made, schema=rows.schema)
    frame = pl.DataFrame(wanted, schema=["account_id", PLAN, TEMPLATE_KEY], orient="row")
    columns_of = tuple(kept.columns)
    row_of = dict(zip(kept.get_column("account_id").to_list(), kept.rows(), strict=True))
    renderer = make_renderer(require_policy(root), tmp_path / "r", pdf=False, email_format="eml", case_files=False)
    filled = columns.MessageColumns(renderer).lines(frame, kept, row_of.get, columns_of)
    ids = pl.Series([account_id for account_id, _, _ in wanted])
    named = {name: part.with_columns(ids.gather(part.get_column("__n")).alias("__n")) for name, part in filled.items()}
    return Variants({a: line for a, line, _ in wanted}, row_of, columns_of, renderer, named)


def test_rows_the_columns_refuse_are_left_to_the_python_path(example_root: Path, tmp_path: Path) -> None:
    """What the planner never hands render (no phone, a phone a spreadsheet would run, a
    control character) is refused by the columns' guards all the same; every line they fill
    is the one render_chunk writes for its plan line alone."""
    accounts, _ = _accounts(tmp_path / "accounts.csv")
    run_build(BuildRequest(example_root, accounts, SATURDAY, tmp_path / "out", jobs=1, pdf=False, handbook=False))
    plans = _alone(tmp_path / "out", "call")
    assert len(plans) >= 8
    changes = {
        "": {},
        "p": {"phone": ""},
        "q": {"phone": "=1+2"},
        "r": {"phone": "+1\t212"},
        "s": {"phone": "+12125550100", "name": "Tab\there"},
        "t": {"phone": '1 "212", 5', "name": "Ann"},
        "u": {"itemization_amount": "1e3", "interest_since_itemization": "1", "fees_since_itemization": "1",
              "payments_since_itemization": "1", "credits_since_itemization": "1"},
    }  # fmt: skip
    made = _variants(example_root, tmp_path, accounts, plans, changes)
    call_lines = made.filled["call"].select("__n", "csv", "json").iter_rows()
    got = {account: (csv_line, json_line) for account, csv_line, json_line in call_lines}
    # the rows as planned and those with a phone the CSV quotes and JSON escapes are filled;
    # no phone, a formula, a control character, a risky itemization: refused
    assert set(got) == {base + tag for base in plans for tag in ("", "t")}
    for account, (csv_line, json_line) in got.items():
        own = made.own(account)
        assert (csv_line.encode(), json_line.encode()) == (own.calls_csv, own.calls_jsonl), account
    # the refused rows: render's own (a reject, or a line the columns do not write)
    for account_id in made.lines:
        if account_id not in got:
            own = made.own(account_id)
            assert own.rejects or "\\t" in own.calls_jsonl.decode() or own.calls_csv.startswith(b"A")


@pytest.mark.parametrize(
    "amount", ["0.00", "0.05", "1.10", "12.00", "999.99", "1000.00", "123456.78", "1234567.89", "98765432109.01"]
)
@pytest.mark.parametrize(("locale", "currency"), [("en-US", "USD"), ("zh-CN", "CNY")])
def test_money_on_columns_is_format_money(amount: str, locale: str, currency: str) -> None:
    from dunning.templating.formatting import _money_recipe

    recipe = _money_recipe(locale, currency)
    assert recipe is not None
    frame = pl.DataFrame({"a": [amount], "__mprefix": [recipe.prefix], "__msuffix": [recipe.suffix]})
    assert frame.select(columns._money(pl.col("a"))).item() == format_money(Decimal(amount), currency, locale)


@pytest.mark.parametrize(
    "text",
    ["plain", "a,b", 'say "hi"', "two\nlines\n", "back\\slash", "中文，全角", "+12125550100", "", '",\n\\'],
)
def test_cells_and_strings_on_columns_are_the_writers(text: str) -> None:
    frame = pl.DataFrame({"t": [text]})
    assert frame.select(columns._csv_cell(pl.col("t"))).item() == csv_cell(text)
    assert frame.select(columns._json_text(pl.col("t"))).item() == orjson.dumps(text).decode()
    # the middle cells: the memo's CSV text and orjson's members
    middle = ["Asia/Shanghai", "2026-11-28T09:00:00+08:00", "x", "y", "z", "5", "call-mid", text]
    mid_csv, mid_json = calls.middle_texts(middle)
    row = ["A1-x", "A1", "+1", *middle, "s\n"]
    assert f"A1-x,A1,+1,{mid_csv},{csv_cell('s' + chr(10))}\n" == calls.csv_texts([row])[0]
    assert f'{{"action_id":"A1-x","account_id":"A1","phone":"+1"{mid_json},"script":"s\\n"}}\n'.encode() == (
        calls.jsonl_bytes([row])
    )


# bench portfolio rows whose one message on Saturday 2026-11-28 is a text: each text template
# in both jurisdictions, with and without an offer
SMS_ROWS = Path(__file__).parents[1] / "data" / "sms-bench-rows.csv"
SMS_VARIANTS: list[tuple[str, dict[str, str]]] = [
    ("a", {}),
    ("b", {"name": 'Lee, "Al" \\ Kim', "overdue_amount": "1234567.89"}),  # quotes, comma, backslash
    ("c", {"name": "", "overdue_amount": "0.05"}),  # no name: the empty text
    ("d", {"name": "王小明"}),  # CJK: an en-US text in UCS-2
    ("h", {"name": "x" * 400}),  # over the policy's segments: render's reject
    ("k", {"name": "Ann [€]"}),  # GSM-7 extension characters: two septets each
    ("m", {"name": "Ann 😀"}),  # beyond the BMP: two UTF-16 units
]


def _sms_accounts(path: Path) -> Path:
    return variant_accounts(SMS_ROWS, SMS_VARIANTS, path)


@pytest.mark.parametrize("jobs", [1, 2])
def test_texts_filled_on_columns_are_the_python_renders_bytes(
    monkeypatch: pytest.MonkeyPatch, example_root: Path, tmp_path: Path, jobs: int
) -> None:
    accounts = _sms_accounts(tmp_path / "accounts.csv")
    filled: list[str] = []
    after, _ = _both_ways(monkeypatch, example_root, accounts, tmp_path, jobs, texts=filled)
    records = [orjson.loads(line) for line in after["messages/sms.jsonl"].splitlines()]
    texted = {record["account_id"]: record for record in records}
    rejected = after["messages/render-rejects.csv"].decode()
    # every text over the segments is Python's reject; the rows as planned are all sent
    assert {a for a in texted if a[-1] == "a"} == {row + "a" for row in _ids(SMS_ROWS)}
    assert all(row + "h" in rejected and row + "h" not in texted for row in _ids(SMS_ROWS))
    if jobs == 1:  # the columns ran in this process: which rows they filled
        assert len(filled) == len(set(filled)) and set(filled) <= set(texted)
        for suffix in "abcd":
            assert any(account.endswith(suffix) for account in filled), suffix
        # a text over one message with a two-unit character is counted by Python's split
        for account_id in filled:
            record = texted[account_id]
            if account_id[-1] in "km":
                assert record["segments"] == 1 or (record["encoding"] == "UCS-2" and account_id[-1] == "k")


def _ids(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["account_id"] for row in csv.DictReader(handle)]


def test_texts_the_columns_refuse_are_left_to_the_python_path(example_root: Path, tmp_path: Path) -> None:
    """Each text guard's row against the Python path's own line: what the columns fill is the
    line render_chunk writes for that plan line alone; what they refuse, render rejects or
    writes from a text the columns do not count (a two-unit character over one message)."""
    accounts = _sms_accounts(tmp_path / "accounts.csv")
    run_build(BuildRequest(example_root, accounts, SATURDAY, tmp_path / "out", jobs=1, pdf=False, handbook=False))
    plans = _alone(tmp_path / "out", "sms")
    assert len(plans) == len(_ids(SMS_ROWS))
    changes: dict[str, dict[str, str]] = {
        "": {},
        "b": {"name": 'Lee, "Al" Kim'},
        "q": {"name": "Al \\ Kim"},  # a backslash: GSM-7's extension, one UCS-2 unit
        "c": {"name": ""},
        "d": {"name": "王小明"},
        "e": {"name": "Ann € ^ {x}"},
        "m": {"name": "Ann 😀"},
        "n": {"name": " Ann　"},  # white space at the name's ends stays inside the text
        "p": {"phone": ""},
        "r": {"phone": "+1\t212"},
        "s": {"name": "Tab\there"},
        "x": {"name": "x" * 400},
        "u": {"itemization_amount": "1e3", "interest_since_itemization": "1", "fees_since_itemization": "1",
              "payments_since_itemization": "1", "credits_since_itemization": "1"},
        "z": {},  # an id of four characters: mask writes it whole
    }  # fmt: skip
    made = _variants(example_root, tmp_path, accounts, plans, changes, short="z")
    got = dict(made.filled["sms"].select("__n", "json").iter_rows())
    for account, line in got.items():
        assert line.encode() == made.own(account).sms_lines, account
    # filled: as planned, quotes and a comma, an empty name, CJK (UCS-2), spaces, the short id
    for base in plans:
        for tag in ("", "b", "c", "d", "n"):
            assert base + tag in got, base + tag
    # a backslash in a CN text (UCS-2): JSON's escape on columns
    assert {base + "q" for base in plans if "zh-CN" in plans[base]} <= set(got)
    assert sum(account.startswith("Z") for account in got) == len(plans)
    # refused: no phone, a control character, over the segments, a risky itemization
    assert not {account for account in got if account[-1] in "prsxu"}
    for account_id in made.lines:
        if account_id not in got:
            own = made.own(account_id)
            if own.rejects:
                continue
            record = orjson.loads(own.sms_lines)
            # written by Python: a control character's escape, a two-unit character's split,
            # or the itemization render's narrowing leaves to its full context
            assert account_id[-1] in "rsemqu", account_id
            if account_id[-1] in "emq":
                assert record["length"] > {"GSM-7": 160, "UCS-2": 70}[record["encoding"]]
    # the rows over the segments are render's rejects
    assert all(made.own(base + "x").rejects for base in plans)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 160, "a" * 161, "a" * 306, "a" * 307, "€" * 80, "€" * 81, "a€" * 60, "中" * 70, "中" * 71,
        "中" * 134, "中" * 135, "😀" * 35, "😀" * 36, "a😀", "Ann, [x] {y} ^~|\\ \n\r\f",
        "ÄÖÑÜ§¿äöñüà@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ", "née Ωmega ç", "x" * 470, "x" * 460,
    ],
)  # fmt: skip
def test_texts_measured_on_columns_are_text_sms_measure(example_root: Path, text: str) -> None:
    """The encoding, length and segments the columns write, where they write them (a split
    text without two-unit characters; within the policy's segments), are measure's."""
    policy = require_policy(example_root)
    frame = pl.DataFrame({"__raw": [text]})
    measured, refused = columns.TextLines().measured(frame, policy)
    out = measured.select("__encoding", "__length", "__segments", refused.alias("refused")).row(0)
    encoding, length, segments = measure(text)
    two_units = length != len(text)
    assert out[3] == ((two_units and segments > 1) or segments > policy.settings.sms_max_segments), text
    if not out[3]:
        assert out[:3] == (encoding, length, segments)


def test_keys_whose_texts_lack_the_disclosures_are_left_to_python() -> None:
    """The opt-out instruction (and a CN text's 【signature】) must stand whole in one of the
    key's texts: missing, or split by a row's field, the key is the Python path's (which then
    rejects or writes each text as it always has)."""
    lines = columns.TextLines()

    def context(jurisdiction: str) -> dict[str, Any]:
        return {
            "compliance": {"opt_out": "Reply STOP to opt out."},
            "account": {"jurisdiction": jurisdiction},
            "company": {"sms_signature": "Acme"},
        }

    assert not lines.constant_refused(["Hi ", ", you owe. Reply STOP to opt out."], context("US"))
    assert lines.constant_refused(["Hi ", ", you owe."], context("US"))  # missing
    assert lines.constant_refused(["Hi. Reply STOP ", " to opt out."], context("US"))  # split by a field
    assert not lines.constant_refused(["【Acme】Hi ", "Reply STOP to opt out."], context("CN"))
    assert lines.constant_refused(["Acme: Hi ", "Reply STOP to opt out."], context("CN-31"))  # no 【signature】
    assert not lines.constant_refused(["Acme: Hi ", "Reply STOP to opt out."], context("US"))
