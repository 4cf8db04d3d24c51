"""The company's context is that of the policy being rendered, even after another policy
was rendered in the same process and freed (handbook serve rebuilds; a test session)."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

from dunning.policy import require_policy
from dunning.templating.context import company_context


def test_a_freed_policys_company_is_never_served_to_the_next(example_root: Path) -> None:
    policy = require_policy(example_root)
    # CPython hands a freed object's address (its id) to the next one of the same size: the
    # old cache, keyed by id alone, served the earlier company's address to the later policy
    for n in range(50):
        first = dataclasses.replace(policy, company=dataclasses.replace(policy.company, email=f"first{n}@example.org"))
        assert company_context(first, "en-US", "US")["email"] == f"first{n}@example.org"
        del first
        gc.collect()
        second = dataclasses.replace(
            policy, company=dataclasses.replace(policy.company, email=f"second{n}@example.org")
        )
        assert company_context(second, "en-US", "US")["email"] == f"second{n}@example.org"
