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
    """``policy`` with a state condition added to each step that is not a ``required`` notice
    (by position among those in its strategy): a notice is owed whatever the history says,
    and the positions of the others stay what they were before each tier got its notice."""
    strategies = {}
    for sid, strategy in policy.strategies.items():
        steps, position = [], 0
        for step in strategy.steps:
            if not step.required:
                step = replace(step, when=replace(step.when, **_STATE_CONDITIONS[position % len(_STATE_CONDITIONS)]))
                position += 1
            steps.append(step)
        strategies[sid] = replace(strategy, steps=tuple(steps))
    return replace(policy, strategies=strategies)
