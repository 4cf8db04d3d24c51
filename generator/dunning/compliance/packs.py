"""Law packs: YAML files shipped inside the package, one per body of law.

Each rule has an id (the reason code plans and the gate carry, e.g. ``us-regf.call-hours``),
a ``kind`` that says which engine check enforces it, parameters, a scope (channels, debt
types, what a count is per), a citation and a plain-words description that states the
stricter reading chosen for every ambiguity. A policy names the packs that apply per
jurisdiction and may tighten parameters (``Jurisdiction.tighten``), never loosen them:
:func:`effective_params` keeps the stricter of the pack's value and the policy's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dunning.accounts.events import canonical
from dunning.errors import DunningError
from dunning.load.yaml_source import load_yaml_text

PACK_DIR = Path(__file__).with_name("packs")
# How a parameter is made stricter; "later"/"earlier" compare clock times, the others numbers.
DIRECTIONS = ("higher", "lower", "later", "earlier")


@dataclass(frozen=True)
class LawRule:
    """One rule of a pack."""

    id: str
    pack: str
    kind: str  # hours | frequency | after_conversation | daily_cap | stop | after_outcome | opt_out | disclosure | …
    params: Mapping[str, Any]
    stricter: Mapping[str, str]  # parameter -> direction that is stricter
    channels: tuple[str, ...]
    debt_types: tuple[str, ...]
    per: str  # debt | debtor | number ("" when the rule counts nothing)
    purposes: tuple[str, ...]  # message purposes in scope (empty: all)
    counts: tuple[str, ...]  # history outcomes a frequency rule counts
    effect: str
    citation: str
    enforced: tuple[str, ...]
    description: str
    # jurisdiction codes the rule is limited to within its pack (empty: all the pack covers);
    # an exact code, so `GB-SCT` names Scotland alone and `GB` the accounts of no known nation
    jurisdictions: tuple[str, ...] = ()

    def applies_to(self, channel: str) -> bool:
        """True when the rule's scope covers ``channel``."""
        return channel in self.channels

    def covers(self, jurisdiction: str) -> bool:
        """True when the rule applies to accounts of ``jurisdiction`` (its pack applying)."""
        return not self.jurisdictions or jurisdiction in self.jurisdictions


@dataclass(frozen=True)
class Pack:
    """A body of law: its id, the jurisdictions it applies to by default, its rules."""

    id: str
    name: str
    applies_to: tuple[str, ...]
    rules: tuple[LawRule, ...]
    file: str

    def rule(self, rule_id: str) -> LawRule | None:
        """The rule with this id, or None."""
        return next((r for r in self.rules if r.id == rule_id), None)


class PackError(DunningError):
    """A shipped pack file is broken (a packaging bug, caught by the tests)."""


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if value else ()


def _load(path: Path) -> Pack:
    source = load_yaml_text(f"compliance/packs/{path.name}", path.read_text(encoding="utf-8"))
    if source.problems or not isinstance(source.data, dict):
        raise PackError(f"pack {path.name} does not load: {[p.message for p in source.problems]}")
    data = source.data
    rules = []
    for item in data.get("rules") or []:
        scope = item.get("scope") or {}
        stricter = {str(k): str(v) for k, v in (item.get("stricter") or {}).items()}
        if bad := [v for v in stricter.values() if v not in DIRECTIONS]:
            raise PackError(f"pack {path.name}: rule {item.get('id')} has unknown directions {bad}")
        rules.append(
            LawRule(
                id=str(item["id"]),
                pack=str(data["pack"]),
                kind=str(item["kind"]),
                params=MappingProxyType(dict(item.get("params") or {})),
                stricter=MappingProxyType(stricter),
                channels=_tuple(scope.get("channels")),
                debt_types=_tuple(scope.get("debt_types")),
                per=str(scope.get("per", "")),
                purposes=_tuple(scope.get("purposes")),
                counts=tuple(dict.fromkeys(canonical(w) for w in _tuple(item.get("counts")))),
                effect=str(item["effect"]),
                citation=str(item["citation"]),
                enforced=_tuple(item.get("enforced")),
                description=" ".join(str(item.get("description", "")).split()),
                jurisdictions=_tuple(scope.get("jurisdictions")),
            )
        )
    pack = Pack(str(data["pack"]), str(data["name"]), _tuple(data.get("applies_to")), tuple(rules), path.name)
    if path.stem != pack.id:
        raise PackError(f"pack file {path.name} declares id {pack.id!r}")
    return pack


@cache
def all_packs() -> Mapping[str, Pack]:
    """Every shipped pack by id, sorted by id."""
    packs = [_load(p) for p in sorted(PACK_DIR.glob("*.yaml"))]
    return MappingProxyType({p.id: p for p in sorted(packs, key=lambda p: p.id)})


def get_pack(pack_id: str) -> Pack | None:
    """The shipped pack with this id, or None."""
    return all_packs().get(pack_id)


def all_rules() -> Mapping[str, LawRule]:
    """Every rule of every pack by rule id."""
    return {r.id: r for p in all_packs().values() for r in p.rules}


def default_packs(jurisdiction: str) -> tuple[str, ...]:
    """Packs that apply to ``jurisdiction`` by law whatever the policy names (``US-MA`` gets
    the ``US`` packs and its own)."""
    country = jurisdiction.split("-", 1)[0]
    return tuple(p.id for p in all_packs().values() if jurisdiction in p.applies_to or country in p.applies_to)


def clock(value: Any) -> time:
    """``"08:00"`` → ``time(8, 0)``; ``"24:00"`` → the end of the day (``time.max``)."""
    text = str(value)
    hours, _, minutes = text.partition(":")
    if (int(hours), int(minutes or 0)) == (24, 0):
        return time.max
    return time(int(hours), int(minutes or 0))


def _number(value: Any) -> Decimal:
    return Decimal(str(value))


def is_stricter_or_equal(direction: str, proposed: Any, base: Any) -> bool:
    """True when ``proposed`` is at least as strict as ``base`` in ``direction``."""
    if direction in ("later", "earlier"):
        p, b = clock(proposed), clock(base)
        return p >= b if direction == "later" else p <= b
    p_n, b_n = _number(proposed), _number(base)
    return p_n >= b_n if direction == "higher" else p_n <= b_n


def effective_params(rule: LawRule, tighten: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The rule's parameters with the policy's tightening applied where it is stricter.

    A looser or unknown value is ignored here (the law wins); validate reports it (L003).
    """
    params = dict(rule.params)
    for name, value in (tighten or {}).items():
        direction = rule.stricter.get(name)
        if direction is None or name not in params:
            continue
        try:
            if is_stricter_or_equal(direction, value, params[name]):
                params[name] = value
        except (ValueError, ArithmeticError):
            continue
    return MappingProxyType(params)
