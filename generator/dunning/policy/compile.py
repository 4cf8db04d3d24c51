"""Compile stage: schema-valid policy files → one immutable :class:`Policy`.

Only structure is decided here (defaults, merging sections across files, typed values);
whether the policy makes sense (tier gaps, missing templates, caps the cadence breaks) is
the job of the rules in :mod:`dunning.rules`, which read this model.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from dunning.accounts.events import canonical
from dunning.load.documents import SourceFile, YList, YMap
from dunning.load.repository import PolicyRepository
from dunning.policy.model import (
    DEFAULT_MASKING,
    MASK_WORDS,
    MASKED_FIELDS,
    Acknowledgement,
    Agency,
    Amounts,
    Arm,
    ArrearsReason,
    Blackout,
    ChannelHours,
    Company,
    Condition,
    Exclusion,
    ExclusionEffect,
    Experiment,
    FrequencyCap,
    Jurisdiction,
    Localized,
    MaskRule,
    Offer,
    OutcomeCount,
    Policy,
    Promise,
    Range,
    Requirement,
    Settings,
    Source,
    Step,
    Strategy,
    Template,
    Tier,
    Timetable,
    Window,
    builtin_reasons,
    frozen_map,
)
from dunning.problems import Level, Problem

DEFAULT_TEMPLATE_FILE = "{channel}/{id}.{locale}.j2"
DEFAULT_PRIORITY = {"call": 3, "visit": 2, "legal_review": 1, "agency": 1, "sms": 5, "email": 6, "letter": 4}


class _Compiler:
    def __init__(self, repo: PolicyRepository) -> None:
        self.repo = repo
        self.problems: list[Problem] = []
        self.seen: dict[tuple[str, str], Source] = {}

    def src(self, file: SourceFile, node: Any, fallback: Any = None) -> Source:
        pos = getattr(node, "pos", None) or getattr(fallback, "pos", None)
        return Source(file.path, pos.line, pos.col) if pos else Source(file.path, 1, 1)

    def unique(self, section: str, ident: str, source: Source, file: SourceFile) -> bool:
        """Report an id used twice in one section (across files too); keep the first."""
        first = self.seen.get((section, ident))
        if first is not None:
            self.problems.append(
                Problem(
                    source.file,
                    source.line,
                    source.col,
                    Level.ERROR,
                    "X001",
                    f"{section} id {ident!r} is defined twice (first at {first})",
                    "ids must be unique within a section; rename or remove one",
                    file.excerpt(source.line, source.col),
                )
            )
            return False
        self.seen[(section, ident)] = source
        return True

    def sections(self, name: str) -> Iterator[tuple[SourceFile, Any]]:
        for file in self.repo.files:
            if isinstance(file.data, dict) and file.data.get(name) is not None:
                yield file, file.data[name]


def _amounts(value: Any) -> Amounts:
    if value is None:
        return Amounts()
    if isinstance(value, dict):
        return Amounts(frozen_map({k: Decimal(v) for k, v in value.items()}))  # type: ignore[arg-type]
    return Amounts(default=Decimal(value))


def _localized(value: Any) -> Localized:
    if value is None:
        return Localized(frozen_map())  # type: ignore[arg-type]
    if isinstance(value, dict):
        return Localized(frozen_map({k: str(v) for k, v in value.items()}))  # type: ignore[arg-type]
    return Localized(frozen_map({"*": str(value)}))  # type: ignore[arg-type]


def _tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if value else ()


def condition(value: Any) -> Condition:
    """A ``when:`` mapping → :class:`Condition` (missing: always true)."""
    if not value:
        return Condition()
    return Condition(
        promise=Promise(value.get("promise", "any")),
        min_overdue=_amounts(value.get("min_overdue")),
        max_overdue=_amounts(value.get("max_overdue")),
        products=_tuple(value.get("products")),
        segments=_tuple(value.get("segments")),
        jurisdictions=_tuple(value.get("jurisdictions")),
        tiers=_tuple(value.get("tiers")),
        flags=_tuple(value.get("flags")),
        not_flags=_tuple(value.get("not_flags")),
        no_payment_for_days=value.get("no_payment_for_days"),
        no_conversation_for_days=value.get("no_conversation_for_days"),
        failed_attempts=value.get("failed_attempts"),
        has=_tuple(value.get("has")),
        arrangement=value.get("arrangement"),
        placed=value.get("placed"),
        disputed=value.get("disputed"),
        represented=value.get("represented"),
        days_since_last_contact=value.get("days_since_last_contact"),
        days_since_right_party_contact=value.get("days_since_right_party_contact"),
        paid_since_days=value.get("paid_since_days"),
        outcomes_in_last_days=_outcome_counts(value.get("outcomes_in_last_days")),
        arrears_reasons=_tuple(value.get("arrears_reasons")),
    )


def _outcome_counts(value: Any) -> tuple[OutcomeCount, ...]:
    """``outcomes_in_last_days``: one mapping or a list of them (the schema checked each)."""
    if not value:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(OutcomeCount(canonical(str(i["outcome"])), int(i.get("count", 1)), int(i["days"])) for i in items)


def _windows(value: Any) -> tuple[Window, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if item in (None, "none"):
            continue
        start, end = str(item).split("-")
        h1, m1 = (int(x) for x in start.split(":"))
        h2, m2 = (int(x) for x in end.split(":"))
        # 24:00 is the end of the day; time() cannot hold it, so it becomes 23:59:59.999999
        end_t = time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else time(h2, m2)
        out.append(Window(time(h1, m1), end_t))
    return tuple(sorted(out, key=lambda w: w.start))


def compile_policy(repo: PolicyRepository) -> tuple[Policy | None, list[Problem]]:
    """Compile a loaded, schema-valid repository. Returns the policy (None without a
    ``portfolio`` section) and the structural problems found on the way (duplicate ids)."""
    c = _Compiler(repo)

    portfolio_src: tuple[SourceFile, Any] | None = None
    for file, section in c.sections("portfolio"):
        if portfolio_src is not None:
            c.problems.append(
                Problem(
                    file.path,
                    section.pos.line,
                    section.pos.col,
                    Level.ERROR,
                    "X002",
                    f"`portfolio` is defined again (first in {portfolio_src[0].path})",
                    "keep one portfolio section per repository",
                    file.excerpt(section.pos.line, section.pos.col),
                )
            )
            continue
        portfolio_src = (file, section)
    if portfolio_src is None:
        c.problems.append(
            Problem(
                "policies",
                0,
                0,
                Level.ERROR,
                "X003",
                "no `portfolio` section in any policy file",
                "add policies/portfolio.yaml with `portfolio:` (id, name, default_locale, company)",
            )
        )
        return None, c.problems
    pfile, p = portfolio_src
    comp = p["company"]
    company = Company(
        name=_localized(comp["name"]),
        sms_signature=_localized(comp["sms_signature"]),
        phone=frozen_map(comp.get("phone") or {}),  # type: ignore[arg-type]
        email=str(comp["email"]),
        website=str(comp.get("website", "")),
        postal_address=_localized(comp.get("postal_address")),
        unsubscribe_url=str(comp["unsubscribe_url"]),
        source=c.src(pfile, comp),
    )
    st = p.get("settings") or {}
    settings = Settings(
        sms_max_segments=int(st.get("sms_max_segments", 3)),
        promise_grace_days=int(st.get("promise_grace_days", 3)),
        tone_extra_words=frozen_map(  # type: ignore[arg-type]
            {k: tuple(v) for k, v in (st.get("tone_extra_words") or {}).items()}
        ),
    )

    jurisdictions: dict[str, Jurisdiction] = {}
    raw_j: dict[str, tuple[SourceFile, YMap]] = {}
    for file, section in c.sections("jurisdictions"):
        for code, body in section.items():
            source = Source(file.path, section.key_pos[code].line, section.key_pos[code].col)
            if c.unique("jurisdictions", code, source, file):
                raw_j[code] = (file, body or YMap(pos=section.value_pos[code]))
    for code, (file, body) in raw_j.items():
        # A subdivision (US-MA) inherits what it does not set from its country (US).
        parent: dict[str, Any] = (
            dict(raw_j[code.split("-", 1)[0]][1]) if "-" in code and code.split("-", 1)[0] in raw_j else {}
        )
        merged = {**parent, **body}
        locales = _tuple(merged.get("locales")) or (str(p["default_locale"]),)
        jurisdictions[code] = Jurisdiction(
            code=code,
            currency=str(merged.get("currency", "")),
            locales=locales,
            default_locale=str(merged.get("default_locale", locales[0])),
            timezone=str(merged.get("timezone", "UTC")),
            holidays=merged.get("holidays", code.split("-", 1)[0]),
            packs=_tuple(merged.get("packs")),
            tighten=frozen_map(  # type: ignore[arg-type]
                {k: frozen_map(dict(v)) for k, v in (merged.get("tighten") or {}).items()}
            ),
            source=Source(file.path, *_key_pos(file, "jurisdictions", code)),
        )

    agencies: dict[str, Agency] = {}
    for file, section in c.sections("agencies"):
        for item in section:
            source = c.src(file, item)
            if c.unique("agencies", item["id"], source, file):
                agencies[item["id"]] = Agency(
                    id=item["id"],
                    name=str(item["name"]),
                    jurisdictions=_tuple(item["jurisdictions"]),
                    fields=_tuple(item["fields"]),
                    email=str(item.get("email", "")),
                    source=source,
                )

    tiers: list[Tier] = []
    for file, section in c.sections("tiers"):
        for item in section:
            source = c.src(file, item)
            if not c.unique("tiers", item["id"], source, file):
                continue
            amount = item.get("amount") or {}
            tiers.append(
                Tier(
                    id=item["id"],
                    name=str(item.get("name", item["id"])),
                    order=len(tiers),
                    dpd=Range(int(item["dpd"]["min"]), item["dpd"].get("max")),
                    min_amount=_amounts(amount.get("min")),
                    max_amount=_amounts(amount.get("max")),
                    products=_tuple(item.get("products")),
                    segments=_tuple(item.get("segments")),
                    jurisdictions=_tuple(item.get("jurisdictions")),
                    strategy=str(item.get("strategy", item["id"])),
                    description=str(item.get("description", "")),
                    source=source,
                )
            )

    strategies: dict[str, Strategy] = {}
    for file, section in c.sections("strategies"):
        for sid, body in section.items():
            kp = section.key_pos[sid]
            source = Source(file.path, kp.line, kp.col)
            if not c.unique("strategies", sid, source, file):
                continue
            steps = []
            for i, s in enumerate(body.get("steps") or []):
                steps.append(
                    Step(
                        index=i,
                        day=int(s["day"]),
                        channel=str(s["channel"]),
                        template=s.get("template"),
                        every=s.get("every"),
                        until=s.get("until"),
                        when=condition(s.get("when")),
                        agency=s.get("agency"),
                        priority=int(s.get("priority", DEFAULT_PRIORITY.get(s["channel"], 5))),
                        description=str(s.get("description", "")),
                        source=c.src(file, s),
                        catch_up=s.get("catch_up"),
                        required=bool(s.get("required", False)),
                        requires=tuple(
                            Requirement(str(r["sent"]), int(r.get("at_least_days", 0)), c.src(file, r))
                            for r in s.get("requires") or ()
                        ),
                    )
                )
            strategies[sid] = Strategy(
                sid, str(body.get("description", "")), tuple(steps), source, catch_up=body.get("catch_up")
            )

    timetables: list[Timetable] = []
    for file, section in c.sections("timetables"):
        for item in section:
            source = c.src(file, item)
            if not c.unique("timetables", item["id"], source, file):
                continue
            hours = {}
            windows = item["windows"]
            for channel, by_day in windows.items():
                hours[channel] = ChannelHours(
                    channel,
                    frozen_map({d: _windows(v) for d, v in by_day.items()}),  # type: ignore[arg-type]
                    Source(file.path, windows.key_pos[channel].line, windows.key_pos[channel].col),
                )
            blackouts = []
            for b in item.get("blackouts") or []:
                start = date.fromisoformat(str(b.get("date", b.get("from"))))
                end = date.fromisoformat(str(b.get("date", b.get("to"))))
                blackouts.append(Blackout(start, end, _tuple(b.get("channels")), str(b["reason"]), c.src(file, b)))
            first_j = str(item["jurisdictions"][0]).split("-", 1)[0]
            timetables.append(
                Timetable(
                    id=item["id"],
                    jurisdictions=_tuple(item["jurisdictions"]),
                    holidays=item.get("holidays", first_j),
                    hours=frozen_map(hours),  # type: ignore[arg-type]
                    blackouts=tuple(blackouts),
                    source=source,
                )
            )

    caps: list[FrequencyCap] = []
    for file, section in c.sections("caps"):
        for item in section:
            source = c.src(file, item)
            if c.unique("caps", item["id"], source, file):
                caps.append(
                    FrequencyCap(
                        id=item["id"],
                        channels=_tuple(item["channels"]),
                        max=int(item["max"]),
                        per_days=int(item["per_days"]),
                        # Without a scope, every debt of the person counts: the stricter
                        # reading (per debt would let a customer with three loans be called
                        # three times as often as one with one).
                        scope=str(item.get("scope", "debtor")),
                        outcomes=tuple(dict.fromkeys(canonical(w) for w in _tuple(item.get("outcomes")))),
                        jurisdictions=_tuple(item.get("jurisdictions")),
                        description=str(item.get("description", "")),
                        source=source,
                    )
                )

    exclusions: list[Exclusion] = []
    for file, section in c.sections("exclusions"):
        for item in section:
            source = c.src(file, item)
            if c.unique("exclusions", item["id"], source, file):
                exclusions.append(
                    Exclusion(
                        id=item["id"],
                        when=condition(item["when"]),
                        effect=ExclusionEffect(item["effect"]),
                        channels=_tuple(item.get("channels")),
                        reason=str(item["reason"]),
                        source=source,
                    )
                )

    offers: list[Offer] = []
    for file, section in c.sections("offers"):
        for item in section:
            source = c.src(file, item)
            if c.unique("offers", item["id"], source, file):
                offers.append(
                    Offer(
                        id=item["id"],
                        kind=str(item["kind"]),
                        when=condition(item.get("when")),
                        instalments=int(item["instalments"]),
                        min_instalment=_amounts(item.get("min_instalment")),
                        interval_days=int(item.get("interval_days", 30)),
                        grace_days=int(item.get("grace_days", 0)),
                        max_discount=Decimal(item.get("max_discount", 0)),
                        description=str(item.get("description", "")),
                        source=source,
                    )
                )

    experiments: list[Experiment] = []
    for file, section in c.sections("experiments"):
        for item in section:
            source = c.src(file, item)
            if not c.unique("experiments", item["id"], source, file):
                continue
            arms = tuple(
                Arm(
                    id=a["id"],
                    share=Decimal(a["share"]),
                    strategy=a.get("strategy"),
                    templates=frozen_map(dict(a.get("templates") or {})),  # type: ignore[arg-type]
                    source=c.src(file, a),
                )
                for a in item["arms"]
            )
            experiments.append(
                Experiment(item["id"], _tuple(item["tiers"]), arms, str(item.get("description", "")), source)
            )

    acknowledgements = tuple(
        Acknowledgement(
            code=str(item["code"]),
            reason=" ".join(str(item["reason"]).split()),
            file=None if item.get("file") is None else str(item["file"]),
            contains=None if item.get("contains") is None else str(item["contains"]),
            source=c.src(file, item),
        )
        for file, section in c.sections("acknowledgements")
        for item in section
    )

    all_locales = tuple(sorted({loc for j in jurisdictions.values() for loc in j.locales}))
    templates: dict[str, Template] = {}
    for file, section in c.sections("templates"):
        for tid, body in section.items():
            kp = section.key_pos[tid]
            source = Source(file.path, kp.line, kp.col)
            if not c.unique("templates", tid, source, file):
                continue
            locales = _tuple(body.get("locales")) or all_locales
            pattern = str(body.get("file", DEFAULT_TEMPLATE_FILE))
            files = {
                loc: pattern.replace("{channel}", str(body["channel"])).replace("{id}", tid).replace("{locale}", loc)
                for loc in locales
            }
            templates[tid] = Template(
                id=tid,
                channel=str(body["channel"]),
                purpose=str(
                    body.get(
                        "purpose",
                        "internal" if body["channel"] in ("agency", "legal_review") else "collection",
                    )
                ),
                locales=locales,
                files=frozen_map(files),  # type: ignore[arg-type]
                description=str(body.get("description", "")),
                source=source,
                notice=body.get("notice"),
                postage=body.get("postage"),
            )
            if body.get("postage") is not None and body["channel"] != "letter":
                at = body.key_pos.get("postage", kp) if isinstance(body, YMap) else kp
                c.problems.append(
                    Problem(
                        source.file,
                        at.line,
                        at.col,
                        Level.ERROR,
                        "S007",
                        f"template {tid!r} states a postage class, but its channel is {body['channel']}",
                        "postage applies to letter templates only; remove it",
                        file.excerpt(at.line, at.col),
                    )
                )

    costs: dict[str, Amounts] = {}
    for _file, section in c.sections("costs"):
        for channel, amount in section.items():
            costs[str(channel)] = _amounts(amount)

    reasons = dict(builtin_reasons())
    for file, section in c.sections("arrears_reasons"):
        for word, body in section.items():
            kp = section.key_pos[word]
            source = Source(file.path, kp.line, kp.col)
            if not c.unique("arrears_reasons", str(word), source, file):
                continue
            body = body or {}
            known = reasons.get(str(word))
            label = _localized(body.get("label")) if body.get("label") else None
            reasons[str(word)] = ArrearsReason(
                word=str(word),
                label=label or (known.label if known else Localized(frozen_map({"*": str(word).replace("_", " ")}))),  # type: ignore[arg-type]
                # a word of the policy's own marks only when it says so; a built-in keeps its default
                marks_vulnerable=bool(body.get("marks_vulnerable", known.marks_vulnerable if known else False)),
                source=source,
            )
    masking = dict(DEFAULT_MASKING)
    for _file, section in c.sections("masking"):
        for name, rule in section.items():
            # a rule the schema refused (reported there) leaves the default in place
            if name not in MASKED_FIELDS:
                continue
            if isinstance(rule, dict) and isinstance(rule.get("keep_last"), int):
                masking[name] = MaskRule("keep_last", rule["keep_last"])
            elif isinstance(rule, str) and rule in (*MASK_WORDS, *MASKED_FIELDS[name]):
                masking[name] = MaskRule(rule)

    all_files = sorted({f.path for f in repo.files} | {f"templates/{t}" for t in repo.template_files()})
    policy = Policy(
        root=str(repo.root),
        id=str(p["id"]),
        name=str(p["name"]),
        default_locale=str(p["default_locale"]),
        company=company,
        settings=settings,
        jurisdictions=frozen_map(jurisdictions),  # type: ignore[arg-type]
        agencies=frozen_map(agencies),  # type: ignore[arg-type]
        tiers=tuple(tiers),
        strategies=frozen_map(strategies),  # type: ignore[arg-type]
        timetables=tuple(timetables),
        caps=tuple(caps),
        exclusions=tuple(exclusions),
        offers=tuple(offers),
        experiments=tuple(experiments),
        templates=frozen_map(templates),  # type: ignore[arg-type]
        files=tuple(all_files),
        costs=frozen_map(dict(sorted(costs.items()))),  # type: ignore[arg-type]
        acknowledgements=acknowledgements,
        arrears_reasons=frozen_map(reasons),  # type: ignore[arg-type]
        masking=MappingProxyType({name: masking[name] for name in MASKED_FIELDS}),
    )
    return policy, c.problems


def _key_pos(file: SourceFile, section: str, key: str) -> tuple[int, int]:
    data = file.data
    if isinstance(data, YMap) and isinstance(data.get(section), YMap):
        pos = data[section].key_pos.get(key)
        if pos:
            return pos.line, pos.col
    return 1, 1


__all__ = ["compile_policy", "condition"]
_ = YList  # re-exported for rules that walk raw documents
