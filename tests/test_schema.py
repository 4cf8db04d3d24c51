"""`dunning schema`: the JSON Schema editors use agrees with the committed file and the examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from dunning.cli import main
from dunning.load import load_yaml_text
from dunning.policy.jsonschema import render
from dunning.policy.schema import check_file

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "schemas" / "policy.schema.json"
EXAMPLES = sorted((ROOT / "policies").glob("*.yaml"))


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(COMMITTED.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def plain(text: str) -> Any:
    source = load_yaml_text("f.yaml", text)
    assert not source.problems
    return source.data


def test_committed_schema_is_up_to_date() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(), "run `dunning schema` and commit the result"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_files_validate_and_carry_the_modeline(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schemas/policy.schema.json\n")
    errors = sorted(validator().iter_errors(plain(text)), key=str)
    assert errors == []


@pytest.mark.parametrize(
    ("text", "where", "validator_kind"),
    [
        ("tiers:\n  - {id: early, dpdd: {min: 1}, dpd: {min: 1}}\n", ["tiers", 0], "additionalProperties"),
        ("tiers:\n  - {id: early}\n", ["tiers", 0], "required"),
        ("strategies:\n  a: {steps: [{day: 1, channel: text}]}\n", ["strategies", "a", "steps", 0, "channel"], "enum"),
        ("jurisdictions:\n  US: {currency: usd}\n", ["jurisdictions", "US", "currency"], "pattern"),
        ("caps:\n  - {id: w, channels: [call], max: -1, per_days: 7}\n", ["caps", 0, "max"], "minimum"),
        ("offers:\n  - {id: o, kind: hardship, instalments: 2, min_instalment: {usd: 5}}\n",
         ["offers", 0, "min_instalment"], "anyOf"),
        ("timetables:\n  - {id: t, jurisdictions: [US], windows: {call: {workdays: 9-5}}}\n",
         ["timetables", 0, "windows", "call", "workdays"], "anyOf"),
        ("masking:\n  phone: initials\n", ["masking", "phone"], "anyOf"),
        ("masking:\n  phone: {keep_last: 9}\n", ["masking", "phone"], "anyOf"),
        ("unknown_section: 1\n", [], "additionalProperties"),
    ],
)  # fmt: skip
def test_schema_flags_what_validate_flags(text: str, where: list[object], validator_kind: str) -> None:
    errors = list(validator().iter_errors(plain(text)))
    assert [(list(e.absolute_path), e.validator) for e in errors] == [(where, validator_kind)]


def test_cli_writes_and_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "schemas"
    stale = runner.invoke(main, ["schema", "--out", str(out), "--check"])
    assert stale.exit_code == 1 and "missing" in stale.output
    written = runner.invoke(main, ["schema", "--out", str(out)])
    assert written.exit_code == 0
    assert (out / "policy.schema.json").read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert runner.invoke(main, ["schema", "--out", str(out), "--check"]).exit_code == 0


@pytest.mark.parametrize("purpose", ["collection", "notice", "reply", "limited_content", "internal"])
def test_every_purpose_the_gate_knows_passes_both_schemas(purpose: str) -> None:
    # `reply` is what the Breathing Space stop allows (uk-conc.breathing-space): a policy that
    # registers a reply template must not be refused by validate (S004) while the gate accepts it
    text = f"templates:\n  answer: {{channel: email, purpose: {purpose}}}\n"
    assert list(validator().iter_errors(plain(text))) == []
    assert check_file(load_yaml_text("policies/templates.yaml", text)) == []


def test_an_unknown_purpose_is_s004() -> None:
    text = "templates:\n  answer: {channel: email, purpose: replies}\n"
    found = check_file(load_yaml_text("policies/templates.yaml", text))
    assert [(p.code, p.line, p.col) for p in found] == [("S004", 2, 37)]
