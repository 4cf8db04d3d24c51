"""The policy schemas are valid cerberus schemas (the CLI trusts them to start fast)."""

from __future__ import annotations

import pytest
from cerberus import SchemaError

from dunning.policy.schema import FILE_SCHEMA, PolicyValidator


def test_file_schema_passes_cerberus_meta_schema_check() -> None:
    trusted = PolicyValidator._valid_schemas
    trusted.trusted = False
    try:
        trusted.clear()
        PolicyValidator(FILE_SCHEMA, allow_unknown=False)
        assert len(trusted) >= 1  # cerberus really checked and remembered it
        with pytest.raises(SchemaError):
            PolicyValidator({"tiers": {"type": "no-such-type"}})
    finally:
        trusted.trusted = True
