"""Comparing two render outputs file by file (helpers for the render tests)."""

from __future__ import annotations

from pathlib import Path

import orjson


def output_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, by its relative path, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def same_output(a: dict[str, bytes], b: dict[str, bytes]) -> bool:
    """Equal bytes in every file; in manifest.json the git commit may differ, because other
    people commit to the shared example tree while the suite runs (all else must be equal)."""

    def strip(files: dict[str, bytes]) -> tuple[dict[str, bytes], object]:
        rest = dict(files)
        manifest = orjson.loads(rest.pop("manifest.json"))
        manifest["policy"].pop("revision")
        return rest, manifest

    return strip(a) == strip(b)
