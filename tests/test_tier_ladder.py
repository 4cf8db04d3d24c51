"""The tier-ladder analysis (P103 shadowed, P102 overlap) agrees with the planner's own
``tier_for`` on every account of a grid that contains every bound, for random ladders."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dunning.accounts.model import Account
from dunning.compliance.conditions import tier_for
from dunning.policy.model import Amounts, Range, Source, Tier, frozen_map
from dunning.rules._reach import fires_within
from dunning.rules._tiers import analyse, describe
from tier_ladder_support import plain_analyse

AS_OF = date(2026, 11, 28)
BOUNDS = [None, Decimal(0), Decimal(100), Decimal(200)]
# every bound, a value between each pair, and one just above each (bounds are inclusive)
AMOUNTS = [Decimal(v) for v in ("0", "50", "100", "100.01", "150", "200", "200.01", "250")]
PRODUCTS = ["a", "b", "other"]
JURISDICTIONS = ["CN", "US", "US-MA", "US-NY", "GB"]
CURRENCIES = ["CNY", "USD", "EUR"]  # EUR: a currency no tier names


@st.composite
def tiers(draw: st.DrawFn) -> list[Tier]:
    out = []
    for i in range(draw(st.integers(1, 5))):
        low = draw(st.integers(0, 5))
        high = draw(st.one_of(st.none(), st.integers(low - 2, 7)))
        cur = draw(st.sampled_from(["", "CNY", "USD"]))
        lo, hi = draw(st.sampled_from(BOUNDS)), draw(st.sampled_from(BOUNDS))

        def amounts(v: Decimal | None, cur: str = cur) -> Amounts:
            if v is None:
                return Amounts()
            return Amounts(frozen_map({cur: v})) if cur else Amounts(default=v)  # type: ignore[arg-type]

        out.append(
            Tier(
                id=f"t{i}",
                name=f"t{i}",
                order=i,
                dpd=Range(low, high),
                min_amount=amounts(lo),
                max_amount=amounts(hi),
                products=tuple(draw(st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True))),
                segments=(),
                jurisdictions=tuple(draw(st.lists(st.sampled_from(["CN", "US", "US-MA"]), max_size=2, unique=True))),
                strategy=f"t{i}",
                description="",
                source=Source("policies/tiers.yaml", i + 1, 5),
            )
        )
    return out


def grid() -> list[Account]:
    accounts = []
    for n, (dpd, amount, cur, product, code) in enumerate(
        itertools.product(range(-1, 9), AMOUNTS, CURRENCIES, PRODUCTS, JURISDICTIONS)
    ):
        accounts.append(
            Account(f"A{n}", code, cur, amount, AS_OF - timedelta(days=dpd), product=product, segment="retail")
        )
    return accounts


GRID = grid()


@settings(max_examples=40, deadline=None)
@given(tiers())
def test_shadowed_and_overlaps_match_the_planner(ladder: list[Tier]) -> None:
    policy = _Ladder(ladder)
    taken: dict[str, int] = {t.id: 0 for t in ladder}
    matches: dict[str, int] = {t.id: 0 for t in ladder}
    both: set[tuple[str, str]] = set()
    for account in GRID:
        winner = tier_for(policy, account, AS_OF)  # type: ignore[arg-type]
        if winner is not None:
            taken[winner.id] += 1
        alone = [t.id for t in ladder if tier_for(_Ladder([t]), account, AS_OF) is not None]  # type: ignore[arg-type]
        for t in alone:
            matches[t] += 1
        both.update((a, b) for a, b in itertools.combinations(alone, 2))
    analysis = analyse(ladder)
    never = {t for t in taken if matches[t] and not taken[t]}
    assert set(analysis.shadowed_by) == never
    # every reported overlap is real: some account matches both tiers
    assert {(a.id, b.id) for a, b, _ in analysis.overlaps} <= both


class _Ladder:
    """Just enough of a Policy for ``tier_for``."""

    def __init__(self, tiers: list[Tier]) -> None:
        self.tiers = tuple(tiers)


def test_fires_within() -> None:
    from dunning.policy.model import Condition, Step

    def step(day: int, every: int | None = None, until: int | None = None) -> Step:
        return Step(0, day, "call", "t", every, until, Condition(), None, 3, "", Source("f", 1, 1))

    assert fires_within(step(10), 8, 30)
    assert not fires_within(step(35), 8, 30)
    assert fires_within(step(3, every=7), 8, 30)  # fires on 10, 17, 24
    assert not fires_within(step(3, every=7, until=9), 8, 30)
    assert not fires_within(step(1, every=40), 8, 30)  # 1, 41: jumps over the tier
    assert fires_within(step(1, every=40), 8, None)  # 41 is in an open-ended tier
    assert not fires_within(step(5, until=3, every=1), 1, None)


@settings(max_examples=200, deadline=None)
@given(st.lists(tiers(), min_size=1, max_size=4).map(lambda groups: _renumber([t for g in groups for t in g])))
def test_analysis_finds_exactly_what_the_plain_comparison_finds(ladder: list[Tier]) -> None:
    # ladders up to 20 tiers, so that tiers are hidden under later ones that hold them
    fast, plain = analyse(ladder), plain_analyse(ladder)
    assert fast.shadowed_by == plain.shadowed_by
    assert fast.overlaps == plain.overlaps


def _renumber(ladder: list[Tier]) -> list[Tier]:
    return [dataclasses.replace(t, id=f"t{i}", name=f"t{i}", order=i) for i, t in enumerate(ladder)]


def _tier(i: int, low: int, high: int | None, max_amount: str | None = None, products: tuple[str, ...] = ()) -> Tier:
    return Tier(
        id=f"t{i}",
        name=f"t{i}",
        order=i,
        dpd=Range(low, high),
        min_amount=Amounts(),
        max_amount=Amounts(default=Decimal(max_amount)) if max_amount else Amounts(),
        products=products,
        segments=(),
        jurisdictions=(),
        strategy="early",
        description="",
        source=Source("policies/tiers.yaml", i + 2, 5),
    )


def test_a_carve_ladder_has_no_finding_until_a_tier_breaks_out_of_it() -> None:
    # each tier holds every earlier one (the benchmark's `carve` shape): all intended exceptions
    carve = [_tier(i, 1, 30, str(i + 1)) for i in range(300)]
    analysis = analyse(carve)
    assert analysis.shadowed_by == {} and analysis.overlaps == []
    # a tier inside the carve ladder's top is shadowed by every tier it touches (all take amount 0), in order
    inner = _tier(300, 5, 9, "2.5")
    # a tier reaching past day 30 partly overlaps the earliest tier it meets: t0
    wider = _tier(301, 20, 40, "0.5")
    # a tier on days 1-30 above every carve tier's limit is new ground again, but t0..t299 are its carve-outs
    top = _tier(302, 1, 30, "1000")
    analysis = analyse([*carve, inner, wider, top])
    assert {k: [t.id for t in v] for k, v in analysis.shadowed_by.items()} == {"t300": [f"t{i}" for i in range(300)]}
    assert [(a.id, b.id, describe(common)) for a, b, common in analysis.overlaps] == [
        ("t0", "t301", "dpd 20–30, amount 0–0.5"),
        ("t301", "t302", "dpd 20–30, amount 0–0.5"),
    ]
    assert analysis == plain_analyse([*carve, inner, wider, top])
