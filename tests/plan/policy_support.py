"""Policies for planner tests, derived from the bundled example."""

from __future__ import annotations

from dataclasses import replace

from dunning.policy.model import OutcomeCount, Policy

# A state condition per step position: the steps of every strategy read, between them,
# each part of the history-derived state the decision key holds.
_STATE_CONDITIONS = (
    {"days_since_last_contact": 2},
    {"days_since_right_party_contact": 4, "no_conversation_for_days": 3},
    {"outcomes_in_last_days": (OutcomeCount("no_answer", 2, 5),)},
    {"paid_since_days": 30},
)


def with_state_conditions(policy: Policy) -> Policy:
    """``policy`` with a state condition added to each step (by position in its strategy)."""
    strategies = {
        sid: replace(
            strategy,
            steps=tuple(
                replace(step, when=replace(step.when, **_STATE_CONDITIONS[i % len(_STATE_CONDITIONS)]))
                for i, step in enumerate(strategy.steps)
            ),
        )
        for sid, strategy in policy.strategies.items()
    }
    return replace(policy, strategies=strategies)
