"""Shared fixtures: the bundled example repository and a scratch copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# No property test is timed: Hypothesis' default deadline (200 ms an example) is a timing
# assertion, and on a loaded 2-core machine an example of the letters' markup test took longer
# and failed a run once (2026-12-07, load 18). Speed is measured in benchmarks/, not here.
settings.register_profile("dunning", deadline=None)
settings.load_profile("dunning")


@pytest.fixture(scope="session")
def example_root() -> Path:
    """The bundled example policy repository (read-only: copy it before changing anything)."""
    return ROOT


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled example policy and templates."""
    for name in ("policies", "templates"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def example_letter_bodies(example_root: Path) -> tuple[str, ...]:
    """The body block of every bundled letter template, rendered for each sample persona of
    its locale (synthetic data): what print translates into Typst markup."""
    from dunning.policy import require_policy
    from dunning.templating.personas import persona_context, personas
    from dunning.templating.sandbox import TemplateSandbox

    policy = require_policy(example_root)
    sandbox = TemplateSandbox(example_root / "templates")
    return tuple(
        sandbox.render(file, persona_context(policy, persona, template.id), html=True, block="body")
        for template in policy.templates.values()
        if template.channel == "letter"
        for locale, file in template.files.items()
        for persona in personas(policy, locale)
    )
