"""No value from the account snapshot appears anywhere in the built handbook: the gallery renders
synthetic personas only, and no page reads account data."""

from __future__ import annotations

import csv
import gzip
import html
import json
import re
from pathlib import Path

import pytest

from dunning.policy.model import Policy
from dunning.templating.personas import personas

from .handbook_support import ROOT

# the example portfolio, and a snapshot of our own with values found nowhere else
SNAPSHOTS = (ROOT / "examples" / "accounts.csv", Path(__file__).with_name("data") / "accounts.csv")
FIELDS = (
    "account_id",
    "customer_id",
    "name",
    "phone",
    "email",
    "address",
    "principal",
    "overdue_amount",
    "promise_amount",
)


def snapshot_values(snapshot: Path) -> dict[str, str]:
    with snapshot.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    # a number shorter than 5 characters ("0", "10") says nothing about a leak; a Chinese name is 2 or 3
    return {
        value: field
        for row in rows
        for field in FIELDS
        if len(value := row.get(field, "").strip()) >= (2 if field == "name" else 5)
    }


def pattern(value: str, field: str) -> re.Pattern[str]:
    """A name matches anywhere (Chinese has no word boundaries); an id, number or amount only as a
    whole token, so that ``CN-0001`` is not found inside the persona id ``SAMPLE-zh-CN-0001``."""
    if field == "name":
        return re.compile(re.escape(value))
    return re.compile(r"(?<![\w.,-])" + re.escape(value) + r"(?![\w]|[.,]\d)")


def site_texts(site: Path) -> dict[str, str]:
    """Every file of the site as text, decoded the way a reader (or a crawler) would see it."""
    out = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        try:
            content = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # fonts and images
        if path.suffix == ".json":
            content += "\n" + json.dumps(json.loads(content), ensure_ascii=False)
        out[path.relative_to(site).as_posix()] = content + "\n" + html.unescape(html.unescape(content))
    return out


def persona_values(policy: Policy) -> set[str]:
    """What the synthetic personas themselves put into the gallery."""
    return {
        value
        for locale in policy.locales
        for persona in personas(policy, locale)
        for value in (persona.account.name, persona.account.phone, persona.account.email, persona.account.address)
    }


@pytest.mark.parametrize("snapshot", SNAPSHOTS, ids=lambda p: p.parent.name)
def test_no_snapshot_value_in_the_site(built_site: Path, example_policy: Policy, snapshot: Path) -> None:
    if not snapshot.is_file():
        pytest.skip(f"{snapshot} is not there")
    values = snapshot_values(snapshot)
    # the example portfolio reuses three common Chinese names the personas also use (王芳, 赵磊,
    # 陈静): they are in the gallery because of the personas, not because of the snapshot
    shared = persona_values(example_policy) & set(values)
    assert shared <= {"王芳", "赵磊", "陈静"}
    values = {v: f for v, f in values.items() if v not in shared}
    assert len(values) >= 10
    texts = site_texts(built_site)
    # the scan sees rendered previews (inside iframes' srcdoc too) and the search index
    assert any("李明" in t for t in texts.values())  # a synthetic persona's name
    assert any("SAMPLE-zh-CN-0001" in t for name, t in texts.items() if name.startswith("search/"))
    patterns = [(value, pattern(value, field)) for value, field in sorted(values.items())]
    leaks = sorted((name, value) for name, text in texts.items() for value, regex in patterns if regex.search(text))
    assert leaks == []
