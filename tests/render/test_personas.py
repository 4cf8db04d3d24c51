"""Every bundled template renders for every sample persona in every locale it has."""

from __future__ import annotations

from pathlib import Path

from dunning.policy import require_policy
from dunning.templating.context_spec import CONTEXT_SPEC
from dunning.templating.personas import SITUATIONS, persona_context, personas
from dunning.templating.sandbox import TemplateSandbox, is_html


def test_every_template_renders_for_every_persona(example_root: Path) -> None:
    policy = require_policy(example_root)
    sandbox = TemplateSandbox(example_root / "templates")
    rendered = 0
    for template_id, template in sorted(policy.templates.items()):
        for locale, file in sorted(template.files.items()):
            for persona in personas(policy, locale):
                context = persona_context(policy, persona, template_id)
                assert set(context) == set(CONTEXT_SPEC)
                for name, spec in CONTEXT_SPEC.items():
                    if isinstance(spec, dict) and context[name] is not None:
                        assert set(context[name]) == {k for k in spec if not k.startswith("__")}, name
                blocks = sandbox.blocks(file) or (None,)
                for block in blocks:
                    out = sandbox.render(file, context, html=is_html(template.channel, block), block=block)
                    assert out.strip()
                rendered += 1
    assert rendered == sum(len(t.files) for t in policy.templates.values()) * len(SITUATIONS)


def test_personas_are_synthetic_and_stable(example_root: Path) -> None:
    policy = require_policy(example_root)
    zh = personas(policy, "zh-CN")
    assert [p.id for p in zh][:2] == ["zh-CN/reminder", "zh-CN/early"]
    assert zh[0].account.jurisdiction == "CN" and zh[0].account.currency == "CNY"
    assert all(p.account.email.endswith("@example.com") for p in zh)
    us = personas(policy, "en-US")
    assert us[0].account.phone.startswith("+1202555")
    mid = next(p for p in us if p.situation.id == "mid-plan")
    offer = mid.plan["offers"][0]
    from decimal import Decimal

    assert sum(Decimal(a) for a in offer["amounts"]) == Decimal(offer["total"])
    assert personas(policy, "en-US") == us
