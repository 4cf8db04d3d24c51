"""Call scripts and texts laid out once per decision key and filled on columns, in a planning worker.

Plan's fast path (:mod:`dunning.plan.columnar`) fills each row's plan line from the template
of its decision key: every row of a key has the same actions (channel, template, locale,
send window, priority), its action ids apart (the account's id and a suffix the key fixes).
So for a plan line's call (its one message of a channel filled here; any other, an email
beside it, is rendered in Python), what render works out per message — the template file, the
branches its script takes, the company's and compliance's texts, the window cells and the
dialer row's middle cells — is the key's, and is made here once per key (:class:`MessageColumns`
and :class:`CallLines`, from one row of the key through render's own Python functions). Per
row there remain the account's id, name and phone, the days past due, the amounts and the due
date: string expressions over the chunk's columns, and the ``calls.csv`` and ``calls.jsonl``
lines of the whole chunk in two more. ≈ 37 µs a call in Python, ≈ 12 on columns measured by
the prototype (``benchmarks/render_columns.py``, docs/performance.md).

Only what is provably the Python path's bytes is filled here; any row a guard refuses goes
to :meth:`~dunning.render.batch.ChunkRenderer.render_chunk` as before, which then writes it
(or its reject): no phone (render's RenderError), a cell a spreadsheet would read as a
formula, a control character (the CSV and JSON escapes are written here for the plain
ones only), an amount not in plan's canonical form, a script over ``MAX_OUTPUT``, a row whose
itemization narrowing refuses, a missing snapshot row, and every key whose template reads a
field outside the few derivations below or branches on a field of the row. The caller
merges both by plan order (:meth:`dunning.render.fused.ChunkMessages.chunk`).

Texts (:class:`TextLines`) go the same way, with the machinery above shared
(:class:`MessageColumns`): per key, the template's layout, the text's strip (white space at both
ends, on the key's texts), the opt-out instruction and a CN text's 【signature】 found whole in
one of the key's texts (else the key is left to Python: a row's value could supply or split
them), the record's sender and its members from the window to the locale as ``sms.jsonl``
writes them; per row, besides the fields, the encoding, length and segment count of
:func:`dunning.text.sms.measure` on the filled text (a row over one message whose text holds a
two-unit character, an escape or a surrogate pair, goes to Python: only there is the split
counted character by character), and the policy's ``sms_max_segments`` (over it: Python's
reject).
"""

from __future__ import annotations

import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import orjson
import polars as pl

from dunning.plan.columnar import PLAN, TEMPLATE_KEY
from dunning.policy.model import Policy
from dunning.render import calls, sms
from dunning.render import email as email_channel
from dunning.render.account_rows import RowReader, _present_day, _risky
from dunning.render.batch import RENDERABLE, ChunkRenderer, ChunkResult
from dunning.render.files import file_stem
from dunning.templating import formatting
from dunning.templating.context import build_context
from dunning.templating.fill import Decisions, Filler, Slot, _decide, _For
from dunning.templating.sandbox import MAX_OUTPUT, is_html
from dunning.text.cells import _FORMULA_START as _FORMULA_CHARS
from dunning.text.cells import _PLAIN_NUMBER as _PLAIN_NUMBER_RE
from dunning.text.cells import _QUOTED_BY_CSV
from dunning.text.sms import GSM_BASIC, GSM_EXTENSION, PER_SEGMENT, SINGLE

# the per-row fields a layout may hold (beside the key's own texts): kind -> what fills it
NAME, ID4, MASK, DPD, OVERDUE, DUE, INSTALMENTS, INSTALMENT = (
    "name", "id4", "mask", "dpd", "overdue", "due", "instalments", "instalment",
)  # fmt: skip
_MONEY = ((formatting.money_filter, True, ()),)
_DATE = ((formatting.date_filter, True, ()),)
_ROW_SLOTS: dict[tuple[str, tuple[tuple[str, Any], ...], tuple[Any, ...]], str] = {
    ("account", (("key", "name"),), ()): NAME,
    ("account", (("key", "id"),), ((formatting.mask, False, ()),)): MASK,
    ("account", (("key", "dpd"),), ()): DPD,
    ("account", (("key", "overdue_amount"),), _MONEY): OVERDUE,
    ("account", (("key", "due_date"),), _DATE): DUE,
    ("offer", (("key", "instalments"),), ()): INSTALMENTS,
    ("offer", (("key", "instalment_amount"),), _MONEY): INSTALMENT,
}
# context names whose every value is the key's: made from the plan's fields that the key
# fixes (jurisdiction, locale, tier, arm, the day) and the policy
_KEY_NAMES = frozenset({"company", "compliance", "tier", "arm", "as_of", "locale"})
# the offer's values that its policy entry and the day fix (the amounts are the row's)
_KEY_OFFER = frozenset({"id", "kind", "first_due_date", "interval_days", "discount"})
_MAX_ROW_SLOTS = 12  # a layout with more per-row fields is left to the Python path
# the itemization's columns: when all five are there, render's narrowing may refuse the row
_ITEMIZATION = (
    "itemization_amount", "interest_since_itemization", "fees_since_itemization",
    "payments_since_itemization", "credits_since_itemization",
)  # fmt: skip


def _char_class(chars: Iterable[str]) -> str:
    """A regular-expression class of ``chars`` that Python's ``re`` and polars' engine read
    alike (the control characters written as escapes, the class's own metacharacters escaped)."""
    escapes = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "-": "\\-", "\\": "\\\\", "]": "\\]", "^": "\\^"}
    return "[" + "".join(escapes.get(c, c) for c in chars) + "]"


# text/cells' own rules (what csv_cell neutralises and quotes), as polars patterns
_FORMULA = "^" + _char_class(_FORMULA_CHARS)
_PLAIN_NUMBER = f"^(?:{_PLAIN_NUMBER_RE.pattern})$"
_CANONICAL = r"^(?:0|[1-9][0-9]*)\.[0-9]{2}$"  # an amount the money recipe writes as is
_CONTROL = r"[\x00-\x1f]"
_CONSTANT_REFUSED = re.compile("[\x00-\x09\x0b-\x1f]")
_FORMULA_START = re.compile(_FORMULA)
# the key table's columns every channel has (each channel's own follow: Channel.EXTRA)
_KEY_SCHEMA = {
    TEMPLATE_KEY: pl.String,
    "__fill": pl.Int64,
    "__suffix": pl.String,
    "__loc": pl.String,
    "__mprefix": pl.String,
    "__msuffix": pl.String,
    "__channel": pl.String,
    "__alone": pl.Boolean,  # the message is the plan line's one renderable action
}


def _hex_class(chars: Iterable[str]) -> str:
    """A class of polars' engine (Rust's regex) holding exactly ``chars``: each written as a
    code point (``&&``, ``--``, ``[`` and ``~~`` mean sets there, not characters)."""
    return "[" + "".join(f"\\x{{{ord(c):X}}}" for c in sorted(chars)) + "]"


# dunning.text.sms's alphabets on columns: a text of the GSM alphabet and its extension only,
# an extension character (two septets), a character beyond the BMP (two UTF-16 units)
_GSM_ONLY = "^" + _hex_class(GSM_BASIC | GSM_EXTENSION) + "*$"
_GSM_DOUBLE = _hex_class(GSM_EXTENSION)
_ASTRAL = "[\\x{10000}-\\x{10FFFF}]"


def _key_slot(slot: Slot, test: bool = False) -> bool:
    """Whether ``slot``'s value is the same for every row of a decision key."""
    lookups = slot.lookups
    if slot.name in _KEY_NAMES:
        return True
    if not lookups:
        # the offer object as a test: present or not, as the key's template says (an object
        # written whole holds the row's amounts)
        return test and slot.name == "offer" and not slot.filters
    first = lookups[0]
    if slot.name == "action":
        return first != ("key", "id") and first[0] == "key"
    return slot.name == "offer" and first[0] == "key" and first[1] in _KEY_OFFER


def _row_kind(slot: Slot, slots: Mapping[Any, str] = _ROW_SLOTS) -> str | None:
    """The per-row field ``slot`` writes (one of ``slots``' or an id's tail), None when this
    module does not fill it."""
    if not any(kind == "slice" for kind, _ in slot.lookups):  # a slice is no dict key before Python 3.12
        return slots.get((slot.name, slot.lookups, slot.filters))
    # the id's last characters (``account.id[-4:]``): polars' slice from the end is Python's
    if slot.name == "account" and not slot.filters and slot.lookups[:1] == (("key", "id"),):
        rest = slot.lookups[1:]
        if len(rest) == 1 and rest[0][0] == "slice":
            cut = rest[0][1]
            if cut.step is None and cut.stop is None and type(cut.start) is int and cut.start < 0:
                return f"{ID4}{cut.start}"
    return None


def _branches_by_key(decisions: Decisions) -> bool:
    """Whether each branch taken is the key's: no loop, every test on a value of the key."""
    for node in decisions:
        if isinstance(node, _For):
            return False
        for test, _negated, inner in node.tests:
            if not isinstance(test, Slot) or not _key_slot(test, test=True) or not _branches_by_key(inner):
                return False
        if not _branches_by_key(node.otherwise):
            return False
    return True


def _key_layout(
    filler: Filler, context: Mapping[str, Any], slots: Mapping[Any, str] = _ROW_SLOTS
) -> tuple[list[str], list[str]] | None:
    """The layout ``context`` (a row of a decision key) takes through ``filler``, with the
    key's own values put in: the kinds of its per-row fields and the texts around them (one
    more than the kinds); None when a field is none of ``slots``' (or an id's tail) or there
    are too many."""
    decision: tuple[int, ...] = ()
    if filler.decide is not None:
        decision = filler.decide(context)
    elif filler.decisions:
        taken: list[int] = []
        _decide(filler.decisions, context, filler.env, taken, 0, 0)
        decision = tuple(taken)
    layout = filler.layouts.get(decision) or filler._layout(decision)
    texts, kinds = [layout.texts[0]], []
    for slot, text in zip(layout.slots, layout.texts[1:], strict=True):
        if _key_slot(slot):
            texts[-1] += filler.convert(slot.value(context, filler.env)) + text
            continue
        kind = _row_kind(slot, slots)
        if kind is None:
            return None
        kinds.append(kind)
        texts.append(text)
    if len(kinds) > _MAX_ROW_SLOTS:
        return None
    return kinds, texts


def _money_ends(locale: str, context: Mapping[str, Any]) -> tuple[str, str] | None:
    """The prefix and suffix of the key's money recipe when it writes two decimals after a
    point, thousands between commas (what is filled here); else None."""
    recipe = formatting._money_recipe(locale, context["account"]["currency"])
    if recipe is None or (recipe.digits, recipe.group, recipe.decimal) != (2, ",", "."):
        return None
    return recipe.prefix, recipe.suffix


def _grouped(digits: pl.Expr) -> pl.Expr:
    # thousands separated by commas, as format(…, ",.2f") writes them
    return digits.str.reverse().str.replace_all(r"([0-9]{3})", "${1},").str.strip_chars_end(",").str.reverse()


def _money(text: pl.Expr) -> pl.Expr:
    """A canonical two-decimal amount as the key's money recipe writes it (comma, point)."""
    return pl.concat_str(
        [pl.col("__mprefix"), _grouped(text.str.head(-3)), pl.lit("."), text.str.tail(2), pl.col("__msuffix")]
    )


def _csv_cell(value: pl.Expr) -> pl.Expr:
    """``csv_cell`` for a value that does not start like a formula (those are refused)."""
    needs = _char_class(_QUOTED_BY_CSV)
    quoted = pl.concat_str([pl.lit('"'), value.str.replace_all('"', '""', literal=True), pl.lit('"')])
    return pl.when(value.str.contains(needs)).then(quoted).otherwise(value)


def _json_text(value: pl.Expr) -> pl.Expr:
    """orjson's string for a text whose one control character may be the newline."""
    escaped = (
        value.str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True)
    )
    return pl.concat_str([pl.lit('"'), escaped, pl.lit('"')])


def _formula(value: pl.Expr) -> pl.Expr:
    return value.str.contains(_FORMULA) & ~value.str.contains(_PLAIN_NUMBER)


class MessageColumns:
    """The calls and texts of planning chunks filled on columns: the key table, the layouts
    and the fields for every channel, each channel's own (:class:`Channel`) on its rows; what
    each key needs is kept across the chunks of one process (a worker meets a key again and
    again)."""

    def __init__(self, renderer: ChunkRenderer, channels: Sequence[Channel] | None = None) -> None:
        self.renderer = renderer
        self.policy = renderer.policy
        chosen = (CallLines(), TextLines()) if channels is None else tuple(channels)
        self.channels = {channel.CHANNEL: channel for channel in chosen}
        self._schema = {**_KEY_SCHEMA, **{name: kind for c in chosen for name, kind in c.EXTRA.items()}}
        # every key met (eligible or not) and, for the eligible, its row of the key table
        self._seen = pl.DataFrame(schema={TEMPLATE_KEY: pl.String})
        self._table = pl.DataFrame(schema=self._schema)
        # the layouts with the key's texts put in: (channel, kinds of the per-row fields, texts between)
        self._fill_index: dict[tuple[str, tuple[str, ...], tuple[str, ...]], int] = {}
        self._fills = pl.DataFrame(schema={"__fill": pl.Int64, "__shape": pl.Int64, "__stripped": pl.Int64})
        self._shapes: dict[tuple[str, ...], int] = {}
        self._days: dict[tuple[str, str], str | None] = {}
        self._readers: dict[tuple[str, ...], RowReader] = {}
        # the CPU (ns) of the last lines() by channel: the shared part split by their rows
        self.spent: dict[str, int] = {}

    # ------------------------------------------------------------------ per key
    def _key_action(
        self, line: str, channels: Container[str], *, alone: bool = False
    ) -> tuple[dict[str, Any], int, dict[str, Any], str, str, str] | None:
        """The plan line, its number of renderable actions, its one message of ``channels``
        (the only renderable action when ``alone``), the action id's suffix after the
        account's id, the locale and the template file; None when the line is not one a key's
        layout fills."""
        plan = orjson.loads(line)
        actions = [a for a in plan.get("actions", ()) if a.get("status") in RENDERABLE]
        here = [a for a in actions if a.get("channel") in channels]
        if len(here) != 1 or (alone and len(actions) != 1):
            return None
        action = here[0]
        account_id, action_id = plan["account_id"], action["id"]
        if not (type(account_id) is str and type(action_id) is str and action_id.startswith(account_id)):
            return None
        suffix = action_id[len(account_id) :]
        # the suffix is written as it is in both files: nothing that a cell or a string escapes
        if any(c in suffix for c in ',"\\') or any(c < " " for c in suffix) or account_id in suffix:
            return None
        # the zone and the currency from the plan (the key's), not from the row
        if not all(type(plan.get(name)) is str and plan[name] for name in ("jurisdiction", "timezone", "currency")):
            return None
        locale = str(action.get("locale") or plan.get("locale") or self.policy.default_locale)
        return plan, len(actions), action, suffix, locale, self.renderer._template_file(action, locale)

    def _context(
        self, plan: dict[str, Any], action: dict[str, Any], row: tuple[Any, ...], columns: Sequence[str]
    ) -> dict[str, Any]:
        """The key's row's context, as render builds it."""
        reader = self._readers.get(tuple(columns))
        if reader is None:
            reader = self._readers[tuple(columns)] = RowReader(tuple(columns))
        return build_context(plan, action, reader.row_account(row), self.policy)

    def _prepare(self, line: str, row: tuple[Any, ...] | None, columns: Sequence[str]) -> tuple[Any, ...] | None:
        """The key-table row (less the key) of the plan line's key, from this one line and
        its account row; None when its messages are left to the Python path."""
        if row is None:
            return None
        try:
            # the line's one message of a channel filled here; its other messages (an email
            # beside a call) are render_chunk's, which leaves this one out (fused._merged)
            found = self._key_action(line, self.channels)
            if found is None:
                return None
            plan, count, action, suffix, locale, file = found
            channel = self.channels[str(action["channel"])]
            read = self.renderer._reads(file)
            if read is None:
                return None
            filler = read[0]
            if not _branches_by_key(filler.decisions):
                return None
            context = self._context(plan, action, row, columns)
            fill = self._fill(filler, context, channel)
            if fill is None:
                return None
            phoned = {**context, "account": {**context["account"], "phone": "0"}}
            own = channel.key_texts(self.policy, phoned, file, fill[1])
            if own is None:
                return None
            money = _money_ends(locale, context)
            if money is None:
                return None
        except Exception:  # anything unexpected: the Python path renders (or rejects) these messages
            return None
        extra = [own.get(name) for name in self._schema if name not in _KEY_SCHEMA]
        return (fill[0], suffix, locale, *money, channel.CHANNEL, count == 1, *extra)

    def _fill(self, filler: Filler, context: Mapping[str, Any], channel: Channel) -> tuple[int, list[str]] | None:
        """The number of the key's layout with its own values put in, and its texts; None
        when a field is not one this module fills."""
        layout = _key_layout(filler, context)
        if layout is None:
            return None
        kinds, texts = layout
        # render strips the message's ends (channel.STRIP; then it ends it with END): done on the
        # key's first and last texts, when each holds more than what is stripped (so that no
        # row's value reaches either end; else the Python path renders these). What is taken
        # off counts toward MAX_OUTPUT, which render checks before it strips
        whole = "".join(texts)
        strip = channel.STRIP
        head, tail = texts[0].lstrip(strip), texts[-1].rstrip(strip)
        if not head or not tail:
            return None
        stripped = len(whole) - len(whole.strip(strip))
        texts[0] = head
        texts[-1] = (tail if len(texts) > 1 else head.rstrip(strip)) + channel.END
        # what the rows' values cannot change is checked here once: the key's texts' control
        # characters (the lines' escapes here are the newline's only), the channel's own
        if _CONSTANT_REFUSED.search(whole) or channel.constant_refused(texts, context):
            return None
        index = (channel.CHANNEL, tuple(kinds), tuple(texts))
        found = self._fill_index.get(index)
        if found is None:
            found = self._fill_index[index] = len(self._fill_index)
            shape = self._shapes.setdefault(tuple(kinds), len(self._shapes))
            row = {
                "__fill": [found],
                "__shape": [shape],
                "__stripped": [stripped],
                **{f"__t{n}": [text] for n, text in enumerate(texts)},
            }
            self._fills = pl.concat([self._fills, pl.DataFrame(row)], how="diagonal")
        return found, texts

    def _learn(self, new: pl.DataFrame, row_of: Callable[[str], Any], columns: Sequence[str]) -> None:
        keys, rows = [], []
        for key, account_id, line in new.select(TEMPLATE_KEY, "account_id", PLAN).iter_rows():
            found = self._prepare(line, row_of(account_id), columns)
            if found is not None:
                keys.append(key)
                rows.append(found)
        # the keys as new strings: a column selected from the chunk's keeps the chunk's whole
        # string buffers alive (polars' string views point into them), a chunk's keys held for
        # each of the ≤ 32 pieces of this table
        seen = pl.DataFrame({TEMPLATE_KEY: new.get_column(TEMPLATE_KEY).to_list()}, schema={TEMPLATE_KEY: pl.String})
        self._seen = pl.concat([self._seen, seen], rechunk=False)
        if self._seen.n_chunks() > 32:
            self._seen = self._seen.rechunk()
        if rows:
            added = pl.DataFrame(
                [(key, *found) for key, found in zip(keys, rows, strict=True)],
                schema=self._schema,
                orient="row",
            )
            self._table = pl.concat([self._table, added], rechunk=False)
            if self._table.n_chunks() > 32:
                self._table = self._table.rechunk()

    def _day(self, text: str, locale: str) -> str | None:
        """A due date's text (render's own functions), None when the Python path must decide."""
        if (text, locale) not in self._days:
            try:
                day = _present_day(text) or date.min
                self._days[(text, locale)] = formatting.format_long_date(day, locale)
            except Exception:  # the Python path rejects the row as before
                self._days[(text, locale)] = None
        return self._days[(text, locale)]

    def _day_texts(self, pairs: list[tuple[str, str]]) -> pl.DataFrame:
        """The due dates' texts (render's own functions) for each (row's text, locale)."""
        out = [(text, locale, self._day(text, locale)) for text, locale in pairs]
        return pl.DataFrame(out, schema={"__due_raw": pl.String, "__loc": pl.String, "__due": pl.String}, orient="row")

    # ------------------------------------------------------------------ a chunk
    def _filled(
        self, wanted: pl.DataFrame, kept: pl.DataFrame, row_of: Callable[[str], Any], columns: Sequence[str]
    ) -> pl.DataFrame | None:
        """The chunk's candidates of a known, eligible key with each message's text
        (``__raw``, stripped) and what every channel refuses (``__refused``); None when there
        is none (see :meth:`lines`)."""
        candidates = wanted.with_row_index("__n").filter(pl.col(TEMPLATE_KEY).is_not_null())
        if not candidates.height:
            return None
        new = candidates.filter(pl.col(TEMPLATE_KEY).is_first_distinct()).join(self._seen, on=TEMPLATE_KEY, how="anti")
        if new.height:
            self._learn(new, row_of, columns)
        frame = candidates.select("__n", "account_id", PLAN, TEMPLATE_KEY).join(
            self._table, on=TEMPLATE_KEY, how="inner", maintain_order="left"
        )
        if not frame.height:
            return None
        present = [name for name in ("name", "phone", "due_date", *_ITEMIZATION) if name in kept.columns]
        rows = kept.select("account_id", *present).with_columns(pl.lit(True).alias("__row"))
        frame = frame.join(self._fills, on="__fill", how="left").join(
            rows, on="account_id", how="left", maintain_order="left"
        )
        plan = pl.col(PLAN)
        phone = pl.col("phone").fill_null("") if "phone" in present else pl.lit("")
        account_id = pl.col("account_id")
        offer = plan.str.extract_groups(r'"instalments":([1-9][0-9]*),"amounts":\["([^"]*)"')
        frame = frame.with_columns(
            plan.str.extract(r'^\{"account_id":"[^"]*","as_of":"[^"]*","dpd":(-?[0-9]+),', 1).alias(DPD),
            plan.str.extract(r'"overdue_amount":"([^"]*)"', 1).alias("__overdue"),
            offer.struct.field("1").alias(INSTALMENTS),
            offer.struct.field("2").alias("__instalment"),
            (pl.col("name").fill_null("") if "name" in present else pl.lit("")).alias(NAME),
            (pl.col("due_date").fill_null("") if "due_date" in present else pl.lit("")).alias("__due_raw"),
            phone.alias("__phone"),
        )
        kinds = {kind for shape in self._shapes for kind in shape}
        if DUE in kinds:
            pairs = frame.select("__due_raw", "__loc").unique().rows()
            frame = frame.join(self._day_texts(pairs), on=["__due_raw", "__loc"], how="left", maintain_order="left")
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("__due"))
        values = {
            NAME: pl.col(NAME),
            # mask: the id's last four characters behind four stars, an id of four or fewer as it is
            MASK: pl.when(account_id.str.len_chars() > 4)
            .then(pl.concat_str([pl.lit("****"), account_id.str.slice(-4)]))
            .otherwise(account_id),
            DPD: pl.col(DPD),
            OVERDUE: _money(pl.col("__overdue")),
            DUE: pl.col("__due"),
            INSTALMENTS: pl.col(INSTALMENTS),
            INSTALMENT: _money(pl.col("__instalment")),
        }
        # what a field needs to be written here (else the row goes to the Python path)
        needs = {
            DPD: pl.col(DPD).is_not_null(),
            OVERDUE: pl.col("__overdue").str.contains(_CANONICAL).fill_null(False),
            DUE: pl.col("__due").is_not_null(),
            INSTALMENTS: pl.col(INSTALMENTS).is_not_null(),
            INSTALMENT: pl.col("__instalment").str.contains(_CANONICAL).fill_null(False),
        }
        parts = []
        for (shape,), part in frame.partition_by("__shape", as_dict=True).items():
            kinds_of = next(k for k, n in self._shapes.items() if n == shape)
            pieces: list[pl.Expr] = [pl.col("__t0")]
            ok = pl.lit(True)
            for n, kind in enumerate(kinds_of, start=1):
                if kind.startswith(ID4):
                    pieces.append(account_id.str.slice(int(kind[len(ID4) :])))
                else:
                    pieces.append(values[kind])
                    if kind in needs:
                        ok = ok & needs[kind]
                pieces.append(pl.col(f"__t{n}"))
            parts.append(part.with_columns(pl.concat_str(pieces).alias("__raw"), ok.alias("__ok")))
        frame = pl.concat(parts, how="diagonal").sort("__n") if len(parts) > 1 else parts[0]
        itemized = [pl.col(name).fill_null("") != "" for name in _ITEMIZATION if name in present]
        risky = pl.lit(False)
        if len(itemized) == len(_ITEMIZATION):
            # render's narrowing refuses these (account_rows._risky): the Python path decides
            joined = pl.concat_str([pl.col(name) for name in _ITEMIZATION])
            risky = pl.all_horizontal(itemized) & (joined.str.contains("[nNeE]") | (joined.str.len_chars() > 4096))
        refused = (
            ~pl.col("__ok")
            | pl.col("__row").is_null()
            | (pl.col("__phone") == "")
            | pl.col("__phone").str.contains(_CONTROL)
            | account_id.str.contains(r'[",\\\x00-\x1f]')
            # render's len(text) <= MAX_OUTPUT, on the text before it strips: its characters are
            # at most its UTF-8 bytes (a row within a byte's count of it goes to Python)
            | (pl.col("__raw").str.len_bytes() + pl.col("__stripped") > MAX_OUTPUT)
            # the one value from the row that holds free text (the key's texts were checked once)
            | pl.col(NAME).str.contains(_CONTROL)
            | risky
        )
        return frame.with_columns(refused.fill_null(True).alias("__refused"))

    def lines(
        self, wanted: pl.DataFrame, kept: pl.DataFrame, row_of: Callable[[str], Any], columns: Sequence[str]
    ) -> dict[str, pl.DataFrame]:
        """Each channel's lines (each file's, newline included: :meth:`Channel.lines`) of the
        plan lines of ``wanted`` (``account_id``, the plan line, its template key: in the
        order of the chunk's items) whose message is filled here, each with its position
        ``__n`` and whether it is the line's one message (``__alone``), in that order; a
        channel with none is left out. ``kept``: the rows render
        would read (``row_of``: the same as tuples of ``columns``). Their CPU: :attr:`spent`."""
        started = time.process_time_ns()
        self.spent = {}
        frame = self._filled(wanted, kept, row_of, columns)
        if frame is None:
            return {}
        parts = {str(name): part for (name,), part in frame.partition_by("__channel", as_dict=True).items()}
        out, own = {}, {}
        for name, part in parts.items():
            began = time.process_time_ns()
            channel = self.channels[name]
            measured, refused = channel.measured(part, self.policy)
            measured = measured.filter(~(pl.col("__refused") | refused.fill_null(True)))
            if measured.height:
                out[name] = measured.select("__n", "__alone", *channel.lines())
            own[name] = time.process_time_ns() - began
        # the shared part split between the channels by their rows
        shared = time.process_time_ns() - started - sum(own.values())
        for name, part in parts.items():
            self.spent[name] = own[name] + shared * part.height // frame.height
        return out


class Channel(ABC):
    """What one channel's messages need beyond the shared machinery (:class:`MessageColumns`):
    each channel (:class:`CallLines`, :class:`TextLines`) gives all four methods."""

    CHANNEL: ClassVar[str]
    EXTRA: ClassVar[dict[str, Any]]  # the key table's own columns of the channel
    # the characters render strips off both ends of the message (None: white space, as
    # str.strip) and what it then ends it with
    STRIP: ClassVar[str | None]
    END: ClassVar[str]

    @abstractmethod
    def key_texts(self, policy: Policy, context: dict[str, Any], file: str, texts: list[str]) -> dict[str, str] | None:
        """The channel's own cells of the key table (EXTRA), from the key's context (its
        phone "0") and its texts (stripped); None: the key is left to Python."""

    @abstractmethod
    def constant_refused(self, texts: list[str], context: Mapping[str, Any]) -> bool:
        """Whether the key's texts (stripped) are ones the Python path may write otherwise."""

    @abstractmethod
    def measured(self, frame: pl.DataFrame, policy: Policy) -> tuple[pl.DataFrame, pl.Expr]:
        """``frame`` (the channel's rows) with what its lines need, and what it refuses besides."""

    @abstractmethod
    def lines(self) -> list[pl.Expr]:
        """The channel's lines, each a column named by its file."""


class CallLines(Channel):
    """The calls: ``calls.csv`` and ``calls.jsonl`` lines (``csv``, ``json``)."""

    CHANNEL = "call"
    EXTRA: ClassVar[dict[str, Any]] = {"__mid_csv": pl.String, "__mid_json": pl.String}
    STRIP, END = "\n", "\n"  # render strips the script's newlines at both ends and ends it with one

    def key_texts(self, policy: Policy, context: dict[str, Any], file: str, texts: list[str]) -> dict[str, str] | None:
        cells = calls.call_row(context, "", file)
        if cells[0] != context["action"]["id"]:
            return None
        mid_csv, mid_json = calls.middle_texts(cells[3:11])
        return {"__mid_csv": mid_csv, "__mid_json": mid_json}

    def constant_refused(self, texts: list[str], context: Mapping[str, Any]) -> bool:
        # the script's first character: a formula start would be neutralised in calls.csv
        return bool(_FORMULA_START.match(texts[0]))

    def measured(self, frame: pl.DataFrame, policy: Policy) -> tuple[pl.DataFrame, pl.Expr]:
        account_id = pl.col("account_id")
        return frame, _formula(pl.col("__phone")) | account_id.str.contains(_FORMULA)

    def lines(self) -> list[pl.Expr]:
        account_id, script = pl.col("account_id"), pl.col("__raw")
        return [
            pl.concat_str(
                [
                    account_id, pl.col("__suffix"), pl.lit(","), account_id, pl.lit(","), _csv_cell(pl.col("__phone")),
                    pl.lit(","), pl.col("__mid_csv"), pl.lit(","), _csv_cell(script), pl.lit("\n"),
                ]
            ).alias("csv"),
            pl.concat_str(
                [
                    pl.lit('{"action_id":"'), account_id, pl.col("__suffix"), pl.lit('","account_id":"'), account_id,
                    pl.lit('","phone":'), _json_text(pl.col("__phone")), pl.col("__mid_json"), pl.lit(',"script":'),
                    _json_text(script), pl.lit("}\n"),
                ]
            ).alias("json"),
        ]  # fmt: skip


class TextLines(Channel):
    """The texts: ``sms.jsonl`` lines (``json``)."""

    CHANNEL = "sms"
    # the record's sender (its JSON string) and its members from not_before to the locale
    EXTRA: ClassVar[dict[str, Any]] = {"__sender": pl.String, "__tail": pl.String}
    STRIP, END = None, ""  # sms_record strips the text's white space at both ends

    def key_texts(self, policy: Policy, context: dict[str, Any], file: str, texts: list[str]) -> dict[str, str] | None:
        # the record of the key's texts alone: its members that no row's value changes
        record = sms.sms_record(context, "".join(texts), file, policy.settings.sms_max_segments)
        if record["action_id"] != context["action"]["id"]:
            return None
        tail = orjson.dumps({name: record[name] for name in ("not_before", "not_after", "template", "locale")})
        return {"__sender": orjson.dumps(record["sender"]).decode(), "__tail": tail.decode()[1:-1]}

    def constant_refused(self, texts: list[str], context: Mapping[str, Any]) -> bool:
        # sms.require_disclosures on the key's texts: the opt-out instruction (and a CN text's
        # signature) whole in one of them is in every row's text; anywhere else a row's value
        # could supply or split it, and the Python path decides
        opt_out = context["compliance"].get("opt_out") or ""
        if opt_out and not any(opt_out in text for text in texts):
            return True
        if context["account"]["jurisdiction"].split("-", 1)[0] == "CN":
            signature = f"【{context['company']['sms_signature']}】"
            return not any(signature in text for text in texts)
        return False

    def measured(self, frame: pl.DataFrame, policy: Policy) -> tuple[pl.DataFrame, pl.Expr]:
        # dunning.text.sms.measure on the text: GSM-7 when every character is of the alphabet
        # or its extension (each of these two septets), else UCS-2 (a character beyond the BMP
        # two units); one message up to SINGLE units, else full segments of PER_SEGMENT
        text = pl.col("__raw")
        gsm = text.str.contains(_GSM_ONLY)
        doubled = pl.when(gsm).then(text.str.count_matches(_GSM_DOUBLE)).otherwise(text.str.count_matches(_ASTRAL))
        length = text.str.len_chars() + doubled
        single = pl.when(gsm).then(SINGLE["GSM-7"]).otherwise(SINGLE["UCS-2"])
        per = pl.when(gsm).then(PER_SEGMENT["GSM-7"]).otherwise(PER_SEGMENT["UCS-2"])
        frame = frame.with_columns(
            pl.when(gsm).then(pl.lit("GSM-7")).otherwise(pl.lit("UCS-2")).alias("__encoding"),
            length.alias("__length"),
            (doubled > 0).alias("__doubled"),
            single.alias("__single"),
            pl.when(length <= single).then(1).otherwise((length + per - 1) // per).alias("__segments"),
        )
        # a split text with a two-unit character is counted character by character (Python's);
        # over the policy's segments render rejects it
        over = pl.col("__length") > pl.col("__single")
        refused = (over & pl.col("__doubled")) | (pl.col("__segments") > policy.settings.sms_max_segments)
        return frame, refused

    def lines(self) -> list[pl.Expr]:
        account_id = pl.col("account_id")
        return [
            pl.concat_str(
                [
                    pl.lit('{"action_id":"'), account_id, pl.col("__suffix"), pl.lit('","account_id":"'), account_id,
                    pl.lit('","recipient":'), _json_text(pl.col("__phone")), pl.lit(',"sender":'), pl.col("__sender"),
                    pl.lit(',"text":'), _json_text(pl.col("__raw")), pl.lit(',"encoding":"'), pl.col("__encoding"),
                    pl.lit('","length":'), pl.col("__length").cast(pl.String), pl.lit(',"segments":'),
                    pl.col("__segments").cast(pl.String), pl.lit(","), pl.col("__tail"), pl.lit("}\n"),
                ]
            ).alias("json"),
        ]  # fmt: skip


# an email's per-row fields: the name, the masked id or the id's tail, the days past due, the
# overdue amount, the due date (a layout holding any other is left to Python)
_EMAIL_SLOTS = {slot: kind for slot, kind in _ROW_SLOTS.items() if kind in (NAME, MASK, DPD, OVERDUE, DUE)}
_CONTROL_CHAR = re.compile("[\x00-\x1f\x7f]")
_CANONICAL_AMOUNT = re.compile(_CANONICAL)
_ROW_FIELDS = ("name", "email", "due_date", *_ITEMIZATION)


@dataclass(frozen=True)
class _EmailKey:
    """An email decision key: its three blocks (subject, text, HTML) as layouts with the key's
    texts put in (per block: the kinds of its per-row fields, the texts around them, the
    block's conversion: HTML escapes), the plan line's actions as (status, send time), which
    is the email, the action id's suffix, the envelope, the Date, the opt-out text required,
    the locale and the money recipe's prefix and suffix."""

    blocks: tuple[tuple[tuple[str, ...], tuple[str, ...], Callable[[Any], str]], ...]
    actions: tuple[tuple[Any, Any], ...]
    position: int
    suffix: str
    envelope: email_channel.Envelope
    date: str
    opt_out: str
    locale: str
    money: tuple[str, str]
    kinds: frozenset[str]  # the per-row fields of the three blocks


class EmailColumns:
    """The ``.eml`` emails of planning chunks filled per decision key: each key's three blocks
    laid out once from one row, with the key learning of :class:`MessageColumns` (the line's
    action, the context, the layouts: ``keys``, shared with the calls and texts when given);
    per row, in one Python loop over the chunk's plan lines (an email is ≈ 4 % of the
    messages: a chunk's few hundred did not pay polars' fixed cost per chunk, ≈ 25 µs an
    email, measured), the fields put in by string joins, the message composed by
    :func:`dunning.render.email.compose` (render's own headers, encodings and checks) and
    written. Only a plan line whose one renderable action is the email is taken (an email
    beside a call is render_chunk's, the call filled on columns: ``skip``). A row a guard
    refuses is left to the Python path, which renders or rejects it: no snapshot row, actions
    or send times not the key's, an action id not the key's, an unusable address, a control
    character in the name or the id, days past due or an amount not in plan's form, a due
    date render cannot read, a risky itemization, a block over ``MAX_OUTPUT``, an empty
    subject, the opt-out text missing, any error."""

    def __init__(self, renderer: ChunkRenderer, keys: MessageColumns | None = None) -> None:
        self.renderer = renderer
        self.keys = MessageColumns(renderer, ()) if keys is None else keys
        self._known: dict[str, _EmailKey | None] = {}
        self._fields: dict[tuple[str, ...], tuple[int | None, ...]] = {}

    def _learn(self, line: str, row: tuple[Any, ...], columns: Sequence[str]) -> _EmailKey | None:
        """The key of the plan line (from this one line and its account row); None when its
        emails are left to the Python path."""
        if not self.renderer.sandbox.fill:
            return None
        try:
            found = self.keys._key_action(line, ("email",), alone=True)
            if found is None:
                return None
            plan, _, action, suffix, locale, file = found
            context = self.keys._context(plan, action, row, columns)
            if context["locale"] != locale:
                return None
            blocks = []
            for block in email_channel.BLOCKS:
                html = is_html("email", block) and block != "subject"  # as ChunkRenderer._text
                filler = self.renderer.sandbox.filler(file, html=html, block=block)
                if filler is None or not _branches_by_key(filler.decisions):
                    return None
                layout = _key_layout(filler, context, _EMAIL_SLOTS)
                if layout is None:
                    return None
                kinds, texts = layout
                blocks.append((tuple(kinds), tuple(texts), filler.convert))
            money = _money_ends(locale, context)
            if money is None:
                return None
            actions = plan["actions"]
            return _EmailKey(
                blocks=tuple(blocks),
                actions=tuple((a.get("status"), a.get("not_before")) for a in actions),
                position=next(n for n, a in enumerate(actions) if a is action),
                suffix=suffix,
                envelope=email_channel.envelope(context),
                date=email_channel.date_header(context["action"]["not_before"]),
                opt_out=context["compliance"].get("opt_out") or "",
                locale=locale,
                money=money,
                kinds=frozenset(kind for kinds, _, _ in blocks for kind in kinds),
            )
        except Exception:  # anything unexpected: the Python path renders (or rejects) these emails
            return None

    def messages(
        self, keys: Sequence[str | None], items: Sequence[tuple[str, Any]], columns: Sequence[str], result: ChunkResult
    ) -> list[int]:
        """Write into ``result`` (files, count) the emails of the plan lines ``items`` (line,
        row tuple of ``columns`` or None; ``keys``: each line's template key) filled here;
        their positions, ascending."""
        where = self._fields.get(tuple(columns))
        if where is None:
            where = self._fields[tuple(columns)] = tuple(
                columns.index(name) if name in columns else None for name in _ROW_FIELDS
            )
        done: list[int] = []
        known = self._known
        for n, (key, (line, row)) in enumerate(zip(keys, items, strict=True)):
            if key is None or row is None:
                continue
            if key in known:
                spec = known[key]
            else:
                spec = known[key] = self._learn(line, row, columns)
            if spec is None:
                continue
            try:
                data = self._message(spec, line, [row[i] if i is not None else None for i in where])
                if data is None:
                    continue
                stem = file_stem(data[1])
                self.renderer._write(result, f"messages/email/{stem}.eml", data[0])
            except Exception:  # the Python path renders or rejects it, as always
                continue
            done.append(n)
        if done:
            result.rendered["email"] = result.rendered.get("email", 0) + len(done)
        return done

    def _message(self, key: _EmailKey, line: str, fields: list[Any]) -> tuple[bytes, str] | None:
        """One row's message and action id, None when the Python path must decide."""
        plan = orjson.loads(line)
        actions = plan["actions"]
        if tuple([(a.get("status"), a.get("not_before")) for a in actions]) != key.actions:
            return None
        account = plan["account_id"]
        action_id = actions[key.position]["id"]
        if type(account) is not str or action_id != account + key.suffix or _CONTROL_CHAR.search(account):
            return None
        name, to, due, *itemization = (value or "" for value in fields)
        if _CONTROL_CHAR.search(name) or not email_channel.address_ok(to):
            return None
        if all(itemization) and _risky("".join(itemization)):  # render's narrowing refuses it
            return None
        values: dict[str, str | None] = {NAME: name, MASK: formatting.mask(account)}
        kinds = key.kinds
        if DPD in kinds:
            dpd = plan.get("dpd")
            values[DPD] = str(dpd) if type(dpd) is int else None
        if OVERDUE in kinds:
            amount = plan.get("overdue_amount")
            if type(amount) is not str or not _CANONICAL_AMOUNT.match(amount):
                return None
            whole, cents = amount[:-3], amount[-2:]
            values[OVERDUE] = f"{key.money[0]}{int(whole):,}.{cents}{key.money[1]}"
        if DUE in kinds:
            values[DUE] = self.keys._day(due, key.locale)
        texts = []
        for kinds_of, pieces, convert in key.blocks:
            out = [pieces[0]]
            for kind, piece in zip(kinds_of, pieces[1:], strict=True):
                value = account[int(kind[len(ID4) :]) :] if kind.startswith(ID4) else values[kind]
                if value is None:
                    return None
                out += (convert(value), piece)
            text = "".join(out)
            if len(text) > MAX_OUTPUT:  # the sandbox refuses it (a reject, from the Python path)
                return None
            texts.append(text)
        subject, text, html = texts
        subject = email_channel.clean(subject)
        if not subject or (key.opt_out and key.opt_out not in text):
            return None
        mailbox = email_channel.mailbox(name, to)
        return email_channel.compose(key.envelope, mailbox, subject, key.date, action_id, text, html), action_id
