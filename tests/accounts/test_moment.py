"""``dunning.accounts.history.timeline.moment`` (a history line's instant on columns, read as the
local time less its offset) against polars' ``%z`` parse it replaces, value for value:
every offset ``±00:00``–``±99:99`` and ``Z`` on date-times at the edges (a leap second, a
midnight written 24:00, 29 February in and out of a leap year, years 0 and 9999, months
and days that do not exist), and texts of other forms."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from dunning.accounts.history.timeline import moment
from dunning.state.columns import INSTANT, OFFSET, event_columns

_DATE_TIMES = (
    "2026-11-28T09:00:00",
    "2026-11-28T23:59:59",
    "2026-11-28T23:59:60",
    "2026-11-28T24:00:00",
    "2026-11-28T00:00:00",
    "2024-02-29T12:00:00",
    "2026-02-29T12:00:00",
    "2026-13-01T00:00:00",
    "2026-00-10T00:00:00",
    "2026-11-31T10:00:00",
    "2026-11-28T10:60:00",
    "2026-11-28T25:00:00",
    "0000-01-01T00:00:00",
    "0001-01-01T00:30:00",
    "9999-12-31T23:59:59",
    "1970-01-01T00:00:00",
)
_OFFSETS = ("Z", *(f"{sign}{h:02d}:{m:02d}" for sign in "+-" for h in range(100) for m in range(100)))
_OTHER = (
    "2026-11-28T09:00:00+0800",
    "2026-11-28 09:00:00+08:00",
    "2026-11-28T09:00:00.5+08:00",
    "2026-11-28T09:00:00+08:00 ",
    "2026-11-28T09:00:00",
    "",
    "garbage",
)


def _percent_z(at: pl.Expr) -> pl.Expr:
    exact = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)$"
    parsed = at.str.replace(r"Z$", "+00:00").str.to_datetime("%Y-%m-%dT%H:%M:%S%z", time_zone="UTC", strict=False)
    return pl.when(at.str.contains(exact)).then(parsed)


def test_moment_equals_the_percent_z_parse_on_every_offset() -> None:
    texts = pl.DataFrame({"at": [*(d + o for d in _DATE_TIMES for o in _OFFSETS), *_OTHER, None]})
    got = texts.select(moment(pl.col("at")).alias("v"))["v"]
    want = texts.select(_percent_z(pl.col("at")).alias("v"))["v"]
    assert got.dtype == want.dtype == pl.Datetime("us", "UTC")
    assert got.null_count() == want.null_count()
    assert got.equals(want)


def test_moment_values() -> None:
    texts = pl.Series(
        "at",
        ["2026-11-28T09:00:00+08:00", "2026-11-28T01:30:00-05:45", "2026-11-28T00:00:00Z", "2026-11-28T09:00:00+24:00"],
    )
    assert texts.to_frame().select(moment(pl.col("at")))["at"].to_list() == [
        datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
        datetime(2026, 11, 28, 7, 15, tzinfo=UTC),
        datetime(2026, 11, 28, 0, 0, tzinfo=UTC),
        None,
    ]


def test_the_event_columns_read_the_moment_and_number_each_offset_text_apart() -> None:
    # dunning.state.columns computes the moment from its parts as columns, and numbers the
    # offset: on every text whose moment is read, one number per offset text ("Z", "+00:00"
    # and "-00:00" three), which is what an account's count of distinct offsets reads
    texts = [*(d + o for d in _DATE_TIMES for o in _OFFSETS), *_OTHER]
    lines = pl.DataFrame({"account_id": ["A"] * len(texts), "at": texts, "event": ["attempted"] * len(texts)})
    events = event_columns(lines)
    assert events[INSTANT].equals(lines.select(moment(pl.col("at")).alias(INSTANT))[INSTANT])
    read = events.filter(pl.col(INSTANT).is_not_null()).select(pl.col("at").str.slice(19).alias("text"), OFFSET)
    # the date-times polars reads (a leap second and year 0 among them), each offset to ±23:59
    assert read.height == 9 * (1 + 2 * 24 * 60)
    pairs = read.unique()
    assert pairs.height == pairs["text"].n_unique() == pairs[OFFSET].n_unique() == 1 + 2 * 24 * 60
    by_text = dict(pairs.iter_rows())
    assert [by_text[t] for t in ("Z", "+00:00", "-00:00", "+08:00", "-05:45", "+23:59", "-23:59")] == [
        20_000,
        0,
        10_000,
        480,
        10_345,
        1_439,
        11_439,
    ]
