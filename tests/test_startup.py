"""What ``dunning validate`` loads at start-up, and the invariants its shortcuts rely on.

How long validate takes is measured by ``benchmarks/validate_repo.py``, not here; these tests
prove that the shortcuts give the same answers as the long way, and that validate does not
load what it does not use (in a fresh interpreter, so other tests' imports do not count).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click
import holidays
import jinja2
import pytest

from dunning.cli import COMMANDS, main
from dunning.compliance.calendar import _country_entity_alone, country_calendar
from dunning.validate import validate

YEARS = range(1970, 2101)


def _fresh(code: str, cwd: Path | None = None) -> object:
    """Run ``code`` in a new interpreter; it prints one JSON value, which is returned."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("country", ["US", "CN", "GB"])
def test_one_country_module_is_the_librarys_calendar(country: str) -> None:
    alone = _country_entity_alone(holidays, country)
    assert alone is not None, "the holidays layout changed: validate now imports every country's calendar"
    assert dict(alone(years=YEARS)) == dict(holidays.country_holidays(country, years=YEARS))


def test_country_calendar_in_a_fresh_interpreter_loads_only_that_country() -> None:
    code = f"""
import json, sys
from datetime import date
from dunning.compliance.calendar import country_calendar
calendar = country_calendar("US")
for year in range({YEARS.start}, {YEARS.stop}):
    date(year, 1, 1) in calendar  # expands the year, as validation_end's lookups do
print(json.dumps(["holidays.countries" in sys.modules, sorted((d.isoformat(), n) for d, n in calendar.items())]))
"""
    found = _fresh(code)
    assert isinstance(found, list)
    countries_imported, days = found
    assert countries_imported is False
    expected = holidays.country_holidays("US", years=YEARS)
    assert days == sorted([d.isoformat(), n] for d, n in expected.items())


def test_country_calendar_of_an_unknown_country_is_the_librarys_error() -> None:
    with pytest.raises(NotImplementedError):
        country_calendar("XX")


def test_validation_end_in_a_fresh_interpreter_matches() -> None:
    code = """
import json, sys
from datetime import date
from dunning.compliance.texts import validation_end
print(json.dumps([validation_end(date(2026, 11, 25)).isoformat(), "holidays.countries" in sys.modules]))
"""
    assert _fresh(code) == [date(2027, 1, 2).isoformat(), False]


def test_every_command_resolves_to_itself() -> None:
    with click.Context(main) as ctx:
        assert main.list_commands(ctx) == list(COMMANDS)  # pipeline order
        for name in COMMANDS:
            command = main.get_command(ctx, name)
            assert isinstance(command, click.Command)
            assert command.name == name


def test_validate_loads_neither_other_commands_nor_every_country(example_root: Path) -> None:
    code = """
import contextlib, io, json, sys
from dunning.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main(["validate", ".", "--format", "json"])
    except SystemExit as exit:
        code = exit.code
loaded = sorted(m for m in sys.modules if m.startswith(("dunning.cli.", "holidays.countries")))
print(json.dumps([code, json.loads(out.getvalue())["counts"]["error"], loaded]))
"""
    assert _fresh(code, cwd=example_root) == [
        0,
        0,
        ["dunning.cli.errors", "dunning.cli.params", "dunning.cli.validate"],
    ]


def test_each_template_is_parsed_once_and_compiled_from_that_tree(
    example_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rules/_templates.py hands Jinja's cache the tree it parsed; if a Jinja release changed the
    # cache key, rendering would quietly parse and compile every template a second time
    parsed: list[str] = []
    compiled: list[tuple[str, bool]] = []
    parse, compile_ = jinja2.Environment.parse, jinja2.Environment.compile

    def counting_parse(self: jinja2.Environment, source: str, name: str | None = None, *args: Any) -> Any:
        parsed.append(str(name))
        return parse(self, source, name, *args)

    def counting_compile(self: jinja2.Environment, source: Any, name: str | None = None, *args: Any) -> Any:
        compiled.append((str(name), isinstance(source, jinja2.nodes.Template)))
        return compile_(self, source, name, *args)

    monkeypatch.setattr(jinja2.Environment, "parse", counting_parse)
    monkeypatch.setattr(jinja2.Environment, "compile", counting_compile)
    _loaded, problems = validate(example_root)
    files = sorted(p.relative_to(example_root / "templates").as_posix() for p in example_root.glob("templates/**/*.j2"))
    assert not [p for p in problems if p.code.startswith("T")]
    assert sorted(parsed) == files
    assert sorted(compiled) == [(name, True) for name in files]
