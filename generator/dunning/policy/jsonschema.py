"""JSON Schema (draft-07) for policy files, generated from the cerberus schemas.

Editors with yaml-language-server read the ``# yaml-language-server: $schema=…`` modeline at
the top of each policy file and then autocomplete keys and flag mistakes as you type. The
schema is generated from :data:`dunning.policy.schema.SECTIONS`, so the editor and
``dunning validate`` agree on keys, types, allowed values and ranges. (Cross-file and
semantic checks — tier overlaps, missing templates — stay with ``validate``.)
"""

from __future__ import annotations

import json
from typing import Any

from dunning.policy.model import MASK_WORDS, MASKED_FIELDS
from dunning.policy.schema import COUNTED_OUTCOMES, LOCALE, MASK_KEEP_MAX, SECTIONS

_LOCALE_PATTERN = f"^(?:{LOCALE['regex']})$"
_WINDOW = r"([01][0-9]|2[0-4]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]"
_AMOUNT = {"type": "number", "minimum": 0}
_OUTCOME_COUNT = {
    "type": "object",
    "required": ["outcome", "days"],
    "additionalProperties": False,
    "properties": {
        "outcome": {"type": "string", "enum": list(COUNTED_OUTCOMES)},
        "count": {"type": "integer", "minimum": 1, "maximum": 1000},
        "days": {"type": "integer", "minimum": 1, "maximum": 3650},
    },
}
_CHECKS: dict[str, dict[str, Any]] = {
    "amounts": {
        "description": "an amount >= 0, or a mapping of ISO 4217 currency to amount",
        "anyOf": [
            _AMOUNT,
            {"type": "object", "propertyNames": {"pattern": "^[A-Z]{3}$"}, "additionalProperties": _AMOUNT},
        ],
    },
    "localized": {
        "description": "a text, or a mapping of BCP 47 locale to text",
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "propertyNames": {"pattern": _LOCALE_PATTERN},
                "additionalProperties": {"type": "string"},
            },
        ],
    },
    "hours": {
        "description": "a window like '09:00-20:00', a list of them, or 'none'",
        "anyOf": [
            {"type": "string", "pattern": f"^(none|{_WINDOW})$"},
            {"type": "array", "items": {"type": "string", "pattern": f"^{_WINDOW}$"}},
            {"type": "null"},
        ],
    },
    "date": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "a date like 2026-12-24"},
    "timezone": {"type": "string", "description": "an IANA time zone, e.g. Asia/Shanghai"},
    "outcome_counts": {
        "description": "{outcome, count, days} (or a list of them): at least count outcomes in the last days",
        "anyOf": [_OUTCOME_COUNT, {"type": "array", "items": _OUTCOME_COUNT}],
    },
}
for _field, _words in MASKED_FIELDS.items():
    _CHECKS[f"mask_{_field}"] = {
        "description": f"how a customer file shows the {_field}",
        "anyOf": [
            {"type": "string", "enum": [*MASK_WORDS, *_words]},
            {
                "type": "object",
                "required": ["keep_last"],
                "additionalProperties": False,
                "properties": {"keep_last": {"type": "integer", "minimum": 0, "maximum": MASK_KEEP_MAX}},
            },
        ],
    }
_TYPES = {"string": "string", "integer": "integer", "decimal": "number", "dict": "object", "list": "array"}
_TYPES["boolean"] = "boolean"


def convert(rules: dict[str, Any]) -> dict[str, Any]:
    """One cerberus rule set → the equivalent JSON Schema."""
    out: dict[str, Any] = {}
    if "check_with" in rules:
        out.update(_CHECKS[str(rules["check_with"])])
    kinds = rules.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        types = [_TYPES[k] for k in names]
        if rules.get("nullable"):
            types.append("null")
        if "anyOf" not in out:
            out["type"] = types[0] if len(types) == 1 else types
    is_array = kinds == "list"
    if "allowed" in rules:
        values = list(rules["allowed"])
        out["enum"] = values + ([None] if rules.get("nullable") else [])
    if "regex" in rules:
        out["pattern"] = f"^(?:{rules['regex']})$"
    for rule, key in (("min", "minimum"), ("max", "maximum")):
        if rule in rules:
            out[key] = rules[rule]
    for rule, key in (("minlength", "min"), ("maxlength", "max")):
        if rule in rules:
            out[f"{key}Items" if is_array else f"{key}Length"] = rules[rule]
    schema = rules.get("schema")
    if isinstance(schema, dict) and kinds == "dict":
        out["properties"] = {k: convert(v) for k, v in schema.items()}
        required = [k for k, v in schema.items() if v.get("required")]
        if required:
            out["required"] = required
        out["additionalProperties"] = False
        deps = {k: [v["dependencies"]] for k, v in schema.items() if isinstance(v.get("dependencies"), str)}
        if deps:
            out["dependencies"] = deps
    elif isinstance(schema, dict) and is_array:
        out["items"] = convert(schema)
    if "keysrules" in rules:
        out["propertyNames"] = {k: v for k, v in convert(rules["keysrules"]).items() if k != "type"}
    if "valuesrules" in rules:
        out["additionalProperties"] = convert(rules["valuesrules"])
    return out


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of one policy file (any subset of the sections)."""
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "dunning policy file",
        "description": "A policy file: any of the sections below. Generated by `dunning schema`; do not edit.",
        "type": "object",
        "properties": {name: convert(rules) for name, rules in SECTIONS.items()},
        "additionalProperties": False,
    }


def render() -> str:
    """The schema as stable, indented JSON text."""
    return json.dumps(policy_schema(), ensure_ascii=False, indent=2) + "\n"
