"""Property tests carry no deadline: speed is measured by benchmarks, never by a unit test."""

from __future__ import annotations

from hypothesis import settings


def test_the_loaded_hypothesis_profile_has_no_deadline() -> None:
    assert settings().deadline is None
    # a test's own @settings (say, max_examples) keeps the profile's other values
    assert settings(max_examples=20).deadline is None
