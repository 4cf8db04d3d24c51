"""Cerberus schemas of the policy language, one per section, and the mapping of cerberus
errors back to file:line:column.

A policy file is a mapping of sections (``portfolio``, ``jurisdictions``, ``tiers`` …); a
repository may split sections over any number of files (lists are concatenated in file
order, id-keyed mappings merged). The same schemas produce the JSON Schema that editors
use (:mod:`dunning.policy.jsonschema`), so the CLI and the editor flag the same mistakes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from cerberus import TypeDefinition, Validator, errors
from cerberus.errors import ValidationError

from dunning.accounts.events import ALIASES, DERIVED, EVENTS
from dunning.load.documents import SourceFile, position_of
from dunning.policy.model import (
    CHANNELS,
    CONTACT_CHANNELS,
    DAY_TYPES,
    FLAGS,
    MASK_WORDS,
    MASKED_FIELDS,
    NOTICE_KINDS,
    POSTAGE_CLASSES,
    PURPOSES,
)
from dunning.problems import Level, Problem

ID = {"type": "string", "regex": r"[a-z0-9][a-z0-9_.-]*", "maxlength": 64}
IDS = {"type": "list", "schema": ID}
TEXT = {"type": "string", "maxlength": 2000}
LOCALE = {"type": "string", "regex": r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2}|-[0-9]{3})?"}
JURISDICTION = {"type": "string", "regex": r"[A-Z]{2}(-[A-Z0-9]{1,3})?"}
CURRENCY = {"type": "string", "regex": r"[A-Z]{3}"}
LOCALIZED = {"type": ["string", "dict"], "check_with": "localized"}
AMOUNTS = {"check_with": "amounts"}
DAYS = {"type": "integer", "min": 0, "max": 3650}
HOURS = {"check_with": "hours"}
# how many days after its due day a step that did not go out may still be sent (caught up)
CATCH_UP = {"type": "integer", "min": 0, "max": 365}
MASK_KEEP_MAX = 8  # {keep_last: N}: more than 8 characters of a phone number is the number
OUTCOMES = (*EVENTS, *ALIASES)  # the history vocabulary (docs/data.md) and today's aliases

COUNTED_OUTCOMES = (*OUTCOMES, *DERIVED)  # what ``outcomes_in_last_days`` may count

CONDITION: dict[str, Any] = {
    "promise": {"type": "string", "allowed": ["any", "none", "broken", "not_kept"]},
    "min_overdue": AMOUNTS,
    "max_overdue": AMOUNTS,
    "products": IDS,
    "segments": IDS,
    "jurisdictions": {"type": "list", "schema": JURISDICTION},
    "tiers": IDS,
    "flags": {"type": "list", "schema": {"type": "string", "allowed": list(FLAGS)}},
    "not_flags": {"type": "list", "schema": {"type": "string", "allowed": list(FLAGS)}},
    "no_payment_for_days": DAYS,
    "no_conversation_for_days": DAYS,
    "failed_attempts": {"type": "integer", "min": 1, "max": 1000},
    "has": {"type": "list", "schema": {"type": "string", "allowed": ["phone", "email", "address"]}},
    "arrangement": {"type": "string", "allowed": ["none", "active", "broken", "completed"]},
    "placed": {"type": "boolean"},
    "disputed": {"type": "boolean"},
    "represented": {"type": "boolean"},
    "days_since_last_contact": DAYS,
    "days_since_right_party_contact": DAYS,
    "paid_since_days": {"type": "integer", "min": 1, "max": 3650},
    "outcomes_in_last_days": {"check_with": "outcome_counts"},
    # words of the reason vocabulary (built in or the policy's own; X021 checks them)
    "arrears_reasons": {"type": "list", "schema": ID},
}
WHEN = {"type": "dict", "schema": CONDITION}

SECTIONS: dict[str, dict[str, Any]] = {
    "portfolio": {
        "type": "dict",
        "schema": {
            "id": {**ID, "required": True},
            "name": {**TEXT, "required": True},
            "default_locale": {**LOCALE, "required": True},
            "description": TEXT,
            "company": {
                "type": "dict",
                "required": True,
                "schema": {
                    "name": {**LOCALIZED, "required": True},
                    "sms_signature": {**LOCALIZED, "required": True},
                    "phone": {"type": "dict", "keysrules": JURISDICTION, "valuesrules": {"type": "string"}},
                    "email": {"type": "string", "regex": r"[^@\s]+@[^@\s]+\.[^@\s]+", "required": True},
                    "website": {"type": "string", "regex": r"https://\S+"},
                    "postal_address": LOCALIZED,
                    "unsubscribe_url": {"type": "string", "regex": r"https://\S+", "required": True},
                },
            },
            "settings": {
                "type": "dict",
                "schema": {
                    "sms_max_segments": {"type": "integer", "min": 1, "max": 10},
                    "promise_grace_days": {"type": "integer", "min": 0, "max": 60},
                    "tone_extra_words": {
                        "type": "dict",
                        "keysrules": LOCALE,
                        "valuesrules": {"type": "list", "schema": {"type": "string", "minlength": 1}},
                    },
                },
            },
        },
    },
    "jurisdictions": {
        "type": "dict",
        "keysrules": JURISDICTION,
        "valuesrules": {
            "type": "dict",
            "schema": {
                "currency": CURRENCY,
                "locales": {"type": "list", "schema": LOCALE, "minlength": 1},
                "default_locale": LOCALE,
                "timezone": {"type": "string", "check_with": "timezone"},
                "holidays": {"type": "string", "nullable": True, "regex": r"[A-Z]{2}(-[A-Z0-9]{1,3})?"},
                "packs": {"type": "list", "schema": ID},
                "tighten": {"type": "dict", "keysrules": {"type": "string"}, "valuesrules": {"type": "dict"}},
            },
        },
    },
    "agencies": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "name": {**TEXT, "required": True},
                "jurisdictions": {"type": "list", "schema": JURISDICTION, "required": True, "minlength": 1},
                "fields": {"type": "list", "schema": {"type": "string"}, "required": True, "minlength": 1},
                "email": {"type": "string"},
            },
        },
    },
    "tiers": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "name": TEXT,
                "description": TEXT,
                "dpd": {
                    "type": "dict",
                    "required": True,
                    "schema": {
                        "min": {"type": "integer", "min": -3650, "max": 36500, "required": True},
                        "max": {"type": "integer", "min": -3650, "max": 36500, "nullable": True},
                    },
                },
                "amount": {"type": "dict", "schema": {"min": AMOUNTS, "max": AMOUNTS}},
                "products": IDS,
                "segments": IDS,
                "jurisdictions": {"type": "list", "schema": JURISDICTION},
                "strategy": ID,
            },
        },
    },
    "strategies": {
        "type": "dict",
        "keysrules": ID,
        "valuesrules": {
            "type": "dict",
            "schema": {
                "description": TEXT,
                "catch_up": CATCH_UP,
                "steps": {
                    "type": "list",
                    "required": True,
                    "schema": {
                        "type": "dict",
                        "schema": {
                            # negative: before the due date (a pre-due reminder)
                            "day": {"type": "integer", "min": -365, "max": 36500, "required": True},
                            "channel": {"type": "string", "allowed": list(CHANNELS), "required": True},
                            "template": ID,
                            "every": {"type": "integer", "min": 1, "max": 365},
                            "until": {"type": "integer", "min": 0, "max": 36500},
                            "when": WHEN,
                            "agency": ID,
                            "priority": {"type": "integer", "min": 1, "max": 9},
                            "description": TEXT,
                            "catch_up": CATCH_UP,
                            "required": {"type": "boolean"},
                            "requires": {
                                "type": "list",
                                "schema": {
                                    "type": "dict",
                                    "schema": {
                                        "sent": {**ID, "required": True},
                                        "at_least_days": {"type": "integer", "min": 0, "max": 3650},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "timetables": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "jurisdictions": {"type": "list", "schema": JURISDICTION, "required": True, "minlength": 1},
                "holidays": {"type": "string", "nullable": True, "regex": r"[A-Z]{2}(-[A-Z0-9]{1,3})?"},
                "windows": {
                    "type": "dict",
                    "required": True,
                    "keysrules": {"type": "string", "allowed": list(CONTACT_CHANNELS)},
                    "valuesrules": {
                        "type": "dict",
                        "keysrules": {"type": "string", "allowed": list(DAY_TYPES)},
                        "valuesrules": HOURS,
                    },
                },
                "blackouts": {
                    "type": "list",
                    "schema": {
                        "type": "dict",
                        "schema": {
                            "date": {"check_with": "date", "excludes": ["from", "to"]},
                            "from": {"check_with": "date", "dependencies": "to"},
                            "to": {"check_with": "date", "dependencies": "from"},
                            "channels": {
                                "type": "list",
                                "schema": {"type": "string", "allowed": list(CONTACT_CHANNELS)},
                            },
                            "reason": {**TEXT, "required": True},
                        },
                    },
                },
            },
        },
    },
    "caps": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "channels": {
                    "type": "list",
                    "required": True,
                    "minlength": 1,
                    "schema": {"type": "string", "allowed": list(CONTACT_CHANNELS)},
                },
                "max": {"type": "integer", "min": 0, "max": 1000, "required": True},
                "per_days": {"type": "integer", "min": 1, "max": 366, "required": True},
                "scope": {"type": "string", "allowed": ["debt", "debtor", "number"]},
                "outcomes": {"type": "list", "schema": {"type": "string", "allowed": list(OUTCOMES)}},
                "jurisdictions": {"type": "list", "schema": JURISDICTION},
                "description": TEXT,
            },
        },
    },
    "exclusions": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "when": {**WHEN, "required": True},
                "effect": {"type": "string", "allowed": ["exclude", "pause", "suppress"], "required": True},
                "channels": {"type": "list", "schema": {"type": "string", "allowed": list(CHANNELS)}},
                "reason": {**TEXT, "required": True},
            },
        },
    },
    "offers": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "kind": {
                    "type": "string",
                    "allowed": ["payment_plan", "hardship", "settlement"],
                    "required": True,
                },
                "when": WHEN,
                "instalments": {"type": "integer", "min": 0, "max": 120, "required": True},
                "min_instalment": AMOUNTS,
                "interval_days": {"type": "integer", "min": 1, "max": 366},
                "grace_days": {"type": "integer", "min": 0, "max": 366},
                "max_discount": {"type": "decimal"},
                "description": TEXT,
            },
        },
    },
    "experiments": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "id": {**ID, "required": True},
                "description": TEXT,
                "tiers": {**IDS, "required": True, "minlength": 1},
                "arms": {
                    "type": "list",
                    "required": True,
                    "minlength": 2,
                    "schema": {
                        "type": "dict",
                        "schema": {
                            "id": {**ID, "required": True},
                            "share": {"type": "decimal", "required": True},
                            "strategy": ID,
                            "templates": {"type": "dict", "keysrules": ID, "valuesrules": ID},
                        },
                    },
                },
            },
        },
    },
    "costs": {
        # what one message or attempt costs per channel, for `dunning report` (cost per unit
        # collected); an amount or a mapping per currency, as thresholds are
        "type": "dict",
        "keysrules": {"type": "string", "allowed": list(CHANNELS)},
        "valuesrules": AMOUNTS,
    },
    "arrears_reasons": {
        # the reason-for-arrears vocabulary (docs/data.md): a word of the policy's own, or a
        # built-in word relabelled or marking vulnerable differently (FCA FG21/1)
        "type": "dict",
        "keysrules": ID,
        "valuesrules": {
            "type": "dict",
            "schema": {"label": LOCALIZED, "marks_vulnerable": {"type": "boolean"}, "description": TEXT},
        },
    },
    "masking": {
        # how a customer file (dunning case, messages/cases/) shows each personal field;
        # a field left out keeps its default (phone: last 4 digits, email: first letter and domain)
        "type": "dict",
        "schema": {name: {"check_with": f"mask_{name}"} for name in MASKED_FIELDS},
    },
    "acknowledgements": {
        "type": "list",
        "schema": {
            "type": "dict",
            "schema": {
                "code": {"type": "string", "regex": r"[A-Z][0-9]{3}", "required": True},
                "reason": {**TEXT, "minlength": 3, "required": True},
                "file": {"type": "string", "regex": r"[^\0]+"},
                "contains": {"type": "string", "minlength": 1, "maxlength": 500},
            },
        },
    },
    "templates": {
        "type": "dict",
        "keysrules": ID,
        "valuesrules": {
            "type": "dict",
            "schema": {
                "channel": {"type": "string", "allowed": list(CHANNELS), "required": True},
                "purpose": {
                    "type": "string",
                    "allowed": list(PURPOSES),
                },
                "locales": {"type": "list", "schema": LOCALE},
                # which notice the law knows it as: validation (Reg F), default (CCA s. 87), arrears
                "notice": {"type": "string", "allowed": list(NOTICE_KINDS)},
                # a letter's postage class (print batches are cut by it); default: by purpose
                "postage": {"type": "string", "allowed": list(POSTAGE_CLASSES)},
                "file": {"type": "string", "regex": r"[^\0]+"},
                "description": TEXT,
            },
        },
    },
}

_TIME_RANGE = re.compile(r"([01][0-9]|2[0-4]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])")


class _TrustedSchemas(set[object]):
    """Cerberus checks each schema against its meta-schema once per process and remembers the
    ones that passed in ``_valid_schemas``. Ours is a constant, so that check (0.5 s at every
    CLI start, half of validating the example) is done by the test suite instead
    (``tests/test_schema_meta.py``, which empties this and builds the validator)."""

    trusted = True

    def __contains__(self, item: object) -> bool:
        return self.trusted or super().__contains__(item)


class PolicyValidator(Validator):  # type: ignore[misc]
    """Cerberus with the policy language's own value types (decimal, amounts, hours, dates)."""

    _valid_schemas = _TrustedSchemas()
    types_mapping = Validator.types_mapping.copy()
    types_mapping["decimal"] = TypeDefinition("decimal", (int, Decimal), (bool,))

    def _check_with_amounts(self, field: str, value: Any) -> None:
        def ok(v: Any) -> bool:
            return isinstance(v, (int, Decimal)) and not isinstance(v, bool) and Decimal(v) >= 0

        if isinstance(value, dict):
            for cur, amount in value.items():
                if not re.fullmatch(r"[A-Z]{3}", str(cur)):
                    self._error(field, f"{cur!r} is not an ISO 4217 currency code (e.g. CNY, USD)")
                elif not ok(amount):
                    self._error(field, f"amount for {cur} must be a number >= 0")
        elif not ok(value):
            self._error(field, "must be an amount >= 0, or a mapping of currency to amount")

    def _check_with_localized(self, field: str, value: Any) -> None:
        if isinstance(value, dict):
            for loc, text in value.items():
                if not re.fullmatch(str(LOCALE["regex"]), str(loc)):
                    self._error(field, f"{loc!r} is not a BCP 47 locale (e.g. zh-CN, en-US)")
                elif not isinstance(text, str):
                    self._error(field, f"text for {loc} must be a string")

    def _check_with_hours(self, field: str, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item in ("none", None):
                continue
            match = _TIME_RANGE.fullmatch(str(item))
            if not match:
                self._error(field, f"{item!r} is not a window like '09:00-20:00' (or 'none')")
                continue
            start = int(match[1]) * 60 + int(match[2])
            end = int(match[3]) * 60 + int(match[4])
            if start >= end or end > 24 * 60:
                self._error(field, f"window {item!r} must start before it ends, within one day")

    def _check_with_outcome_counts(self, field: str, value: Any) -> None:
        items = value if isinstance(value, list) else [value]
        for item in items:
            if (
                not isinstance(item, dict)
                or not {"outcome", "days"} <= set(item)
                or set(item) - {"outcome", "count", "days"}
            ):
                self._error(field, "each entry is {outcome: WORD, count: N, days: N} (count defaults to 1)")
                continue
            if item["outcome"] not in COUNTED_OUTCOMES:
                self._error(field, f"{item['outcome']!r} is not an outcome: one of {', '.join(COUNTED_OUTCOMES)}")
            for key, high in (("count", 1000), ("days", 3650)):
                number = item.get(key, 1)
                if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= high:
                    self._error(field, f"{key} must be a whole number from 1 to {high}")

    def _check_mask_rule(self, field: str, value: Any) -> None:
        words = (*MASK_WORDS, *MASKED_FIELDS[field])
        if isinstance(value, str) and value in words:
            return
        if isinstance(value, dict) and set(value) == {"keep_last"}:
            keep = value["keep_last"]
            if isinstance(keep, int) and not isinstance(keep, bool) and 0 <= keep <= MASK_KEEP_MAX:
                return
            self._error(field, f"keep_last must be a whole number from 0 to {MASK_KEEP_MAX}")
            return
        shown = repr(value) if isinstance(value, str) else _describe(value)
        self._error(field, f"{shown} is not a masking rule for {field}: use {', '.join(words)} or {{keep_last: N}}")

    # cerberus knows a check by its method's name, collected when the class is made: one per
    # masked field (MASKED_FIELDS), each the same check
    def _check_with_mask_name(self, field: str, value: Any) -> None:
        self._check_mask_rule(field, value)

    def _check_with_mask_customer_id(self, field: str, value: Any) -> None:
        self._check_mask_rule(field, value)

    def _check_with_mask_phone(self, field: str, value: Any) -> None:
        self._check_mask_rule(field, value)

    def _check_with_mask_email(self, field: str, value: Any) -> None:
        self._check_mask_rule(field, value)

    def _check_with_mask_address(self, field: str, value: Any) -> None:
        self._check_mask_rule(field, value)

    def _check_with_date(self, field: str, value: Any) -> None:
        try:
            date.fromisoformat(str(value))
        except ValueError:
            self._error(field, f"{value!r} is not a date like 2026-12-24")

    def _check_with_timezone(self, field: str, value: Any) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            self._error(field, f"{value!r} is not an IANA time zone (e.g. Asia/Shanghai)")


FILE_SCHEMA = {name: {**rules, "nullable": False} for name, rules in SECTIONS.items()}
_validator = PolicyValidator(FILE_SCHEMA, allow_unknown=False)  # one, reused for every file


def _leaves(errs: list[ValidationError]) -> Iterator[ValidationError]:
    for err in errs:
        if err.is_group_error and err.child_errors:
            yield from _leaves(list(err.child_errors))
        else:
            yield err


def _schema_keys(path: tuple[Any, ...]) -> list[str]:
    """The keys the schema allows at ``path`` (for "did you mean")."""
    node: Any = {"schema": FILE_SCHEMA}
    for step in path:
        if isinstance(step, int):
            node = node.get("schema", {})
            continue
        inner = node.get("schema") or node.get("valuesrules", {}).get("schema")
        if isinstance(inner, dict) and step in inner:
            node = inner[step]
        elif "valuesrules" in node:
            node = node["valuesrules"]
        else:
            return []
    inner = node.get("schema") or {}
    return [k for k in inner if isinstance(k, str)] if isinstance(inner, dict) else []


def check_file(source: SourceFile) -> list[Problem]:
    """Schema problems of one loaded policy file, each at its line and column."""
    data = source.data
    if data is None:
        return []
    if not isinstance(data, dict):
        return [
            Problem(
                source.path,
                1,
                1,
                Level.ERROR,
                "S008",
                f"a policy file must be a mapping of sections, not a {type(data).__name__}",
                "start the file with a section name such as `tiers:`",
                source.excerpt(1, 1),
            )
        ]
    # The schemas set no defaults or coercions, so normalisation does nothing but re-hash and
    # re-check the schema for every sub-document: skipping it makes validation ~10x faster.
    _validator.validate(data, normalize=False)
    problems: list[Problem] = []
    for err in _leaves(list(_validator._errors)):
        problems.append(_to_problem(source, err))
    return sorted(set(problems))


def _to_problem(source: SourceFile, err: ValidationError) -> Problem:
    path = tuple(err.document_path)
    field = path[-1] if path else ""
    code, hint = "S006", "see the policy language reference"
    key = False
    if err.code == errors.UNKNOWN_FIELD.code:
        code, key = "S001", True
        options = _schema_keys(path[:-1])
        close = difflib.get_close_matches(str(field), options, n=1)
        message = f"unknown key {field!r}"
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(options)}"
    elif err.code == errors.REQUIRED_FIELD.code:
        code = "S002"
        message = f"missing required key {field!r}"
        hint = f"add `{field}:` here"
    elif err.code == errors.BAD_TYPE.code:
        code = "S003"
        wanted = err.constraint if isinstance(err.constraint, str) else " or ".join(err.constraint)
        wanted = {"dict": "mapping", "list": "list", "decimal": "number"}.get(wanted, wanted)
        message = f"{field!r} must be a {wanted}, not {_describe(err.value)}"
        hint = _type_hint(err.value, wanted)
    elif err.code in (errors.UNALLOWED_VALUE.code, errors.UNALLOWED_VALUES.code):
        code = "S004"
        allowed = list(err.constraint)
        close = difflib.get_close_matches(str(err.value), [str(a) for a in allowed], n=1)
        message = f"{_describe(err.value)} is not allowed for {field!r}"
        hint = (f"did you mean {close[0]!r}? " if close else "") + f"allowed: {', '.join(map(str, allowed))}"
    elif err.code in (
        errors.MIN_VALUE.code, errors.MAX_VALUE.code, errors.MIN_LENGTH.code,
        errors.MAX_LENGTH.code, errors.REGEX_MISMATCH.code,
    ):  # fmt: skip
        code = "S005"
        message = f"{field!r}: {_describe(err.value)} is out of range ({err.rule} {err.constraint})"
        hint = {
            "min": f"use a value >= {err.constraint}",
            "max": f"use a value <= {err.constraint}",
            "minlength": f"give at least {err.constraint} item(s)",
            "maxlength": f"give at most {err.constraint} item(s) / characters",
            "regex": "ids are lower-case words with - or _; codes are upper-case (CN, US-MA, USD)",
        }.get(str(err.rule), hint)
        if err.rule == "regex":
            message = f"{field!r}: {_describe(err.value)} does not have the expected form"
    elif err.code in (errors.DEPENDENCIES_FIELD.code, errors.EXCLUDES_FIELD.code):
        code = "S007"
        message = f"{field!r}: {err.info[0] if err.info else err.rule}"
        message = f"{field!r} conflicts with or needs another key ({err.rule})"
        hint = "use either `date:` or both `from:` and `to:`"
    else:
        message = f"{field!r}: {err.info[0] if err.info else err.rule}"
        if path[:1] == ("masking",):
            hint = "a masking rule is a word or {keep_last: N}; see docs/data.md#masking-in-customer-files"
    pos = position_of(source.data, path, key=key)
    return Problem(source.path, pos.line, pos.col, Level.ERROR, code, message, hint, source.excerpt(pos.line, pos.col))


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, str) and len(value) > 60:  # a message must stay one readable line
        return repr(value[:60]) + f"… ({len(value)} characters)"
    return repr(value if not isinstance(value, Decimal) else str(value))


def _type_hint(value: Any, wanted: str) -> str:
    if wanted == "boolean" and isinstance(value, str):
        return "write true or false (yes/no/on/off are strings in YAML 1.2)"
    if wanted == "integer" and isinstance(value, str):
        return "write the number without quotes"
    if wanted == "string" and isinstance(value, (int, Decimal)):
        return f'quote it: "{value}"'
    if wanted == "list":
        return "write a list: [a, b] or one `- item` per line"
    if wanted == "mapping":
        return "write `key: value` pairs indented under this key"
    return f"write a {wanted}"
