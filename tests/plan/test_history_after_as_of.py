"""History dated after ``--as-of`` changes nothing in the plan (docs/data.md: the state is
the snapshot and the events dated on or before the as-of date).

Re-running an earlier day with today's history must give that day's plan again. The
frequency caps used to count the later events all the same: a call made on 1 December
deferred a call a plan as of 30 November had scheduled for that day
(``cap/one-touch-a-day``), while the plan's own state ignored the event.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dunning.cli import main

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-30"
# an answered call, a delivered text and an email on the three days after as-of, at noon UTC:
# a day after as-of in every zone of the example (07:00 in New York, 20:00 in Shanghai)
LATER = [
    ("2026-12-01T12:00:00+00:00", "call", "connected"),
    ("2026-12-02T12:00:00+00:00", "sms", "delivered"),
    ("2026-12-03T12:00:00+00:00", "email", "delivered"),
]


@pytest.fixture
def repo(example_copy: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "examples" / "accounts.csv", example_copy / "accounts.csv")
    with (example_copy / "accounts.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    lines = ["account_id,at,channel,event"]
    for row in rows:
        lines += [f"{row['account_id']},{at},{channel},{word}" for at, channel, word in LATER]
    (example_copy / "later.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(example_copy)
    return example_copy


def _plan(out: str, *extra: str) -> dict[str, str]:
    args = ["plan", "--accounts", "accounts.csv", "--as-of", AS_OF, "--horizon", "3", "--out", out, "--quiet"]
    result = CliRunner().invoke(main, [*args, *extra, "."])
    assert result.exit_code == 0, result.output
    return {name: (Path(out) / name).read_text(encoding="utf-8") for name in ("plans.jsonl", "actions.csv")}


def test_events_after_the_as_of_date_change_no_decision(repo: Path) -> None:
    without = _plan("out-without")
    later = _plan("out-later", "--history", "later.csv")
    assert "2026-12-01" in without["actions.csv"]  # the horizon reaches the days the events fall on
    assert later == without
